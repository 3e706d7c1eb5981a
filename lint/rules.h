// The linter's rules: their ids and explanations (Rules(), for --explain and
// SARIF), and the value tests the rules apply: IsRfc8097() (rfc8097-community),
// Matches() (does a delete/filter pattern remove a tag), Describe() (a tag in
// a finding). Which rule a write breaks is decided in Analyze() (analyzer.cc).
#ifndef RTR42_LINT_RULES_H_
#define RTR42_LINT_RULES_H_

#include <string>
#include <vector>

#include "lint/value.h"

namespace rtr42::lint {

// The rules bird-rpki-lint reports, with their --explain texts.
struct RuleInfo {
  const char* id;
  const char* summary;
  const char* explanation;
};
const std::vector<RuleInfo>& Rules();

bool IsRfc8097(const Value& v);

bool Matches(const Value& pattern, const Value& v);

std::string Describe(const std::string& attr, const Value& v);

}  // namespace rtr42::lint

#endif  // RTR42_LINT_RULES_H_
