// NotifyPacer: Serial Notify coalescing and its rate limit, for one session.
//
// RFC 6810 and RFC 8210 section 8.2 (and draft-ietf-sidrops-8210bis-27 section
// 8.2): "The cache MUST rate-limit Serial Notifies to no more frequently than
// one per minute." The first change after a quiet interval is notified at
// once, so a registry merge still reaches routers within seconds; changes
// within the interval after a notify are coalesced into one notify, of the
// newest serial, sent when the interval ends. (Routers that poll get every
// change at once regardless.) The session also never sends a notify while a
// response is being written (rtr/session.h).
//
// A value type driven by the caller's clock, so tests can use any times.
#ifndef RTR42_RTR_NOTIFY_PACER_H_
#define RTR42_RTR_NOTIFY_PACER_H_

#include <chrono>
#include <optional>

namespace rtr42::rtr {

class NotifyPacer {
 public:
  using Clock = std::chrono::steady_clock;

  explicit NotifyPacer(Clock::duration interval = std::chrono::minutes(1)) : interval_(interval) {}

  // When a notify wanted at `now` may go out: `now` itself, or the end of the
  // interval since the last one.
  Clock::time_point NextAllowed(Clock::time_point now) const {
    if (!last_sent_ || now >= *last_sent_ + interval_) return now;
    return *last_sent_ + interval_;
  }
  void Sent(Clock::time_point when) { last_sent_ = when; }

  Clock::duration interval() const { return interval_; }

 private:
  Clock::duration interval_;
  std::optional<Clock::time_point> last_sent_;
};

}  // namespace rtr42::rtr

#endif  // RTR42_RTR_NOTIFY_PACER_H_
