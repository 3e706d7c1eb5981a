#include "absl/strings/str_cat.h"
#include "lint/parser_impl.h"

namespace rtr42::lint {

ExprPtr Parser::MakeExpr(Expr::Kind kind, const Location& at, std::string text) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->location = at;
  e->text = std::move(text);
  return e;
}

ExprPtr Parser::ParseExpr() {
  if (!Deeper()) return nullptr;
  DepthGuard guard{this};
  return ParseOr();
}

ExprPtr Parser::Binary(ExprPtr l, const Token& op, ExprPtr r) {
  auto e = MakeExpr(Expr::Kind::kBinary, op.location, op.text);
  e->args.push_back(std::move(l));
  e->args.push_back(std::move(r));
  return e;
}

ExprPtr Parser::ParseOr() {
  ExprPtr l = ParseAnd();
  while (AtPunct("||") && error_.ok()) {
    const Token& op = Next();
    l = Binary(std::move(l), op, ParseAnd());
  }
  return l;
}

ExprPtr Parser::ParseAnd() {
  ExprPtr l = ParseCompare();
  while (AtPunct("&&") && error_.ok()) {
    const Token& op = Next();
    l = Binary(std::move(l), op, ParseCompare());
  }
  return l;
}

ExprPtr Parser::ParseCompare() {
  ExprPtr l = ParseAdd();
  while (error_.ok() &&
         (AtPunct("=") || AtPunct("==") || AtPunct("!=") || AtPunct("<") || AtPunct(">") ||
          AtPunct("<=") || AtPunct(">=") || AtPunct("~") || AtPunct("!~"))) {
    const Token& op = Next();
    l = Binary(std::move(l), op, ParseAdd());
  }
  return l;
}

// Is this '+' or '-' the end of a prefix pattern ("10.0.0.0/8+,") rather
// than an operator?
bool Parser::AtPatternSuffix(const Expr* left) const {
  if (!left || left->kind != Expr::Kind::kAddress || !(AtPunct("+") || AtPunct("-"))) return false;
  const Token& after = Peek(1);
  return after.kind == TokenKind::kEnd ||
         (after.kind == TokenKind::kPunct &&
          (after.text == "," || after.text == "]" || after.text == ")" || after.text == ";" ||
           after.text == "}" || after.text == ":"));
}

ExprPtr Parser::ParseAdd() {
  ExprPtr l = ParseMul();
  while (error_.ok() && (AtPunct("+") || AtPunct("-")) && !AtPatternSuffix(l.get())) {
    const Token& op = Next();
    l = Binary(std::move(l), op, ParseMul());
  }
  return l;
}

ExprPtr Parser::ParseMul() {
  ExprPtr l = ParseUnary();
  while (error_.ok() &&
         (AtPunct("*") || AtPunct("/") || AtPunct("%") || AtPunct("&") || AtPunct("|"))) {
    const Token& op = Next();
    l = Binary(std::move(l), op, ParseUnary());
  }
  return l;
}

ExprPtr Parser::ParseUnary() {
  if (AtPunct("!") || AtPunct("-")) {
    if (!Deeper()) return nullptr;
    DepthGuard guard{this};
    const Token& op = Next();
    auto e = MakeExpr(Expr::Kind::kUnary, op.location, op.text);
    e->args.push_back(ParseUnary());
    return e;
  }
  return ParsePostfix();
}

ExprPtr Parser::ParsePostfix() {
  ExprPtr e = ParsePrimary();
  while (e && error_.ok() && AtPunct(".") && Peek(1).kind == TokenKind::kIdentifier) {
    Next();
    const Token& name = Next();
    if (AtPunct("(")) {
      auto m = MakeExpr(Expr::Kind::kMethod, name.location, name.text);
      m->args.push_back(std::move(e));
      Next();
      ParseArgs(&m->args);
      e = std::move(m);
    } else {
      auto f = MakeExpr(Expr::Kind::kField, name.location, name.text);
      f->args.push_back(std::move(e));
      e = std::move(f);
    }
  }
  return e;
}

void Parser::ParseArgs(std::vector<ExprPtr>* args) {
  while (!At(TokenKind::kEnd) && !AtPunct(")") && error_.ok()) {
    args->push_back(ParseExpr());
    if (!Accept(",")) break;
  }
  Expect(")");
}

