// SourceLoop: the daemon's producer thread. It polls the VRP source (and the
// SLURM file), turns each new set into a serial in the History and hands the
// Update to the RTR server. A failing source or SLURM file is logged once per
// change of condition, counted, and changes nothing that is served.
//
// Every new set passes the withdraw guard (daemon/withdraw_guard.h) first;
// ConfirmWithdrawals() (SIGUSR1) lets a held set through; Reload() (SIGHUP)
// re-reads SLURM and polls now, and never confirms anything. With `state_path`,
// every new serial is saved there (rtr/state_file.h) before routers are told
// of it.
//
// Local sources are checked every second; remote ones every `remote_interval`;
// the SLURM file every second. Status() and Current() are snapshots for
// metrics and health checks, safe from any thread; the rest runs on the
// loop's own thread (PollOnce() on the caller's, in tests).
#ifndef RTR42_DAEMON_SOURCE_LOOP_H_
#define RTR42_DAEMON_SOURCE_LOOP_H_

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/file_stamp.h"
#include "daemon/withdraw_guard.h"
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
  WithdrawGuard::State withdraw_guard;
  // ASPA records dropped because no PDU can hold them (roa/vrp.h), by customer.
  std::vector<uint32_t> oversized_aspas;
  // State file
  uint64_t state_saves = 0;
  uint64_t state_save_failures = 0;
  std::string state_error;
};

struct SourceLoopOptions {
  absl::Duration remote_interval = absl::Seconds(60);
  std::string slurm_path;
  double max_withdraw_percent = 10;  // 100: no guard
  // Withdrawals also count against the set served when this window began, so
  // a run of small withdrawals adds up.
  absl::Duration withdraw_window = absl::Hours(1);
  std::string state_path;  // empty: nothing is saved
};

class SourceLoop {
 public:
  // `history` and `server` must outlive the loop.
  SourceLoop(std::unique_ptr<sources::VrpSource> source, rtr::History* history, rtr::Server* server,
             SourceLoopOptions options);
  ~SourceLoop();

  void Start();
  void Stop();
  // SIGUSR1: lets a set held back by the withdraw guard through.
  void ConfirmWithdrawals();
  // SIGHUP: re-reads the SLURM file and polls the source now.
  void Reload();
  // One poll, on the calling thread (tests). True if it published a set.
  bool PollOnce();

  SourceStatus Status() const;
  std::shared_ptr<const rtr::Update> Current() const;

 private:
  void Run();
  // Re-reads the SLURM file if its stamp changed; true if a new one is in
  // force.
  bool ReloadSlurm();
  // Returns true if a new serial was published.
  bool Publish(std::shared_ptr<const roa::VrpSet> raw, const std::string& revision,
               const std::string& detail);
  void SaveState(const rtr::Update& update);
  // Logs (once each) and counts the ASPA records VrpSet dropped for size.
  void NoteOversizedAspas(const roa::VrpSet& raw, const roa::VrpSet& set);

  std::unique_ptr<sources::VrpSource> source_;
  rtr::History* const history_;
  rtr::Server* const server_;
  const SourceLoopOptions options_;
  const absl::Duration interval_;
  std::thread thread_;

  mutable absl::Mutex mutex_;
  bool stop_ ABSL_GUARDED_BY(mutex_) = false;
  bool poll_now_ ABSL_GUARDED_BY(mutex_) = false;
  SourceStatus status_ ABSL_GUARDED_BY(mutex_);
  WithdrawGuard guard_ ABSL_GUARDED_BY(mutex_);
  std::shared_ptr<const rtr::Update> current_ ABSL_GUARDED_BY(mutex_);
  std::shared_ptr<const roa::VrpSet> last_raw_ ABSL_GUARDED_BY(mutex_);  // before SLURM
  std::optional<roa::Slurm> slurm_ ABSL_GUARDED_BY(mutex_);
  // The stamp of the SLURM file last read; reset to re-read it.
  std::optional<std::optional<FileStamp>> slurm_stamp_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace rtr42::daemon

#endif  // RTR42_DAEMON_SOURCE_LOOP_H_
