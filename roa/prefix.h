// Prefix: an IPv4 or IPv6 network (address and length) as a small value type.
//
// The address is kept in 16 bytes in network order (IPv4 in the first four),
// host bits are always zero, and the type orders IPv4 before IPv6, then by
// address, then by length. Parse() is strict: it rejects host bits, lengths
// out of range and anything inet_pton(3) does not accept; ToString() gives
// the canonical text (RFC 5952 for IPv6).
#ifndef RTR42_ROA_PREFIX_H_
#define RTR42_ROA_PREFIX_H_

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rtr42::roa {

enum class Family : uint8_t { kIpv4 = 4, kIpv6 = 6 };

inline constexpr uint8_t MaxLength(Family family) { return family == Family::kIpv4 ? 32 : 128; }
inline constexpr int AddressBytes(Family family) { return family == Family::kIpv4 ? 4 : 16; }

class Prefix {
 public:
  Prefix() = default;

  // Parses "a.b.c.d/len" or "x:y::z/len". The error says what is wrong.
  static absl::StatusOr<Prefix> Parse(absl::string_view text);
  // Builds a prefix from raw network-order bytes (4 or 16 of them are read).
  // Returns an error when `length` is out of range or host bits are set.
  static absl::StatusOr<Prefix> FromBytes(Family family, const uint8_t* bytes, uint8_t length);

  Family family() const { return family_; }
  uint8_t length() const { return length_; }
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  bool is_ipv4() const { return family_ == Family::kIpv4; }

  // True if `other` is of the same family and lies wholly inside this prefix.
  bool Contains(const Prefix& other) const;

  std::string ToString() const;
  // The address alone, without the length.
  std::string AddressString() const;

  friend auto operator<=>(const Prefix&, const Prefix&) = default;
  friend bool operator==(const Prefix&, const Prefix&) = default;

  template <typename H>
  friend H AbslHashValue(H h, const Prefix& p) {
    return H::combine(std::move(h), p.family_, p.length_, p.bytes_);
  }

 private:
  // Member order is the sort order.
  Family family_ = Family::kIpv4;
  std::array<uint8_t, 16> bytes_{};
  uint8_t length_ = 0;
};

}  // namespace rtr42::roa

#endif  // RTR42_ROA_PREFIX_H_
