// RtrUpstreamSource: another RTR cache as a source (rtr42d, StayRTR,
// Routinator, RTRTR): rtr42d is then a router to it (rtr/follower.h), and a
// cache to its own routers.
//
// Each set the follower takes is handed over once, and the follower's
// change callback is the source's wakeup, so a change upstream is polled at
// once and becomes one new serial downstream, sent to routers as a diff; our
// routers see our own session id and serials, never the upstream's. While
// the upstream is gone Poll() reports the error and the last set received
// stays the source's set. Once the upstream has not answered for longer than
// the expire interval it gave, Expired() says so: the set is still served
// (the last-good rule of every source), but /healthz fails, so monitoring
// sees a cache serving data a router would have dropped.
#ifndef RTR42_SOURCES_RTR_UPSTREAM_SOURCE_H_
#define RTR42_SOURCES_RTR_UPSTREAM_SOURCE_H_

#include <functional>
#include <string>

#include "rtr/follower.h"
#include "sources/vrp_source.h"

namespace rtr42::sources {

class RtrUpstreamSource : public VrpSource {
 public:
  // Starts following at once.
  explicit RtrUpstreamSource(rtr::RtrClient::Options client)
      : tls_(client.tls), follower_(std::move(client)) {}

  absl::StatusOr<std::optional<VrpSnapshot>> Poll() override;
  std::string Describe() const override {
    return std::string("rtr ") + (tls_ ? "tls " : "") + follower_.address();
  }
  void SetWakeup(std::function<void()> wakeup) override {
    follower_.SetOnChange(std::move(wakeup));
  }
  std::string Expired() const override { return follower_.Expired(); }

 private:
  const bool tls_;
  rtr::CacheFollower follower_;
  uint64_t polled_version_ = 0;
};

}  // namespace rtr42::sources

#endif  // RTR42_SOURCES_RTR_UPSTREAM_SOURCE_H_
