#include "roa/filter_policy.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace rtr42::roa {
namespace {

bool ParseSmallNumber(absl::string_view text, int max, int* out) {
  if (text.empty() || text.size() > 9 ||
      text.find_first_not_of("0123456789") != absl::string_view::npos) {
    return false;
  }
  int value = 0;
  if (!absl::SimpleAtoi(text, &value) || value > max) return false;
  *out = value;
  return true;
}

}  // namespace

absl::StatusOr<FilterPolicy> FilterPolicy::Parse(absl::string_view text, Family family,
                                                 std::string path) {
  FilterPolicy policy;
  policy.path_ = std::move(path);
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    size_t hash = line.find('#');
    if (hash != absl::string_view::npos) line = line.substr(0, hash);
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (fields.empty()) continue;
    auto error = [&](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat(policy.path_, ":", line_number, ": ", what));
    };
    if (fields.size() != 5) {
      return error(absl::StrCat("expected 5 fields (Nr Action Prefix MinLen MaxLen), found ",
                                fields.size()));
    }
    FilterRule rule;
    rule.line = line_number;
    if (!ParseSmallNumber(fields[0], 999999999, &rule.number)) {
      return error(absl::StrCat("rule number '", fields[0], "' is not a number"));
    }
    std::string action = absl::AsciiStrToLower(std::string(fields[1]));
    if (action == "permit") {
      rule.permit = true;
    } else if (action != "deny") {
      return error(absl::StrCat("action '", fields[1], "' is neither permit nor deny"));
    }
    absl::StatusOr<Prefix> network = Prefix::Parse(fields[2]);
    if (!network.ok()) return error(network.status().message());
    if (network->family() != family) {
      return error(absl::StrCat(fields[2], " is not an ", family == Family::kIpv4 ? "IPv4" : "IPv6",
                                " prefix"));
    }
    rule.network = *network;
    int min_len = 0, max_len = 0;
    if (!ParseSmallNumber(fields[3], MaxLength(family), &min_len)) {
      return error(absl::StrCat("MinLen '", fields[3], "' is not a length"));
    }
    if (!ParseSmallNumber(fields[4], MaxLength(family), &max_len)) {
      return error(absl::StrCat("MaxLen '", fields[4], "' is not a length"));
    }
    if (min_len > max_len) {
      return error(absl::StrCat("MinLen ", min_len, " is above MaxLen ", max_len));
    }
    rule.min_length = static_cast<uint8_t>(min_len);
    rule.max_length = static_cast<uint8_t>(max_len);
    policy.rules_.push_back(rule);
  }
  std::stable_sort(policy.rules_.begin(), policy.rules_.end(),
                   [](const FilterRule& a, const FilterRule& b) { return a.number < b.number; });
  for (size_t i = 0; i < policy.rules_.size(); ++i) {
    policy.first_rule_.try_emplace(policy.rules_[i].network, i);
    policy.lengths_.push_back(policy.rules_[i].network.length());
  }
  std::sort(policy.lengths_.begin(), policy.lengths_.end());
  policy.lengths_.erase(std::unique(policy.lengths_.begin(), policy.lengths_.end()),
                        policy.lengths_.end());
  return policy;
}

const FilterRule* FilterPolicy::Match(const Prefix& prefix) const {
  // The networks that contain `prefix` are its truncations; the first rule
  // of any of them is the answer.
  const size_t none = rules_.size();
  size_t best = none;
  for (uint8_t length : lengths_) {
    if (length > prefix.length()) break;
    std::array<uint8_t, 16> bytes = prefix.bytes();
    for (int bit = length; bit < AddressBytes(prefix.family()) * 8; ++bit) {
      bytes[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
    }
    absl::StatusOr<Prefix> network = Prefix::FromBytes(prefix.family(), bytes.data(), length);
    if (!network.ok()) continue;
    auto it = first_rule_.find(*network);
    if (it != first_rule_.end() && it->second < best) best = it->second;
  }
  return best == none ? nullptr : &rules_[best];
}

}  // namespace rtr42::roa
