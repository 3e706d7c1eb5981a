#include "roa/prefix.h"

#include <arpa/inet.h>

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rtr42::roa {
namespace {

bool HostBitsSet(const std::array<uint8_t, 16>& bytes, Family family, uint8_t length) {
  const int total = AddressBytes(family);
  for (int i = 0; i < total; ++i) {
    int bits_in_net = static_cast<int>(length) - i * 8;
    uint8_t mask = bits_in_net >= 8   ? 0xff
                   : bits_in_net <= 0 ? 0x00
                                      : uint8_t(0xff << (8 - bits_in_net));
    if (bytes[i] & ~mask) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<Prefix> Prefix::Parse(absl::string_view text) {
  size_t slash = text.find('/');
  if (slash == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' has no prefix length"));
  }
  std::string address(text.substr(0, slash));
  absl::string_view length_text = text.substr(slash + 1);
  uint32_t length = 0;
  bool digits_only = !length_text.empty() && length_text.size() <= 3 &&
                     length_text.find_first_not_of("0123456789") == absl::string_view::npos;
  if (!digits_only || !absl::SimpleAtoi(length_text, &length)) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' has a bad prefix length"));
  }
  std::array<uint8_t, 16> bytes{};
  Family family;
  if (address.find(':') != std::string::npos) {
    family = Family::kIpv6;
    if (inet_pton(AF_INET6, address.c_str(), bytes.data()) != 1) {
      return absl::InvalidArgumentError(absl::StrCat("'", address, "' is not an IPv6 address"));
    }
  } else {
    family = Family::kIpv4;
    if (inet_pton(AF_INET, address.c_str(), bytes.data()) != 1) {
      return absl::InvalidArgumentError(absl::StrCat("'", address, "' is not an IPv4 address"));
    }
  }
  if (length > MaxLength(family)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "': length ", length, " is longer than ", MaxLength(family)));
  }
  if (HostBitsSet(bytes, family, static_cast<uint8_t>(length))) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' has host bits set"));
  }
  Prefix p;
  p.family_ = family;
  p.bytes_ = bytes;
  p.length_ = static_cast<uint8_t>(length);
  return p;
}

absl::StatusOr<Prefix> Prefix::FromBytes(Family family, const uint8_t* bytes, uint8_t length) {
  if (length > MaxLength(family)) {
    return absl::InvalidArgumentError(absl::StrCat("prefix length ", length, " is out of range"));
  }
  Prefix p;
  p.family_ = family;
  std::memcpy(p.bytes_.data(), bytes, AddressBytes(family));
  p.length_ = length;
  if (HostBitsSet(p.bytes_, family, length)) {
    return absl::InvalidArgumentError(absl::StrCat(p.ToString(), " has host bits set"));
  }
  return p;
}

bool Prefix::Contains(const Prefix& other) const {
  if (family_ != other.family_ || other.length_ < length_) return false;
  int full = length_ / 8;
  if (std::memcmp(bytes_.data(), other.bytes_.data(), full) != 0) return false;
  int rest = length_ % 8;
  if (rest == 0) return true;
  uint8_t mask = uint8_t(0xff << (8 - rest));
  return (bytes_[full] & mask) == (other.bytes_[full] & mask);
}

std::string Prefix::AddressString() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(is_ipv4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof(buf));
  return buf;
}

std::string Prefix::ToString() const { return absl::StrCat(AddressString(), "/", length_); }

}  // namespace rtr42::roa
