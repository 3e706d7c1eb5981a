// The status page `/` of --http: what the cache is doing, for a person with
// a browser. One server-rendered HTML document with its own small style
// sheet, no external assets and no script:
//
//   * the served set: session id, serial, VRPs by family, ASPA records,
//     router keys, and the routers connected now;
//   * each source: its state (ok, failing, warning, expired, starting), last
//     success, last failure and why, revision, objects, VRPs and its
//     withdraw guard;
//   * the routers (rtr::Server::Sessions()): peer, transport, RTR version,
//     the serial they were last answered with, connected since, bytes sent,
//     queries and the last one;
//   * the retained serial history: a table of the newest steps (time, +/-,
//     revision) and an inline SVG chart of the VRP count per family;
//   * a lookup form (GET /?asn=&prefix=) showing the route's validity as
//     /validity explains it (daemon/validity_report.h);
//   * the diagnostics as a table, filtered by GET /?q=TEXT (case-insensitive,
//     any column).
//
// Elements a test or a scraper reads carry ids: #serial, #session-id,
// #vrps-ipv4, #vrps-ipv6, #aspas, #routers (rows .router), #sources (rows
// .source), #history, #history-chart, #lookup-result (data-state), and
// #diagnostics (rows .diagnostic, #diagnostics-count).
#ifndef RTR42_DAEMON_STATUS_PAGE_H_
#define RTR42_DAEMON_STATUS_PAGE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "daemon/source_loop.h"
#include "rtr/history.h"
#include "rtr/server.h"

namespace rtr42::daemon {

struct StatusPageRequest {
  std::optional<std::string> asn;  // with `prefix`: the lookup
  std::optional<std::string> prefix;
  std::string filter;  // of the diagnostics; empty: all
};

// Table rows beyond these are counted, not shown.
inline constexpr size_t kStatusHistoryRows = 20;
inline constexpr size_t kStatusDiagnosticRows = 2000;

// `current` may be null (no set yet).
std::string RenderStatusPage(const LoopStatus& status, const rtr::Update* current,
                             const std::vector<rtr::SessionInfo>& sessions,
                             const StatusPageRequest& request, absl::Time now);

// &, <, >, " and ' as entities.
std::string HtmlEscape(absl::string_view text);

}  // namespace rtr42::daemon

#endif  // RTR42_DAEMON_STATUS_PAGE_H_
