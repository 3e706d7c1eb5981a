// Interpreter: runs one BIRD filter symbolically, path by path, with user
// functions inlined (to kMaxCallDepth, a recursive one kMaxRecursion
// times) and at most kMaxPaths paths (more
// are merged, with a warning). Statements (interpreter_statements.cc) split
// and end paths and record tag writes and removals; expressions
// (interpreter_expressions.cc) evaluate to Values. `config` and `out` must
// outlive it.
#ifndef RTR42_LINT_INTERPRETER_H_
#define RTR42_LINT_INTERPRETER_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lint/analyzer.h"
#include "lint/ast.h"
#include "lint/path.h"
#include "lint/value.h"

namespace rtr42::lint {

constexpr size_t kMaxPaths = 4096;
constexpr int kMaxCallDepth = 16;
// A function that calls itself (directly or not) is inlined this many times
// on one call stack; deeper calls are unknown values. Its body's effects are
// all seen by then, and each level can double the paths: unrolled to
// kMaxCallDepth, one recursive function with an `if` cost seconds.
constexpr int kMaxRecursion = 2;
// Passes over every filter with the tags found to hold validation state.
constexpr int kMaxCarrierPasses = 3;

// A tag found to hold validation state (by an earlier pass over every
// filter): routes have it under `with` and lack it under `without`, so a
// condition that tests for it is a condition on the state.
struct Carrier {
  std::string attr;
  Value value;
  Mask with = kAll, without = kAll;
  Location site;
  std::string entry;
};

class Interpreter {
 public:
  Interpreter(const Config& config, Analysis* out) : config_(config), out_(out) {}

  // Runs one entry filter; returns its finished paths.
  Paths Run(const Function& filter);

  std::vector<Removal> removals;  // removals seen in the last Run()

  // The carriers known for the next Run()s (between passes).
  void SetCarriers(std::vector<Carrier> carriers);
  size_t carrier_count() const { return carriers_.size(); }

 private:
  // --- statements
  Paths Exec(const Block& block, Paths paths);

  Paths Exec(const Stmt& s, Path p);

  // Splits a path on a condition value.
  std::vector<std::pair<Path, bool>> Branch(Path p, const Value& cond, const Location& at);

  Paths ExecCase(const Stmt& s, Path p);

  Paths ExecAssign(const Stmt& s, Path p);

  static bool IsRouteAttribute(const std::string& name);

  // bgp_community = <expr>: the parts of <expr> that add to the attribute are
  // writes, delete/filter/-empty- are removals.
  void RecordCommunityExpression(const std::string& attr, const Expr& e, const Value& whole,
                                 const Location& site, Path* p);

  Paths ExecExprStatement(const Stmt& s, Path p);

  void Write(Path* p, const Location& site, const std::string& attr, const Value& v);

  // A state under a path that pins it is a constant; tuples concretise their parts.
  static Value Concretize(const Value& v, Mask states);

  // --- expressions
  using Results = std::vector<std::pair<Path, Value>>;

  // Does `e` call a user function (which may split paths or end them)?
  bool CallsFunction(const Expr& e);

  // The value of `e` on `p` without copying the path; a user function call
  // gives its first result.
  Value EvalPure(const Expr& e, const Path& p);

  static Value Unary(const std::string& op, const Value& v);

  Value Method(const Expr& e, const Value& obj, const Path& p);

  Results Eval(const Expr& e, Path p);

  static Results One(Path p, Value v);

  Value Lookup(const Expr& e, const Path& p);

  Results EvalBinary(const Expr& e, Path p);

  Value Combine(const std::string& op, const Value& l, const Value& r);
  // A binary expression's value: Combine, except for tests of carriers.
  Value BinaryValue(const Expr& e, const Value& l, const Value& r);

  // `probe ~ attr` (or `attr ~ probe`) where a carrier of `attr` matches:
  // the predicate it stands for; nullopt otherwise.
  std::optional<Value> CarrierTest(const std::string& attr, const Value& probe) const;

  // l = r
  Value Compare(const std::string&, const Value& l, const Value& r);

  Value InSet(const Value& l, const Value& set);

  static bool IsCheck(const std::string& name);
  static Value CheckValue(const Expr& e);

  Results EvalCall(const Expr& e, Path p);

  Paths Merge(Paths paths);

  const Config& config_;
  Analysis* out_;
  int call_depth_ = 0;
  std::map<std::string, int> inlining_;  // functions on the call stack, with their depth
  int define_depth_ = 0;
  std::map<const Expr*, bool> calls_cache_;
  bool limit_warned_ = false;
  std::vector<Carrier> carriers_;
  std::map<std::string, size_t> carrier_index_;  // "attr|repr" of a concrete tag -> carriers_
};

}  // namespace rtr42::lint

#endif  // RTR42_LINT_INTERPRETER_H_
