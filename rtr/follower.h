// CacheFollower: stays in session with one RTR cache, as a router does, and
// keeps its current set. What rtr42d's RTR upstream source
// (sources/rtr_upstream_source.h) and rtr-dump --monitor are built on.
//
// A thread of its own holds one session (rtr/client.h: TCP, TLS or TCP-MD5;
// the highest version both speak, falling back on Unsupported Protocol
// Version). It sends a Reset Query when it connects, then a Serial Query on
// each Serial Notify and whenever the cache's refresh interval (from its End
// of Data) has passed; a Cache Reset is answered with a Reset Query. Each
// answer that changed anything becomes a new set (a new `version` of the
// State), and the change callback is called, from the follower's thread.
//
// The cache gone (refused, closed, an error), the thread reconnects after
// 1 s, doubling up to kMaxBackoff; the State carries the error meanwhile,
// and the last set received stays. Expired() says when the cache has not
// answered for longer than the expire interval it gave.
#ifndef RTR42_RTR_FOLLOWER_H_
#define RTR42_RTR_FOLLOWER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "rtr/client.h"

namespace rtr42::rtr {

class CacheFollower {
 public:
  static constexpr absl::Duration kMaxBackoff = absl::Seconds(30);

  struct State {
    std::shared_ptr<const roa::VrpSet> set;  // null until the first answer
    uint64_t version = 0;                    // sets taken so far
    std::string revision;                    // "rtr HOST:PORT session S serial N"
    uint8_t rtr_version = 0;
    uint16_t session_id = 0;
    uint32_t serial = 0;
    double seconds = 0;  // the last transfer
    std::string error;   // while not in session (empty once in session)
    absl::Time last_answer = absl::InfinitePast();
    absl::Duration expire;
  };

  // Starts the thread; `client.host` and `client.port` name the cache.
  explicit CacheFollower(RtrClient::Options client);
  ~CacheFollower();

  // Called after each new set and each failure; may be empty.
  void SetOnChange(std::function<void()> on_change);
  State state() const;
  // Non-empty when the cache has been silent beyond its expire interval.
  std::string Expired() const;
  std::string address() const;

 private:
  void Run();
  // One session, from connecting until it fails or the follower stops.
  absl::Status Session();
  void Take(const RtrClient& client, absl::Time start);
  void Changed();
  bool Stopping() const;

  const RtrClient::Options options_;
  std::thread thread_;

  mutable absl::Mutex mutex_;
  bool stop_ ABSL_GUARDED_BY(mutex_) = false;
  std::function<void()> on_change_ ABSL_GUARDED_BY(mutex_);
  State state_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace rtr42::rtr

#endif  // RTR42_RTR_FOLLOWER_H_
