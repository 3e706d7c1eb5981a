// RtrUpstreamSource: another RTR cache as a source (rtr42d, StayRTR,
// Routinator, RTRTR): rtr42d is then a router to it, and a cache to its own
// routers.
//
// A thread of its own holds one session with the upstream (rtr/client.h:
// TCP, TLS or TCP-MD5; the highest version both speak, falling back as a
// router does on Unsupported Protocol Version). It sends a Reset Query when
// it connects, then a Serial Query on each Serial Notify and whenever the
// upstream's refresh interval (from its End of Data) has passed; a Cache
// Reset is answered with a Reset Query. Each answer that changed anything
// becomes a new set, and the source's wakeup is called, so the loop polls at
// once and the change is one new serial downstream, sent to routers as a
// diff. Our routers see our own session id and serials, never the
// upstream's.
//
// The upstream gone (refused, closed, an error), the thread reconnects after
// 1 s, doubling up to kMaxBackoff; Poll() reports the error meanwhile, and
// the last set received stays the source's set. Once the upstream has not
// answered for longer than the expire interval it gave, Expired() says so:
// the set is still served (the last-good rule of every source), but
// /healthz fails, so monitoring sees a cache serving data a router would
// have dropped.
#ifndef RTR42_SOURCES_RTR_UPSTREAM_SOURCE_H_
#define RTR42_SOURCES_RTR_UPSTREAM_SOURCE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "rtr/client.h"
#include "sources/vrp_source.h"

namespace rtr42::sources {

class RtrUpstreamSource : public VrpSource {
 public:
  static constexpr absl::Duration kMaxBackoff = absl::Seconds(30);

  // Starts the thread; `client.host` and `client.port` name the upstream.
  explicit RtrUpstreamSource(rtr::RtrClient::Options client);
  ~RtrUpstreamSource() override;

  absl::StatusOr<std::optional<VrpSnapshot>> Poll() override;
  std::string Describe() const override;
  void SetWakeup(std::function<void()> wakeup) override;
  std::string Expired() const override;

 private:
  void Run();
  // One session, from connecting until it fails or the source stops.
  absl::Status Session();
  // A new set from the client; wakes the owner.
  void Take(const rtr::RtrClient& client, absl::Time start);
  void Wake();
  bool Stopping() const;

  const rtr::RtrClient::Options options_;
  std::thread thread_;
  uint64_t polled_version_ = 0;  // Poll()'s caller only

  mutable absl::Mutex mutex_;
  bool stop_ ABSL_GUARDED_BY(mutex_) = false;
  std::function<void()> wakeup_ ABSL_GUARDED_BY(mutex_);
  std::shared_ptr<const roa::VrpSet> set_ ABSL_GUARDED_BY(mutex_);
  uint64_t version_ ABSL_GUARDED_BY(mutex_) = 0;  // sets taken
  std::string revision_ ABSL_GUARDED_BY(mutex_);
  double seconds_ ABSL_GUARDED_BY(mutex_) = 0;  // the last transfer
  std::string error_ ABSL_GUARDED_BY(mutex_);   // while not in session
  absl::Time last_answer_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
  absl::Duration expire_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace rtr42::sources

#endif  // RTR42_SOURCES_RTR_UPSTREAM_SOURCE_H_
