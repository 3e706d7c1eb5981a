// What /api/v1/validity/{asn}/{prefix} and /validity?asn=&prefix= answer:
// the RFC 6811 state of a route against the served set (roa/validity.h), in
// the JSON shape Routinator's /validity API has (so scripts written for it
// work), with what only rtr42 knows added:
//
//   {"validated_route": {
//      "route": {"origin_asn": "AS4242420000", "prefix": "172.20.0.0/24"},
//      "validity": {"state": "valid" | "invalid" | "not-found",
//                   "reason": "as" | "length",          (invalid only)
//                   "description": "...",
//                   "VRPs": {"matched": [VRP], "unmatched_as": [VRP],
//                            "unmatched_length": [VRP]}}},
//    "dropped": [{"source", "file", "line", "object", "reason"}],
//    "serial": 7, "session_id": 1234, "generatedTime": "2026-12-02T19:00:00Z"}
//
// VRP: {"asn": "AS1", "prefix": "...", "max_length": "24" (a string, as
// Routinator writes it), "origins": [{"source", "file", "line", "object",
// "max_length_from": "attribute" | "rule" | "prefix", "max_length_line",
// "rule": {"number", "file", "line", "text"}}]}: for a registry source, the
// route objects that give the VRP and the filter rule that admitted them;
// empty for a VRP of another source or of a SLURM assertion.
// "dropped": the objects of registry sources dropped although their prefix
// covers the route's (from the diagnostics): why a route may be not-found or
// invalid although its owner wrote a route object.
#ifndef RTR42_DAEMON_VALIDITY_REPORT_H_
#define RTR42_DAEMON_VALIDITY_REPORT_H_

#include <cstdint>
#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "daemon/source_loop.h"
#include "roa/prefix.h"
#include "roa/validity.h"
#include "rtr/history.h"

namespace rtr42::daemon {

struct RouteQuery {
  uint32_t origin = 0;
  roa::Prefix prefix;
};

// "AS4242420000" or "4242420000", and a prefix without host bits; the
// error says which is wrong.
absl::StatusOr<RouteQuery> ParseRouteQuery(absl::string_view asn, absl::string_view prefix);

// The report for `query` against `current`'s set, with the origins and
// diagnostics of `status`'s sources.
nlohmann::json ValidityReport(const rtr::Update& current, const LoopStatus& status,
                              const RouteQuery& query, absl::Time now);

}  // namespace rtr42::daemon

#endif  // RTR42_DAEMON_VALIDITY_REPORT_H_
