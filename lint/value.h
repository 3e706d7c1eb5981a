// Value: the abstract value domain of the linter's interpreter. Constants are
// concrete (integers, booleans, enums, strings, tuples, sets, ranges);
// route attributes are unknown; the result of roa_check()/aspa_check() is a
// symbolic state, and a condition on it a predicate (kPred) over the state
// lattice. Values derived from a state in ways not decoded are "tainted" and
// keep the locations of the checks they come from.
#ifndef RTR42_LINT_VALUE_H_
#define RTR42_LINT_VALUE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "lint/state_lattice.h"
#include "lint/token.h"

namespace rtr42::lint {

bool IsCommunityAttribute(const std::string& name);

struct Value {
  enum class Kind {
    kUnknown,
    kInt,
    kBool,
    kEnum,
    kString,
    kTuple,
    kSet,
    kList,
    kWildcard,
    kRange,
    kState,
    kPred
  };
  Kind kind = Kind::kUnknown;
  int64_t num = 0;
  std::string text;  // enum name, string
  Checker checker = Checker::kRoa;
  Mask can_true = kAll, can_false = kAll;  // kPred (and tainted unknowns)
  std::string ext, ext_type;               // kTuple
  std::vector<Value> elems;                // kTuple, kSet, kList, kRange
  bool tainted = false;                    // derived from validation state in a way not decoded
  std::vector<Location> origins;           // the checks this value derives from (few)
  // Extra explanation a condition on this value adds to a path (where a tag
  // that holds validation state was written).
  std::vector<std::pair<Location, std::string>> notes;

  bool symbolic() const { return kind == Kind::kState || kind == Kind::kPred || tainted; }

  // "?", "42", "(64512, 1)", "<roa state>", "[1, 2..5]"...
  std::string Repr() const;

  void AddOrigins(const Value& other) {
    for (const Location& l : other.origins) AddOrigin(l);
    for (const auto& n : other.notes) {
      if (notes.size() < 8) notes.push_back(n);
    }
    tainted = tainted || other.tainted;
  }
  void AddOrigin(const Location& l) {
    for (const Location& o : origins) {
      if (o.file == l.file && o.line == l.line && o.column == l.column) return;
    }
    origins.push_back(l);
  }
};

Value Unknown();

Value Int(int64_t n);

Value Bool(bool b);

// A declared variable before its first assignment: a value of its own that
// equals no constant (not "anything", which would hide a finding).
Value UnsetValue();

// A value derived from validation state that we cannot follow exactly.
Value TaintedFrom(const Value& a, const Value* b = nullptr);

// The truth masks of a value used as a condition.
void Truth(const Value& v, Mask* t, Mask* f);

// A boolean that is true under the states `t` and false under `f`. Built
// from `a` (and `b`): if neither derives from validation state, the masks can
// only say "always", "never" or "unknown".
Value Pred(Mask t, Mask f, const Value& a, const Value* b = nullptr);

}  // namespace rtr42::lint

#endif  // RTR42_LINT_VALUE_H_
