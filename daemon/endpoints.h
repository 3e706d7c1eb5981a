// The daemon's HTTP endpoints (all GET):
//   /metrics      Prometheus text format (daemon/metrics.h)
//   /healthz      200 with a loaded, fresh set (noting a set the withdraw
//                 guard holds back); 503 with the reason otherwise
//   /rpki.json    the current set in roa-compile's JSON, with an ETag
//                 (If-None-Match -> 304), so StayRTR or RTRTR can chain from us
//   /diagnostics  the dropped and adjusted objects, as JSON
#ifndef RTR42_DAEMON_ENDPOINTS_H_
#define RTR42_DAEMON_ENDPOINTS_H_

#include "absl/time/time.h"
#include "daemon/source_loop.h"
#include "http/server.h"
#include "rtr/server.h"

namespace rtr42::daemon {

struct EndpointOptions {
  // /healthz says 503 when the source has not answered for this long.
  absl::Duration stale_after = absl::Hours(1);
};

// `loop` and `server` must outlive `http`'s handlers (rtr42d's Main owns
// all three).
void RegisterEndpoints(http::HttpServer* http, const SourceLoop* loop, const rtr::Server* server,
                       EndpointOptions options);

}  // namespace rtr42::daemon

#endif  // RTR42_DAEMON_ENDPOINTS_H_
