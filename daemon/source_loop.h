// SourceLoop: the daemon's producer thread. It polls every VRP source (and
// the SLURM file), serves the union of the sources' sets, turns each new
// union into a serial in the History and hands the Update to the RTR server.
//
// The sources can change while it runs (ReplaceSources(), on SIGHUP with a
// changed configuration file). Each source keeps its own state: the last good set it gave (what it
// adds to the union), its failures, its withdraw guard (daemon/withdraw_guard.h) and its status. A
// failing source is logged once per change of condition, counted, and its last good set stays in
// the union; the other sources go on. A record that several sources give is served once (VrpSet
// removes duplicates; ASPA records of one customer are merged). SLURM applies to the union.
//
// A source's new set passes its guard first, counted against that source's
// last admitted set; ConfirmWithdrawals() (SIGUSR1) lets held sets through;
// Reload() (SIGHUP) re-reads SLURM and polls every source now, and never
// confirms anything. With `state_path`, every new serial is saved there
// (rtr/state_file.h) before routers are told of it.
//
// After a restart that restored a set, the union is first served once every
// source has answered (with a set or an error), or kStartupWait after the
// start, so that routers are not sent the withdrawals of the sources that
// have not answered yet. With one source, its guard counts against the
// restored set.
//
// A source is polled every second when local, every `remote_interval` when
// remote (or its own interval), and at once when it calls its wakeup (a
// source that is pushed changes, such as an RTR upstream). Status() and
// Current() are snapshots for metrics and health checks, safe from any
// thread; the rest runs on the loop's own thread (PollOnce() on the
// caller's, in tests).
#ifndef RTR42_DAEMON_SOURCE_LOOP_H_
#define RTR42_DAEMON_SOURCE_LOOP_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
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

// One source of the loop, as configured.
struct NamedSource {
  std::string name;  // the `source` label of its metrics, and its name in logs
  std::unique_ptr<sources::VrpSource> source;
  // Its own poll interval and guard threshold, where the configuration gives
  // them; else the loop's.
  std::optional<absl::Duration> poll_interval;
  std::optional<double> max_withdraw_percent;
};

// What one source is doing.
struct SourceStatus {
  std::string name;
  std::string source;  // its description
  absl::Time started;
  absl::Time last_attempt = absl::InfinitePast();
  absl::Time last_success = absl::InfinitePast();  // the source answered (changed or not)
  absl::Time last_update = absl::InfinitePast();   // a new set of it was admitted
  bool last_ok = false;
  std::string last_error;  // while it fails; cleared when it answers again
  absl::Time last_failure = absl::InfinitePast();
  std::string last_failure_reason;  // kept after it recovers (the status page shows it)
  uint64_t polls = 0;
  uint64_t failures = 0;
  double last_compile_seconds = 0;
  size_t objects = 0;
  size_t vrps = 0;  // in its last good set
  size_t aspas = 0;
  std::string revision;
  std::shared_ptr<const std::vector<roa::Diagnostic>> diagnostics;
  std::shared_ptr<const std::vector<roa::VrpOrigin>> origins;  // of its last set, by VRP
  // The source's own warning about its data (sources::VrpSnapshot::warning)
  // and how many sets came with one.
  std::string warning;
  uint64_t warnings = 0;
  absl::Time generated = absl::InfinitePast();  // when its data was made, if it says
  // The source itself says its data is no longer current (an RTR upstream
  // gone past its expire interval): /healthz fails.
  std::string expired;
  WithdrawGuard::State withdraw_guard;
};

// What the loop is doing: each source, and what applies to their union.
struct LoopStatus {
  std::vector<SourceStatus> sources;
  absl::Time started;
  absl::Time last_update = absl::InfinitePast();  // a new serial was made
  // SLURM
  std::string slurm_path;
  bool slurm_ok = true;
  std::string slurm_error;
  uint64_t slurm_failures = 0;  // reads that were rejected
  size_t slurm_filters = 0;
  size_t slurm_assertions = 0;
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
  double max_withdraw_percent = kDefaultMaxWithdrawPercent;  // 100: no guard
  // Withdrawals also count against the set served when this window began, so
  // a run of small withdrawals adds up.
  absl::Duration withdraw_window = absl::Hours(1);
  std::string state_path;  // empty: nothing is saved
};

class SourceLoop {
 public:
  static constexpr absl::Duration kStartupWait = absl::Seconds(60);

  // `history` and `server` must outlive the loop; `sources` is not empty.
  SourceLoop(std::vector<NamedSource> sources, rtr::History* history, rtr::Server* server,
             SourceLoopOptions options);
  // One source named "source" (tests).
  SourceLoop(std::unique_ptr<sources::VrpSource> source, rtr::History* history, rtr::Server* server,
             SourceLoopOptions options);
  ~SourceLoop();

