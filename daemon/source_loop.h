// SourceLoop: the daemon's producer thread. It polls the VRP source (and the
// SLURM file), turns each new set into a serial in the History and hands the
// Update to the RTR server. A failing source or SLURM file is logged once per
// change of condition, counted, and changes nothing that is served.
//
// The withdraw guard: a new set that would withdraw more than
// `max_withdraw_percent` of the VRPs served is held back (logged once, shown
// in Status) until ConfirmWithdrawals() (SIGHUP) lets it through or a later
// set withdraws less. With `state_path`, every new serial is saved there
// (rtr/state_file.h) before routers are told of it.
//
// Local sources are checked every second; remote ones every `remote_interval`.
// Status() is a snapshot for metrics and health checks, safe from any thread.
#ifndef RTR42_DAEMON_SOURCE_LOOP_H_
#define RTR42_DAEMON_SOURCE_LOOP_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "roa/slurm.h"
#include "rtr/history.h"
#include "rtr/server.h"
#include "sources/vrp_source.h"

namespace rtr42::daemon {

struct SourceStatus {
  std::string source;  // its description
  absl::Time started;
  absl::Time last_attempt = absl::InfinitePast();
  absl::Time last_success = absl::InfinitePast();  // the source answered (changed or not)
  absl::Time last_update = absl::InfinitePast();   // a new serial was made
  bool last_ok = false;
  std::string last_error;
  uint64_t polls = 0;
  uint64_t failures = 0;
  double last_compile_seconds = 0;
  size_t objects = 0;
  std::string revision;
  std::shared_ptr<const std::vector<roa::Diagnostic>> diagnostics;
  // SLURM
  std::string slurm_path;
  bool slurm_ok = true;
  std::string slurm_error;
  uint64_t slurm_failures = 0;  // reads that were rejected
  size_t slurm_filters = 0;
  size_t slurm_assertions = 0;
  // Withdraw guard
  bool withdraw_held = false;   // a set is being held back now
  size_t held_withdrawals = 0;  // VRPs it would withdraw
  size_t held_of = 0;           // of this many served
  std::string held_revision;
  uint64_t withdraw_holds = 0;          // times a set was held back
  uint64_t withdraw_confirmations = 0;  // held sets let through by SIGHUP
  // State file
  uint64_t state_saves = 0;
  uint64_t state_save_failures = 0;
  std::string state_error;
};

struct SourceLoopOptions {
  absl::Duration remote_interval = absl::Seconds(60);
  std::string slurm_path;
  double max_withdraw_percent = 10;  // 100: no guard
  std::string state_path;            // empty: nothing is saved
};

class SourceLoop {
 public:
  SourceLoop(std::unique_ptr<sources::VrpSource> source, rtr::History* history, rtr::Server* server,
             SourceLoopOptions options);
  ~SourceLoop();

  void Start();
  void Stop();
  // Poll now (SIGHUP): re-reads the SLURM file and polls the source.
  void PollNow();
  // Lets a set held back by the withdraw guard through (SIGHUP), and polls.
  void ConfirmWithdrawals();
  // One poll, on the calling thread (tests). True if it published a set.
  bool PollOnce();

  SourceStatus Status() const;
  std::shared_ptr<const rtr::Update> Current() const;

 private:
  void Run();
  bool ReloadSlurm(bool forced);
  // Returns true if a new serial was published.
  bool Publish(std::shared_ptr<const roa::VrpSet> raw, const std::string& revision,
               const std::string& detail);
  // True if a set withdrawing `withdrawn` of the VRPs served may replace
  // them; otherwise holds it back.
  bool PassesWithdrawGuard(size_t withdrawn, const std::string& revision);
  void SaveState(const rtr::Update& update);

  std::unique_ptr<sources::VrpSource> source_;
  rtr::History* history_;
  rtr::Server* server_;
  SourceLoopOptions options_;
  absl::Duration interval_;
  std::thread thread_;
  mutable std::mutex mutex_;  // guards status_, current_, slurm state, flags
  std::condition_variable wake_;
  bool stop_ = false;
  bool poll_now_ = false;
  bool confirm_withdrawals_ = false;  // the next guarded set goes through
  SourceStatus status_;
  std::shared_ptr<const rtr::Update> current_;
  std::shared_ptr<const roa::VrpSet> last_raw_;  // the source's set before SLURM
  std::optional<roa::Slurm> slurm_;
  int64_t slurm_mtime_ns_ = -1;
};

}  // namespace rtr42::daemon

#endif  // RTR42_DAEMON_SOURCE_LOOP_H_