ExprPtr Parser::ParsePrimary() {
  if (!Deeper()) return nullptr;
  DepthGuard guard{this};
  const Token& tok = Peek();
  Location at = tok.location;
  switch (tok.kind) {
    case TokenKind::kNumber:
      Next();
      return MakeExpr(Expr::Kind::kNumber, at, tok.text);
    case TokenKind::kAddress: {
      Next();
      return MakeExpr(Expr::Kind::kAddress, at, tok.text);
    }
    case TokenKind::kString:
      Next();
      return MakeExpr(Expr::Kind::kString, at, tok.text);
    case TokenKind::kIdentifier: {
      static const std::set<std::string> kReserved = {
          "then",   "else",   "do",       "if",     "case", "accept", "reject",
          "return", "filter", "function", "define", "for",  "print",  "printn"};
      if (kReserved.contains(tok.text) && !Peek(1).Is("(")) {
        Fail(absl::StrCat("unexpected '", tok.text, "' in an expression"));
        return nullptr;
      }
      Next();
      if (AtPunct("(")) {
        auto call = MakeExpr(Expr::Kind::kCall, at, tok.text);
        Next();
        ParseArgs(&call->args);
        return call;
      }
      return MakeExpr(Expr::Kind::kName, at, tok.text);
    }
    case TokenKind::kEnd:
      Fail("unexpected end of the input in an expression");
      return nullptr;
    case TokenKind::kPunct:
      break;
  }
  if (tok.text == "(") {
    Next();
    return ParseParenOrTuple(at);
  }
  if (tok.text == "[") {
    Next();
    if (AtPunct("=")) {  // a path mask [= ... =]
      while (!At(TokenKind::kEnd) && !(AtPunct("=") && Peek(1).Is("]"))) Next();
      Next();
      Expect("]");
      return MakeExpr(Expr::Kind::kPathMask, at);
    }
    auto set = MakeExpr(Expr::Kind::kSet, at);
    while (!At(TokenKind::kEnd) && !AtPunct("]") && error_.ok()) {
      set->args.push_back(ParseSetItem());
      if (!Accept(",")) break;
    }
    Expect("]");
    return set;
  }
  if (tok.text == "*") {
    Next();
    return MakeExpr(Expr::Kind::kWildcard, at);
  }
  Fail(absl::StrCat("unexpected '", tok.text, "' in an expression"));
  return nullptr;
}

ExprPtr Parser::ParseSetItem() {
  Location at = Peek().location;
  ExprPtr item = ParseOr();
  if (item && item->kind == Expr::Kind::kAddress) {
    if (AtPunct("{")) {
      while (!At(TokenKind::kEnd) && !AtPunct("}")) Next();
      Expect("}");
    } else if ((AtPunct("+") || AtPunct("-")) && (Peek(1).Is(",") || Peek(1).Is("]"))) {
      Next();
    }
  }
  if (Accept("..")) {
    auto range = MakeExpr(Expr::Kind::kRange, at);
    range->args.push_back(std::move(item));
    range->args.push_back(ParseOr());
    return range;
  }
  return item;
}

ExprPtr Parser::ParseParenOrTuple(const Location& at) {
  // Extended community: (rt|ro|generic, a, b) or (unknown N, a, b).
  if (At(TokenKind::kIdentifier) &&
      (((Peek().text == "rt" || Peek().text == "ro" || Peek().text == "generic") &&
        Peek(1).Is(",")) ||
       (Peek().text == "unknown" && Peek(1).kind == TokenKind::kNumber))) {
    auto tuple = MakeExpr(Expr::Kind::kTuple, at);
    tuple->ext = Next().text;
    if (tuple->ext == "unknown") tuple->ext_type = Next().text;
    while (Accept(",") && error_.ok()) tuple->args.push_back(ParseSetItem());
    Expect(")");
    if (tuple->args.size() != 2) Fail(at, "an extended community has two parts after its type");
    return tuple;
  }
  ExprPtr first = ParseSetItem();
  if (!AtPunct(",")) {
    Expect(")");
    return first;
  }
  auto tuple = MakeExpr(Expr::Kind::kTuple, at);
  tuple->args.push_back(std::move(first));
  while (Accept(",") && error_.ok()) tuple->args.push_back(ParseSetItem());
  Expect(")");
  if (tuple->args.size() > 3) Fail(at, "a community has two or three parts");
  return tuple;
}

}  // namespace rtr42::lint
