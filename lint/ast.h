// The parts of a BIRD configuration the linter reasons about.
//
// Expressions and statements of the filter language are kept whole; of the
// rest, only what names filters and functions is kept: `define`s, custom
// `attribute bgp` declarations, and the import/export clauses of protocols and
// templates (with the protocol they sit in).
#ifndef RTR42_LINT_AST_H_
#define RTR42_LINT_AST_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lint/token.h"

namespace rtr42::lint {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

// The name of the value a declared variable has before it is assigned.
inline constexpr char kUnsetName[] = "-unset-";

struct Expr {
  enum class Kind {
    kNumber,    // text
    kAddress,   // text (also prefixes, prefix patterns)
    kString,    // text
    kName,      // text: a variable, attribute, constant or define
    kTuple,     // args: 2 or 3 parts; `ext` names an extended community type
    kSet,       // args: items
    kRange,     // args[0] .. args[1]
    kWildcard,  // *
    kPathMask,  // [= ... =]
    kUnary,     // text: "!" or "-"; args[0]
    kBinary,    // text: operator; args[0], args[1]
    kCall,      // text: function; args
    kMethod,    // text: method; args[0] is the object, the rest arguments
    kField,     // text: field; args[0] is the object
  };
  Kind kind;
  std::string text;
  std::string ext;       // kTuple: "", "rt", "ro", "generic", "unknown"
  std::string ext_type;  // kTuple with ext "unknown": the type number
  std::vector<ExprPtr> args;
  Location location;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Block = std::vector<StmtPtr>;

struct CaseArm {
  std::vector<ExprPtr> labels;  // empty: the else arm
  Block body;
  Location location;
};

struct Stmt {
  enum class Kind { kBlock, kIf, kCase, kAccept, kReject, kReturn, kAssign, kExpr, kFor, kNop };
  Kind kind;
  Location location;
  ExprPtr expr;        // if/case: condition; assign: value; expr: the call; return: value
  std::string target;  // assign: the name assigned (a variable or attribute)
  Block body;          // block; if: then; for: body
  Block else_body;     // if: else
  std::vector<CaseArm> arms;
};

struct Function {
  std::string name;
  std::vector<std::string> params;
  std::vector<std::string> locals;  // declared before the body (BIRD < 2.14)
  Block body;
  Location location;
};

struct Clause {
  bool is_export = false;
  std::string protocol;  // "bgp peer1" or "template bgp dnpeers"
  enum class Kind { kFilterName, kInline, kWhere, kOther } kind = Kind::kOther;
  std::string filter_name;                  // kFilterName
  std::shared_ptr<Function> inline_filter;  // kInline, kWhere (a where is made into a filter)
  Location location;
};

struct Config {
  std::map<std::string, std::shared_ptr<Function>> functions;
  std::map<std::string, std::shared_ptr<Function>> filters;
  std::map<std::string, std::shared_ptr<Expr>> defines;
  std::map<std::string, Location> custom_attributes;  // attribute bgp N TYPE NAME
  std::vector<Clause> clauses;
};

}  // namespace rtr42::lint

#endif  // RTR42_LINT_AST_H_