  void Start();
  void Stop();
  // SIGUSR1: lets the sets held back by the withdraw guards through.
  void ConfirmWithdrawals();
  // SIGHUP: re-reads the SLURM file and polls every source now.
  void Reload();
  // Polls every source now (a webhook: the remote changed); requests that
  // come before that poll began are one poll.
  void PollNow();
  // One poll of every source, on the calling thread (tests). True if it
  // published a set.
  bool PollOnce();
  // A changed configuration (SIGHUP): the sources become `names`, in that
  // order; each of `fresh` is new or replaces the source of its name (whose
  // last set stays its part until the new one answers); the others named
  // are kept as they are, with their state; a source not named is removed,
  // and its part leaves the union. Done on the loop's thread, before its
  // next poll.
  void ReplaceSources(std::vector<std::string> names, std::vector<NamedSource> fresh);

  LoopStatus Status() const;
  std::shared_ptr<const rtr::Update> Current() const;

 private:
  // A source and when to poll it: the loop's thread only (`wake` from any).
  struct Slot {
    std::unique_ptr<sources::VrpSource> source;
    absl::Duration interval;
    absl::Time next_poll = absl::InfinitePast();
    std::atomic<bool> wake{false};
  };
  // What the loop knows of a source.
  struct SlotState {
    SourceStatus status;
    WithdrawGuard guard;
    std::shared_ptr<const roa::VrpSet> admitted;  // its part of the union
    std::string admitted_revision;
    uint32_t admitted_serial = 0;  // the serial that first served it (0: not served yet)
    // The last set it gave, when the guard holds it back.
    std::shared_ptr<const roa::VrpSet> offered;
    std::string offered_revision;
    bool answered = false;  // gave a set or an error at least once
  };
  std::pair<std::unique_ptr<Slot>, SlotState> MakeSlot(NamedSource named);
  // Carries out ReplaceSources(); true if the sources changed.
  bool ApplyPendingSources();
  void Run();
  // Polls the sources that are due (all with `all`); true if a source's
  // admitted set changed.
  bool PollDue(bool all);
  // Polls one source; true if its admitted set changed.
  bool PollSource(size_t i);
  // Passes `set` through the source's guard; true if it is now the source's
  // admitted set.
  bool Admit(SlotState& state, std::shared_ptr<const roa::VrpSet> set, const std::string& revision)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Whether the union may be served yet (see the restart rule above).
  bool ReadyToPublish() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // The union of the admitted sets, and its revision.
  std::shared_ptr<const roa::VrpSet> Union(std::string* revision) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Re-reads the SLURM file if its stamp changed; true if a new one is in
  // force.
  bool ReloadSlurm();
  // Serves the union; true if a new serial was published.
  bool PublishUnion(std::string detail);
  bool Publish(std::shared_ptr<const roa::VrpSet> raw, const std::string& revision,
               const std::string& detail);
  void SaveState(const rtr::Update& update);
  // Logs (once each) and counts the ASPA records VrpSet dropped for size.
  void NoteOversizedAspas(const roa::VrpSet& raw, const roa::VrpSet& set);

  rtr::History* const history_;
  rtr::Server* const server_;
  const SourceLoopOptions options_;
  const bool restored_;  // the history began with a restored set
  std::thread thread_;
  std::vector<std::unique_ptr<Slot>> slots_;  // changed by the loop's thread only

  mutable absl::Mutex mutex_;
  bool stop_ ABSL_GUARDED_BY(mutex_) = false;
  bool poll_now_ ABSL_GUARDED_BY(mutex_) = false;
  bool woken_ ABSL_GUARDED_BY(mutex_) = false;             // a source called its wakeup
  bool published_once_ ABSL_GUARDED_BY(mutex_) = false;    // the union was served
  bool publish_pending_ ABSL_GUARDED_BY(mutex_) = false;   // changed before it could be
  LoopStatus status_ ABSL_GUARDED_BY(mutex_);              // without `sources`: see states_
  std::vector<SlotState> states_ ABSL_GUARDED_BY(mutex_);  // one per slot
  struct PendingSources {
    std::vector<std::string> names;
    std::vector<NamedSource> fresh;
  };
  std::optional<PendingSources> pending_ ABSL_GUARDED_BY(mutex_);
  std::shared_ptr<const rtr::Update> current_ ABSL_GUARDED_BY(mutex_);
  std::string detail_ ABSL_GUARDED_BY(mutex_);  // what the next serial's log line adds
  std::optional<roa::Slurm> slurm_ ABSL_GUARDED_BY(mutex_);
  // The stamp of the SLURM file last read; reset to re-read it.
  std::optional<std::optional<FileStamp>> slurm_stamp_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace rtr42::daemon

#endif  // RTR42_DAEMON_SOURCE_LOOP_H_
