// Parser: the recursive-descent parser behind Parse() (lint/parser.h), one
// object per token stream. Token helpers, the top level and statements are in
// parser.cc; expressions in parser_expressions.cc. The first error stops it
// (error_), so every parse is bounded; nesting deeper than kMaxDepth is an
// error. `in` must outlive it.
#ifndef RTR42_LINT_PARSER_IMPL_H_
#define RTR42_LINT_PARSER_IMPL_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lint/ast.h"
#include "lint/token.h"

namespace rtr42::lint {

constexpr int kMaxDepth = 200;

// Type names that start a declaration ("int x;", "prefix set s = [...]").
const std::set<std::string>& TypeNames();

class Parser {
 public:
  explicit Parser(const TokenStream& in) : t_(in.tokens) {}

  absl::StatusOr<Config> Run();

 private:
  // --- token helpers
  const Token& Peek(size_t k = 0) const;
  bool At(TokenKind kind) const { return Peek().kind == kind; }
  bool AtWord(const char* w) const;
  bool AtPunct(const char* p) const { return Peek().kind == TokenKind::kPunct && Peek().text == p; }
  const Token& Next();
  bool Accept(const char* p);
  void Fail(const std::string& message) { Fail(Peek().location, message); }
  void Fail(const Location& at, const std::string& message);
  void Expect(const char* p);
  std::string Name(const char* what);
  bool Deeper();
  struct DepthGuard {
    Parser* p;
    ~DepthGuard() { --p->depth_; }
  };

  // Skips one top-level statement: to a ';' outside braces, or past a
  // balanced {...} block (and a ';' right after it).
  void SkipStatement();

  // --- top level
  void TopLevel();

  // Inside protocol { ... }: finds import/export clauses at any depth.
  void ScanProtocolBody(const std::string& protocol);

  void ParseClause(const std::string& protocol);

  // [local declarations] { statements }
  void ParseFunctionBody(Function* f);

  void SkipType();

  Block ParseStatementsUntil(const char* end);

  StmtPtr Make(Stmt::Kind kind, const Location& at);

  Block BodyOf(StmtPtr s);

  StmtPtr ParseStatement();

  // Is the next thing a case label ("ROA_VALID:", "1, 2:", "else:")?
  bool AtCaseLabel() const;

  // --- expressions
  ExprPtr MakeExpr(Expr::Kind kind, const Location& at, std::string text = "");

  ExprPtr ParseExpr();
  ExprPtr Binary(ExprPtr l, const Token& op, ExprPtr r);
  ExprPtr ParseOr();
  ExprPtr ParseAnd();
  ExprPtr ParseCompare();
  ExprPtr ParseAdd();
  bool AtPatternSuffix(const Expr* left) const;
  ExprPtr ParseMul();
  ExprPtr ParseUnary();
  ExprPtr ParsePostfix();
  void ParseArgs(std::vector<ExprPtr>* args);

  ExprPtr ParsePrimary();

  // A set or case item: an expression, a range a..b, a prefix pattern
  // (10.0.0.0/8+, 10.0.0.0/8{16,24}, 10.0.0.0/8-).
  ExprPtr ParseSetItem();

  ExprPtr ParseParenOrTuple(const Location& at);

  const std::vector<Token>& t_;
  size_t pos_ = 0;
  int depth_ = 0;
  Config config_;
  absl::Status error_;
};

}  // namespace rtr42::lint

#endif  // RTR42_LINT_PARSER_IMPL_H_
