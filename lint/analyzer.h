// Analyze(): finds BIRD filters that signal RPKI validation state in
// transitive BGP attributes (draft-spaghetti-sidrops-avoid-rpki-state-in-bgp).
//
// The parts, each its own file: the state lattice (state_lattice.h), the value
// domain (value.h), paths (path.h), the interpreter (interpreter.h), the rules
// (rules.h), and this driver, which runs every entry point and reports.
//
// Every filter (named, inline, or `where`) is executed symbolically, path by
// path, with functions inlined: constants are evaluated, route attributes are
// unknown, declared variables start unset (a value of their own), and the
// result of roa_check()/aspa_check() is a symbolic state. A path carries the
// set of validation states it can be taken under (a mask over ROA x ASPA
// states), the tags it writes (sure, or "maybe" once paths that differ only
// in their writes are merged), and how it ends (accept, reject). A function
// that no filter reaches is run on its own (its paths survive unless they
// reject). A tag, an attribute and a value wherever it is written, is
// reported when it separates the validation states of the routes that
// survive: the states of surviving paths with the tag differ from those
// without it, or its value itself is the state. Tags found so become
// carriers: in a further pass (kMaxCarrierPasses), a condition testing for
// one is a condition on the state, in any filter. Rules:
//   validation-state-community  bgp_community / bgp_ext_community /
//                               bgp_large_community written by validation state
//   validation-state-attribute  a custom `attribute bgp` written by validation state
//   rfc8097-community           the RFC 8097 origin validation state extended
//                               community written anywhere
#ifndef RTR42_LINT_ANALYZER_H_
#define RTR42_LINT_ANALYZER_H_

#include <string>
#include <vector>

#include "lint/ast.h"
#include "lint/rules.h"
#include "lint/token.h"

namespace rtr42::lint {

struct Note {
  Location location;
  std::string message;
};

struct Finding {
  std::string rule;
  Location location;
  std::string message;
  std::vector<Note> notes;  // the path from the check to the write
};

struct Analysis {
  std::vector<Finding> findings;      // sorted by file and line, suppressions applied
  std::vector<std::string> warnings;  // e.g. analysis limits reached
  size_t suppressed = 0;
};

// The findings' locations point at file names owned by `tokens`: keep it alive
// as long as the Analysis is used.
Analysis Analyze(const Config& config, const TokenStream& tokens);

}  // namespace rtr42::lint

#endif  // RTR42_LINT_ANALYZER_H_
