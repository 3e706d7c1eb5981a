// FilterPolicy: the registry's data/filter.txt or data/filter6.txt.
//
// Each rule line is "Nr Action Prefix MinLen MaxLen [# comment]". Rules are
// ordered by number (file order breaks ties) and the first rule whose network
// contains the whole prefix decides. Parse() is strict: a malformed rule line
// is an error naming the file and line, because a policy silently missing a
// deny rule would let bad routes through.
#ifndef RTR42_ROA_FILTER_POLICY_H_
#define RTR42_ROA_FILTER_POLICY_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "roa/prefix.h"

namespace rtr42::roa {

struct FilterRule {
  int number = 0;
  bool permit = false;
  Prefix network;
  uint8_t min_length = 0;
  uint8_t max_length = 0;
  int line = 0;
};

class FilterPolicy {
 public:
  FilterPolicy() = default;

  // `path` is used in error messages only. Every rule must be of `family`.
  static absl::StatusOr<FilterPolicy> Parse(absl::string_view text, Family family,
                                            std::string path);

  // The first rule by number whose network contains `prefix`, or nullptr.
  // A few hash lookups (one per distinct network length), not a scan: a
  // policy of a million rules costs what a short one does.
  const FilterRule* Match(const Prefix& prefix) const;

  const std::vector<FilterRule>& rules() const { return rules_; }
  const std::string& path() const { return path_; }

 private:
  std::vector<FilterRule> rules_;  // sorted by number, stable
  std::string path_;
  absl::flat_hash_map<Prefix, size_t> first_rule_;  // network -> its first rule in rules_
  std::vector<uint8_t> lengths_;                    // the networks' lengths, ascending
};

}  // namespace rtr42::roa

#endif  // RTR42_ROA_FILTER_POLICY_H_
