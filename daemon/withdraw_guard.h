// WithdrawGuard: the rule that a new set withdrawing more than
// `max_percent` of the VRPs served is held back rather than served, until an
// operator confirms it (SIGHUP) or a later set withdraws less. A registry
// that suddenly loses its route objects, or a filter edit gone wrong, then
// never becomes a flood of withdrawals at every router.
//
// It decides and keeps count; it logs the hold once per distinct held set,
// and the release once. Not thread-safe: its owner (SourceLoop) serialises
// the calls.
#ifndef RTR42_DAEMON_WITHDRAW_GUARD_H_
#define RTR42_DAEMON_WITHDRAW_GUARD_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace rtr42::daemon {

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
  explicit WithdrawGuard(double max_percent) : max_percent_(max_percent) {}

  // May a set of `revision` that withdraws `withdrawn` of the `served` VRPs
  // (at `serving_serial`) be served? False holds it back.
  bool Admit(size_t withdrawn, size_t served, const std::string& revision, uint32_t serving_serial);

  // The next set that would be held back is let through (SIGHUP); logs what
  // is confirmed when a set is being held.
  void Confirm();
  bool confirming() const { return confirming_; }
  // Ends a confirmation that found nothing to let through.
  void EndConfirmation() { confirming_ = false; }

  const State& state() const { return state_; }
  double max_percent() const { return max_percent_; }

 private:
  const double max_percent_;
  bool confirming_ = false;
  State state_;
};

}  // namespace rtr42::daemon

#endif  // RTR42_DAEMON_WITHDRAW_GUARD_H_
