#include "rtr/payload_order.h"

#include <tuple>

namespace rtr42::rtr {
namespace {

// Router Keys: SKI, then SPKI length, then SPKI, then ASN.
auto RouterKeyKey(const Pdu& p) {
  return std::make_tuple(std::string_view(p.ski), p.spki.size(), std::string_view(p.spki),
                         p.router_key_asn);
}

}  // namespace

bool PrecedesInResponse(const Pdu& a, const Pdu& b) {
  if (a.type != b.type) return static_cast<uint8_t>(a.type) < static_cast<uint8_t>(b.type);
  if (a.announce != b.announce) return a.announce;
  switch (a.type) {
    case PduType::kIpv4Prefix:
    case PduType::kIpv6Prefix:
      // roa::Vrp sorts by address, max length, prefix length, ASN.
      return a.announce ? b.vrp < a.vrp : a.vrp < b.vrp;
    case PduType::kRouterKey:
      return RouterKeyKey(a) < RouterKeyKey(b);
    case PduType::kAspa:
      return a.aspa.customer < b.aspa.customer;
    default:
      return false;
  }
}

}  // namespace rtr42::rtr
