// Vrp and VrpSet: the validated ROA payload a cache serves.
//
// A Vrp is (prefix, max length, origin ASN). A VrpSet is an immutable,
// sorted, duplicate-free vector of them; Diff() of two sets walks both once
// and yields what the second announces and withdraws relative to the first.
//
// Vrps sort IPv4 before IPv6, then by address, max length, prefix length and
// ASN, all ascending: the order draft-ietf-sidrops-8210bis-27 section 11.2.1
// prescribes for withdrawals. Its order for announcements is the reverse, so
// the RTR encoder walks a sorted vector forwards or backwards and never sorts.
#ifndef RTR42_ROA_VRP_H_
#define RTR42_ROA_VRP_H_

#include <compare>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "roa/prefix.h"

namespace rtr42::roa {

// The most providers one ASPA PDU can hold: (65,535 - 12) / 4 (8210bis
// section 5.1 caps a PDU at 65,535 bytes).
inline constexpr size_t kMaxAspaProviders = 16380;

struct Vrp {
  Prefix prefix;
  uint8_t max_length = 0;
  uint32_t asn = 0;

  friend std::strong_ordering operator<=>(const Vrp& a, const Vrp& b) {
    if (auto c = a.prefix.family() <=> b.prefix.family(); c != 0) return c;
    if (auto c = a.prefix.bytes() <=> b.prefix.bytes(); c != 0) return c;
    if (auto c = a.max_length <=> b.max_length; c != 0) return c;
    if (auto c = a.prefix.length() <=> b.prefix.length(); c != 0) return c;
    return a.asn <=> b.asn;
  }
  friend bool operator==(const Vrp&, const Vrp&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const Vrp& v) {
    return H::combine(std::move(h), v.prefix, v.max_length, v.asn);
  }
  // "172.20.0.0/24-28 AS4242420000"
  std::string ToString() const;
};

// An ASPA record (draft-ietf-sidrops-aspa-profile): the providers a customer
// AS authorises. In a VrpDiff a changed record is the old one withdrawn and
// the new one announced (so diffs compose as sets); on the wire that pair is
// one announcement, which replaces the record (8210bis section 5.12).
struct Aspa {
  uint32_t customer = 0;
  std::vector<uint32_t> providers;  // sorted, unique

  friend auto operator<=>(const Aspa&, const Aspa&) = default;
  friend bool operator==(const Aspa&, const Aspa&) = default;
  // "AS64496 => AS64497, AS64498"
  std::string ToString() const;
};

// A BGPsec Router Key (RFC 8210 section 5.10, RFC 8635): the router
// certificate's Subject Key Identifier (20 bytes), its AS and its
// subjectPublicKeyInfo (DER). Keys sort as 8210bis-27 section 11.2.2 orders
// Router Key PDUs: SKI, then SPKI length, then SPKI, then ASN.
struct RouterKey {
  std::string ski;  // 20 bytes
  uint32_t asn = 0;
  std::string spki;  // DER

  friend std::strong_ordering operator<=>(const RouterKey& a, const RouterKey& b) {
    if (auto c = a.ski <=> b.ski; c != 0) return c;
    if (auto c = a.spki.size() <=> b.spki.size(); c != 0) return c;
    if (auto c = a.spki <=> b.spki; c != 0) return c;
    return a.asn <=> b.asn;
  }
  friend bool operator==(const RouterKey&, const RouterKey&) = default;
  // "AS64496 SKI 0a1b... (91-byte key)"
  std::string ToString() const;
};
inline constexpr size_t kSkiSize = 20;

struct VrpDiff {
  std::vector<Vrp> announced;            // sorted
  std::vector<Vrp> withdrawn;            // sorted
  std::vector<RouterKey> key_announced;  // sorted
  std::vector<RouterKey> key_withdrawn;  // sorted
  std::vector<Aspa> aspa_announced;      // sorted
  std::vector<Aspa> aspa_withdrawn;      // sorted
  bool empty() const {
    return announced.empty() && withdrawn.empty() && key_announced.empty() &&
           key_withdrawn.empty() && aspa_announced.empty() && aspa_withdrawn.empty();
  }
  size_t size() const {
    return announced.size() + withdrawn.size() + key_announced.size() + key_withdrawn.size() +
           aspa_announced.size() + aspa_withdrawn.size();
  }
  friend bool operator==(const VrpDiff&, const VrpDiff&) = default;
};

class VrpSet {
 public:
  VrpSet() = default;
  // Sorts and removes duplicates. ASPA records of the same customer are
  // merged (the union of their providers, sorted and unique), and AS 0 is
  // removed from any record that has another provider (8210bis section 5.12:
  // AS 0 alone means "no provider"). A record with more providers than one
  // PDU can carry (rtr::kMaxAspaProviders) is dropped whole, never cut: its
  // customer is in oversized_aspas().
  explicit VrpSet(std::vector<Vrp> vrps, std::vector<Aspa> aspas = {},
                  std::vector<RouterKey> router_keys = {});

  const std::vector<Vrp>& vrps() const { return vrps_; }
  size_t size() const { return vrps_.size(); }
  size_t ipv4_count() const { return ipv4_count_; }
  size_t ipv6_count() const { return vrps_.size() - ipv4_count_; }
  bool Contains(const Vrp& vrp) const;
  // By customer.
  const std::vector<Aspa>& aspas() const { return aspas_; }
  // Sorted, unique (RFC 8210 section 5.10; versions 1 and 2).
  const std::vector<RouterKey>& router_keys() const { return router_keys_; }
  // Customers whose records were dropped for size.
  const std::vector<uint32_t>& oversized_aspas() const { return oversized_aspas_; }

  friend bool operator==(const VrpSet& a, const VrpSet& b) {
    return a.vrps_ == b.vrps_ && a.aspas_ == b.aspas_ && a.router_keys_ == b.router_keys_;
  }

 private:
  std::vector<Vrp> vrps_;
  std::vector<Aspa> aspas_;
  std::vector<RouterKey> router_keys_;
  std::vector<uint32_t> oversized_aspas_;
  size_t ipv4_count_ = 0;
};

// What `to` has that `from` lacks (announced) and the reverse (withdrawn).
VrpDiff Diff(const VrpSet& from, const VrpSet& to);
// How many VRPs of `from` are not in `to` (Diff's withdrawn count, without
// building the diff).
size_t CountWithdrawn(const VrpSet& from, const VrpSet& to);

// Composes two consecutive diffs (a: s0->s1, b: s1->s2) into s0->s2.
VrpDiff Compose(const VrpDiff& a, const VrpDiff& b);

}  // namespace rtr42::roa

#endif  // RTR42_ROA_VRP_H_
