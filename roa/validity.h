// Route origin validation (RFC 6811 section 2) of one route against a
// VrpSet, with the VRPs that decided it.
//
// A VRP covers a route when its prefix contains the route's prefix. A
// covering VRP matches when the route's length is at most its max length
// and its ASN is the route's origin; a VRP for AS 0 matches no route, and a
// route whose origin is AS 0 (or NONE) matches no VRP (RFC 6483 section 4,
// RFC 7607). The route is Valid when a VRP matches, Invalid when VRPs cover
// it and none matches, NotFound when none covers it. The covering VRPs that
// do not match are split as Routinator's /validity API splits them: by ASN
// (another origin) and by length (the origin, but the route is longer than
// the VRP's max length).
#ifndef RTR42_ROA_VALIDITY_H_
#define RTR42_ROA_VALIDITY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "roa/prefix.h"
#include "roa/vrp.h"

namespace rtr42::roa {

enum class RouteState { kValid, kInvalid, kNotFound };

// "valid", "invalid", "not-found" (the words of Routinator's API).
absl::string_view RouteStateName(RouteState state);

struct RouteValidity {
  RouteState state = RouteState::kNotFound;
  std::vector<Vrp> matched;           // sorted
  std::vector<Vrp> unmatched_as;      // covering, another ASN
  std::vector<Vrp> unmatched_length;  // covering, the ASN, the route too long
};

// A few binary searches per possible covering length (33 for IPv4, 129 for
// IPv6), never a scan: the same cost at ten million VRPs as at ten.
RouteValidity ValidateRoute(const VrpSet& set, uint32_t origin, const Prefix& route);

// The covering VRPs of `route`, sorted (what ValidateRoute() looks at).
std::vector<Vrp> CoveringVrps(const VrpSet& set, const Prefix& route);

}  // namespace rtr42::roa

#endif  // RTR42_ROA_VALIDITY_H_
