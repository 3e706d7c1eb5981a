#include "roa/validity.h"

#include <algorithm>

namespace rtr42::roa {
namespace {

// `route` cut to its first `length` bits.
Prefix Truncate(const Prefix& route, uint8_t length) {
  std::array<uint8_t, 16> bytes = route.bytes();
  for (int bit = length; bit < AddressBytes(route.family()) * 8; ++bit) {
    bytes[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  }
  return *Prefix::FromBytes(route.family(), bytes.data(), length);
}

}  // namespace

absl::string_view RouteStateName(RouteState state) {
  switch (state) {
    case RouteState::kValid:
      return "valid";
    case RouteState::kInvalid:
      return "invalid";
    case RouteState::kNotFound:
      break;
  }
  return "not-found";
}

std::vector<Vrp> CoveringVrps(const VrpSet& set, const Prefix& route) {
  // VRPs sort by family and address bytes first, so those with the address
  // of one covering network are one run of the vector (any max length,
  // prefix length and ASN); of that run, the ones of the network's length
  // cover the route.
  std::vector<Vrp> covering;
  const std::vector<Vrp>& vrps = set.vrps();
  for (int length = 0; length <= route.length(); ++length) {
    Prefix network = Truncate(route, static_cast<uint8_t>(length));
    auto same_address = [](const Vrp& v, const Prefix& p) {
      if (v.prefix.family() != p.family()) return v.prefix.family() < p.family();
      return v.prefix.bytes() < p.bytes();
    };
    auto begin = std::lower_bound(vrps.begin(), vrps.end(), network, same_address);
    for (auto it = begin; it != vrps.end() && it->prefix.family() == network.family() &&
                          it->prefix.bytes() == network.bytes();
         ++it) {
      if (it->prefix.length() == length) covering.push_back(*it);
    }
  }
  std::sort(covering.begin(), covering.end());
  return covering;
}

RouteValidity ValidateRoute(const VrpSet& set, uint32_t origin, const Prefix& route) {
  RouteValidity result;
  for (const Vrp& v : CoveringVrps(set, route)) {
    if (v.asn != origin || v.asn == 0) {
      result.unmatched_as.push_back(v);
    } else if (route.length() > v.max_length) {
      result.unmatched_length.push_back(v);
    } else {
      result.matched.push_back(v);
    }
  }
  if (!result.matched.empty()) {
    result.state = RouteState::kValid;
  } else if (!result.unmatched_as.empty() || !result.unmatched_length.empty()) {
    result.state = RouteState::kInvalid;
  }
  return result;
}

}  // namespace rtr42::roa
