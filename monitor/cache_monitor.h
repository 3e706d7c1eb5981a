// CacheMonitor: two RTR caches side by side, for operators running both
// (rtr-dump --monitor A B; StayRTR's rtrmon does the same for its users).
//
// Each cache is followed by its own CacheFollower (rtr/follower.h): one
// session each, kept up to date by Serial Notify and the refresh timer,
// reconnected when lost. After any change of either, Compare() compares the
// two sets: the VRPs (and ASPA records) only in A and only in B, the serials
// and since when the two have differed. A change of that picture is one log
// line; Metrics() renders it for Prometheus.
//
// Thread-safe: the followers call back from their threads; Compare() and
// Metrics() may be called from any thread.
#ifndef RTR42_MONITOR_CACHE_MONITOR_H_
#define RTR42_MONITOR_CACHE_MONITOR_H_

#include <array>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "rtr/follower.h"

namespace rtr42::monitor {

class CacheMonitor {
 public:
  // What one comparison found.
  struct Picture {
    struct Side {
      std::string address;
      bool up = false;  // in session now
      bool has_set = false;
      uint32_t serial = 0;
      uint16_t session_id = 0;
      size_t vrps = 0;
      size_t only_vrps = 0;   // VRPs this cache has and the other lacks
      size_t only_aspas = 0;  // ASPA records (customer and providers) likewise
      std::string error;
    };
    std::array<Side, 2> caches;
    bool differ = false;
    absl::Time differ_since = absl::InfinitePast();  // while `differ`
    uint64_t comparisons = 0;
  };

  CacheMonitor(rtr::RtrClient::Options a, rtr::RtrClient::Options b);
  ~CacheMonitor();

  // Waits up to `timeout` for a change of either cache, then compares (a
  // comparison happens at least once per call). Returns the picture.
  Picture Compare(absl::Duration timeout);
  Picture picture() const;
  // Prometheus text of picture() at `now`.
  std::string Metrics(absl::Time now) const;

 private:
  // Logs the picture when it differs from the last one logged (`before`:
  // the previous comparison's).
  void Log(const Picture& p, const Picture& before) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  std::array<std::unique_ptr<rtr::CacheFollower>, 2> followers_;
  mutable absl::Mutex mutex_;
  bool changed_ ABSL_GUARDED_BY(mutex_) = true;
  Picture picture_ ABSL_GUARDED_BY(mutex_);
  std::string logged_ ABSL_GUARDED_BY(mutex_);  // the picture last logged, as text
};

}  // namespace rtr42::monitor

#endif  // RTR42_MONITOR_CACHE_MONITOR_H_
