// WithdrawGuard: the rule that a new set withdrawing more than
// `max_percent` of the VRPs served is held back rather than served, until an
// operator confirms it (SIGUSR1) or a later set withdraws less. Withdrawals
// are counted against the set served now and against the one served when
// the current window (`window`) began, so a registry losing its objects a
// few percent per commit is held too. A registry that suddenly loses its
// route objects, or a filter edit gone wrong, then never becomes a flood of
// withdrawals at every router.
//
// It decides and keeps count; it logs the hold once per distinct held set,
// and the release once. Not thread-safe: its owner (SourceLoop) serialises
// the calls.
#ifndef RTR42_DAEMON_WITHDRAW_GUARD_H_
#define RTR42_DAEMON_WITHDRAW_GUARD_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "roa/vrp.h"

namespace rtr42::daemon {

// rtr42d's --max-withdraw-percent unless set.
inline constexpr double kDefaultMaxWithdrawPercent = 10;

class WithdrawGuard {
 public:
  // What /metrics and /healthz show.
  struct State {
    bool holding = false;         // a set is being held back now
    size_t held_withdrawals = 0;  // VRPs it would withdraw
    size_t held_of = 0;           // of this many served
    std::string held_revision;
    uint64_t holds = 0;          // times a set was held back
    uint64_t confirmations = 0;  // held sets let through by a confirmation
  };

  // 100 (or more) turns the guard off.
  explicit WithdrawGuard(double max_percent, absl::Duration window = absl::Hours(1))
      : max_percent_(max_percent), window_(window) {}

  // What a new set withdraws: `withdrawn` of the `served` VRPs of serial
  // `of_serial` (the one served, or with `from_baseline` the window's first).
  struct Withdrawal {
    size_t withdrawn = 0;
    size_t served = 0;
    uint32_t of_serial = 0;
    bool from_baseline = false;
  };
  // May a set of `revision` that withdraws `w` be served (`serving_serial`
  // is served now)? False holds it back.
  bool Admit(const Withdrawal& w, const std::string& revision, uint32_t serving_serial);
  // The rule itself: does withdrawing `withdrawn` of `served` VRPs exceed
  // `max_percent`? (roa-compile --diff reports it for a registry change.)
  static bool Exceeds(size_t withdrawn, size_t served, double max_percent) {
    return served > 0 && double(withdrawn) * 100 > max_percent * double(served);
  }

  // The window's first set, against which withdrawals also count.
  struct Baseline {
    std::shared_ptr<const roa::VrpSet> set;
    uint32_t serial = 0;
    absl::Time since;
  };
  const Baseline* baseline() const { return baseline_.set ? &baseline_ : nullptr; }
  // A set is now served: it starts the window when there is none, or the
  // window is over.
  void NoteServed(std::shared_ptr<const roa::VrpSet> set, uint32_t serial, absl::Time now);

  // The next set that would be held back is let through (SIGUSR1); logs
  // what is confirmed when a set is being held.
  void Confirm();
  bool confirming() const { return confirming_; }
  // Ends a confirmation that found nothing to let through.
  void EndConfirmation() { confirming_ = false; }

  const State& state() const { return state_; }
  double max_percent() const { return max_percent_; }

 private:
  const double max_percent_;
  const absl::Duration window_;
  Baseline baseline_;
  uint64_t confirmations_seen_ = 0;
  bool confirming_ = false;
  State state_;
};

}  // namespace rtr42::daemon

#endif  // RTR42_DAEMON_WITHDRAW_GUARD_H_
