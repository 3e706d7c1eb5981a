#include "daemon/withdraw_guard.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/log.h"

namespace rtr42::daemon {

bool WithdrawGuard::Admit(const Withdrawal& w, const std::string& revision,
                          uint32_t serving_serial) {
  const size_t withdrawn = w.withdrawn, served = w.served;
  bool over = Exceeds(withdrawn, served, max_percent_);
  if (over && confirming_) {
    ++state_.confirmations;
    over = false;
  } else if (over) {
    if (!state_.holding || state_.held_withdrawals != withdrawn ||
        state_.held_revision != revision) {
      RTR42_LOG_WARNING(
          "withdraw guard: holding back the set of %s: it would withdraw %d of %d VRPs of serial "
          "%d%s (%.1f%%, more than --max-withdraw-percent %g); still serving serial %d; SIGUSR1 "
          "serves it",
          revision, withdrawn, served, w.of_serial,
          w.from_baseline
              ? absl::StrCat(", the first served in the last ", absl::FormatDuration(window_))
              : "",
          100.0 * double(withdrawn) / double(served), max_percent_, serving_serial);
    }
    if (!state_.holding) ++state_.holds;
    state_.holding = true;
    state_.held_withdrawals = withdrawn;
    state_.held_of = served;
    state_.held_revision = revision;
    return false;
  }
  if (state_.holding) {
    RTR42_LOG_INFO("withdraw guard: released; the set of %s withdraws %d of %d VRPs", revision,
                   withdrawn, served);
    state_.holding = false;
    state_.held_withdrawals = state_.held_of = 0;
    state_.held_revision.clear();
  }
  return true;
}

void WithdrawGuard::NoteServed(std::shared_ptr<const roa::VrpSet> set, uint32_t serial,
                               absl::Time now) {
  bool confirmed = state_.confirmations != confirmations_seen_;
  confirmations_seen_ = state_.confirmations;
  // A confirmed set starts a new window: what the operator let through is
  // the new reference.
  if (!baseline_.set || now - baseline_.since >= window_ || confirmed) {
    baseline_ = {std::move(set), serial, now};
  }
}

void WithdrawGuard::Confirm() {
  if (!state_.holding) return;
  confirming_ = true;
  RTR42_LOG_WARNING("withdrawals confirmed: %s (-%d of %d VRPs) will be served",
                    state_.held_revision, state_.held_withdrawals, state_.held_of);
}

}  // namespace rtr42::daemon
