// The daemon's HTTP endpoints (GET):
//   /             the status page, HTML for a person (daemon/status_page.h)
//   /metrics      Prometheus text format (daemon/metrics.h)
//   /healthz      200 with a loaded set whose every source is fresh (noting
//                 a source's warning and a set a withdraw guard holds back);
//                 503 with the reasons otherwise: no set, a source that has
//                 not answered for `stale_after`, or one whose data expired
//   /rpki.json    the current set in roa-compile's JSON, with an ETag
//                 (If-None-Match -> 304), so StayRTR or RTRTR can chain from us
//   /diagnostics  the dropped and adjusted objects of every source, as JSON
//   /api/v1/validity/{asn}/{prefix} and /validity?asn=&prefix=
//                 the RFC 6811 state of a route, with the VRPs and registry
//                 objects that decide it (daemon/validity_report.h)
// and, with a webhook (--webhook-secret-file), POST /api/v1/refresh
// (daemon/webhook.h).
#ifndef RTR42_DAEMON_ENDPOINTS_H_
#define RTR42_DAEMON_ENDPOINTS_H_

#include <string>
#include <utility>

#include "absl/time/time.h"
#include "daemon/source_loop.h"
#include "daemon/webhook.h"
#include "http/server.h"
#include "rtr/server.h"
#include "ssh/server.h"

namespace rtr42::daemon {

struct EndpointOptions {
  // /healthz says 503 when a source has not answered for this long.
  absl::Duration stale_after = absl::Hours(1);
};

// `loop` and `server` must outlive `http`'s handlers (rtr42d's Main owns
// all three).
// What /healthz answers: the status code (200 or 503) and the text.
std::pair<int, std::string> Health(const LoopStatus& status, const rtr::Update* current,
                                   const EndpointOptions& options, absl::Time now);

// `ssh` and `webhook` may be null; `webhook` must outlive `http`'s handlers.
void RegisterEndpoints(http::HttpServer* http, const SourceLoop* loop, const rtr::Server* server,
                       const ssh::SshServer* ssh, Webhook* webhook, EndpointOptions options);

}  // namespace rtr42::daemon

#endif  // RTR42_DAEMON_ENDPOINTS_H_
