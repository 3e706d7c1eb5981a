#include "lint/parser.h"

#include "absl/strings/str_cat.h"
#include "lint/parser_impl.h"
#include "lint/source_error.h"

namespace rtr42::lint {

const std::set<std::string>& TypeNames() {
  static const std::set<std::string> names = {"int",        "bool",   "pair",    "quad",    "ip",
                                              "prefix",     "string", "bgppath", "bgpmask", "clist",
                                              "eclist",     "lclist", "ec",      "lc",      "rd",
                                              "bytestring", "enum",   "void",    "route",   "roa"};
  return names;
}

absl::StatusOr<Config> Parser::Run() {
  while (!At(TokenKind::kEnd)) {
    if (!error_.ok()) return error_;
    TopLevel();
  }
  if (!error_.ok()) return error_;
  return std::move(config_);
}

const Token& Parser::Peek(size_t k) const {
  size_t i = std::min(pos_ + k, t_.size() - 1);
  return t_[i];
}

bool Parser::AtWord(const char* w) const {
  return Peek().kind == TokenKind::kIdentifier && Peek().text == w;
}

const Token& Parser::Next() {
  const Token& tok = Peek();
  if (pos_ < t_.size() - 1) ++pos_;
  return tok;
}

bool Parser::Accept(const char* p) {
  if (Peek().kind != TokenKind::kString && Peek().text == p && !At(TokenKind::kEnd)) {
    Next();
    return true;
  }
  return false;
}

void Parser::Fail(const Location& at, const std::string& message) {
  if (error_.ok()) error_ = SourceErrorStatus(&at, message);
  pos_ = t_.size() - 1;  // stop
}

void Parser::Expect(const char* p) {
  if (!Accept(p)) {
    Fail(absl::StrCat(
        "expected '", p, "'",
        At(TokenKind::kEnd) ? " before the end of the input" : ", found '" + Peek().text + "'"));
  }
}

std::string Parser::Name(const char* what) {
  if (!At(TokenKind::kIdentifier)) {
    Fail(absl::StrCat("expected ", what,
                      At(TokenKind::kEnd) ? "" : ", found '" + Peek().text + "'"));
    return "";
  }
  return Next().text;
}

bool Parser::Deeper() {
  if (++depth_ > kMaxDepth) {
    Fail("nesting too deep");
    return false;
  }
  return true;
}

void Parser::SkipStatement() {
  int depth = 0;
  while (!At(TokenKind::kEnd)) {
    const Token& tok = Next();
    if (tok.kind == TokenKind::kString) continue;
    if (tok.text == "{") ++depth;
    if (tok.text == "}") {
      if (--depth <= 0) {
        Accept(";");
        return;
      }
    }
    if (tok.text == ";" && depth == 0) return;
  }
}

void Parser::TopLevel() {
  if (AtWord("define")) {
    Next();
    std::string name = Name("a name after define");
    Expect("=");
    ExprPtr value = ParseExpr();
    Expect(";");
    if (value) config_.defines[name] = std::shared_ptr<Expr>(std::move(value));
    return;
  }
  if (AtWord("function")) {
    Next();
    auto f = std::make_shared<Function>();
    f->location = Peek().location;
    f->name = Name("a function name");
    Expect("(");
    while (!At(TokenKind::kEnd) && !AtPunct(")")) {
      // "int a; pair b" (BIRD 2) or "int a, pair b" (BIRD 3)
      SkipType();
      f->params.push_back(Name("a parameter name"));
      if (!Accept(";")) Accept(",");
    }
    Expect(")");
    if (Accept("->")) SkipType();
    ParseFunctionBody(f.get());
    config_.functions[f->name] = f;
    return;
  }
  if (AtWord("filter")) {
    Next();
    auto f = std::make_shared<Function>();
    f->location = Peek().location;
    f->name = Name("a filter name");
    ParseFunctionBody(f.get());
    config_.filters[f->name] = f;
    return;
  }
  if (AtWord("attribute")) {
    // attribute bgp NUM TYPE NAME;
    Location at = Next().location;
    if (AtWord("bgp")) {
      Next();
      Next();  // the attribute code
      SkipType();
      std::string name = Name("an attribute name");
      config_.custom_attributes[name] = at;
      Expect(";");
      return;
    }
    SkipStatement();
    return;
  }
  if (AtWord("protocol") || AtWord("template")) {
    bool is_template = Peek().text == "template";
    Next();
    std::string label = is_template ? "template " : "";
    label += At(TokenKind::kIdentifier) ? Next().text : "";
    if (At(TokenKind::kIdentifier) && !AtWord("from")) label += " " + Next().text;
    if (AtWord("from")) {
      Next();
      Next();
    }
    if (!AtPunct("{")) {
      SkipStatement();
      return;
    }
    Next();
    ScanProtocolBody(label);
    return;
  }
  SkipStatement();
}

void Parser::ScanProtocolBody(const std::string& protocol) {
  int depth = 1;
  while (!At(TokenKind::kEnd) && depth > 0 && error_.ok()) {
    if ((AtWord("import") || AtWord("export")) && Peek(1).kind == TokenKind::kIdentifier &&
        (Peek(1).text == "filter" || Peek(1).text == "where" || Peek(1).text == "all" ||
         Peek(1).text == "none")) {
      ParseClause(protocol);
      continue;
    }
    const Token& tok = Next();
    if (tok.kind == TokenKind::kString) continue;
    if (tok.text == "{") ++depth;
    if (tok.text == "}") --depth;
  }
  Accept(";");
}

void Parser::ParseClause(const std::string& protocol) {
  Clause clause;
  clause.is_export = Peek().text == "export";
  clause.protocol = protocol;
  clause.location = Next().location;
  std::string how = Next().text;
  if (how == "where") {
    auto f = std::make_shared<Function>();
    f->location = clause.location;
    f->name = absl::StrCat(clause.is_export ? "export" : "import", " where (", protocol, ")");
    // where E == if E then accept else reject
    auto s = std::make_unique<Stmt>();
    s->kind = Stmt::Kind::kIf;
    s->location = Peek().location;
    s->expr = ParseExpr();
    auto acc = std::make_unique<Stmt>();
    acc->kind = Stmt::Kind::kAccept;
    acc->location = s->location;
    auto rej = std::make_unique<Stmt>();
    rej->kind = Stmt::Kind::kReject;
    rej->location = s->location;
    s->body.push_back(std::move(acc));
    s->else_body.push_back(std::move(rej));
    f->body.push_back(std::move(s));
    Expect(";");
    clause.kind = Clause::Kind::kWhere;
    clause.inline_filter = f;
  } else if (how == "filter") {
    if (At(TokenKind::kIdentifier) && Peek(1).Is(";")) {
      clause.kind = Clause::Kind::kFilterName;
      clause.filter_name = Next().text;
      Expect(";");
    } else {
      auto f = std::make_shared<Function>();
      f->location = clause.location;
      f->name = absl::StrCat(clause.is_export ? "export" : "import", " filter (", protocol, ")");
      ParseFunctionBody(f.get());
      Accept(";");
      clause.kind = Clause::Kind::kInline;
      clause.inline_filter = f;
    }
  } else {  // all, none
    Accept(";");
  }
  config_.clauses.push_back(std::move(clause));
}

void Parser::ParseFunctionBody(Function* f) {
  // BIRD < 2.14 declares locals between the header and the body: "int x; pair p;"
  while (At(TokenKind::kIdentifier) && TypeNames().contains(Peek().text)) {
    SkipType();
    f->locals.push_back(Name("a variable name"));
    Expect(";");
  }
  Expect("{");
  f->body = ParseStatementsUntil("}");
  Expect("}");
}

void Parser::SkipType() {
  if (At(TokenKind::kIdentifier) && TypeNames().contains(Peek().text)) {
    Next();
    if (AtWord("set")) Next();
  } else if (AtWord("set")) {
    Next();
  }
}

Block Parser::ParseStatementsUntil(const char* end) {
  Block block;
  while (!At(TokenKind::kEnd) && !AtPunct(end) && error_.ok()) {
    StmtPtr s = ParseStatement();
    if (s) block.push_back(std::move(s));
  }
  return block;
}

StmtPtr Parser::Make(Stmt::Kind kind, const Location& at) {
  auto s = std::make_unique<Stmt>();
  s->kind = kind;
  s->location = at;
  return s;
}

Block Parser::BodyOf(StmtPtr s) {
  Block b;
  if (s) b.push_back(std::move(s));
  return b;
}

StmtPtr Parser::ParseStatement() {
  if (!Deeper()) return nullptr;
  DepthGuard guard{this};
  Location at = Peek().location;
  if (Accept(";")) return Make(Stmt::Kind::kNop, at);
  if (AtPunct("{")) {
    Next();
    auto s = Make(Stmt::Kind::kBlock, at);
    s->body = ParseStatementsUntil("}");
    Expect("}");
    return s;
  }
  if (AtWord("if")) {
    Next();
    auto s = Make(Stmt::Kind::kIf, at);
    s->expr = ParseExpr();
    Expect("then");
    s->body = BodyOf(ParseStatement());
    if (AtWord("else")) {
      Next();
      s->else_body = BodyOf(ParseStatement());
    }
    return s;
  }
  if (AtWord("case")) {
    Next();
    auto s = Make(Stmt::Kind::kCase, at);
    s->expr = ParseExpr();
    Expect("{");
    while (!At(TokenKind::kEnd) && !AtPunct("}") && error_.ok()) {
      CaseArm arm;
      arm.location = Peek().location;
      if (AtWord("else")) {
        Next();
        Expect(":");
      } else {
        do {
          arm.labels.push_back(ParseSetItem());
        } while (Accept(","));
        Expect(":");
      }
      while (!At(TokenKind::kEnd) && !AtPunct("}") && !AtCaseLabel() && error_.ok()) {
        StmtPtr body = ParseStatement();
        if (body) arm.body.push_back(std::move(body));
      }
      s->arms.push_back(std::move(arm));
    }
    Expect("}");
    return s;
  }
  if (AtWord("accept") || AtWord("reject")) {
    auto s = Make(Peek().text == "accept" ? Stmt::Kind::kAccept : Stmt::Kind::kReject, at);
    Next();
    // An optional message: a print list ("bad route ", net, " from ", ...).
    while (!At(TokenKind::kEnd) && !AtPunct(";") && error_.ok()) {
      ParseExpr();
      if (!Accept(",")) break;
    }
    Expect(";");
    return s;
  }
  if (AtWord("return")) {
    Next();
    auto s = Make(Stmt::Kind::kReturn, at);
    if (!AtPunct(";")) s->expr = ParseExpr();
    Expect(";");
    return s;
  }
  if (AtWord("print") || AtWord("printn")) {
    Next();
    while (!At(TokenKind::kEnd) && !AtPunct(";") && error_.ok()) {
      ParseExpr();
      Accept(",");
    }
    Expect(";");
    return Make(Stmt::Kind::kNop, at);
  }
  if (AtWord("unset") && Peek(1).Is("(")) {
    Next();
    Next();
    auto s = Make(Stmt::Kind::kAssign, at);
    s->target = Name("an attribute");
    Expect(")");
    Expect(";");
    auto empty = std::make_unique<Expr>();
    empty->kind = Expr::Kind::kName;
    empty->text = "-empty-";
    empty->location = at;
    s->expr = std::move(empty);
    return s;
  }
  if (AtWord("for")) {
    Next();
    auto s = Make(Stmt::Kind::kFor, at);
    SkipType();
    s->target = Name("a loop variable");
    Expect("in");
    s->expr = ParseExpr();
    Expect("do");
    s->body = BodyOf(ParseStatement());
    return s;
  }
  // A declaration: TYPE [set] NAME [= EXPR];
  if (At(TokenKind::kIdentifier) && TypeNames().contains(Peek().text) &&
      (Peek(1).kind == TokenKind::kIdentifier)) {
    SkipType();
    std::string name = Name("a variable name");
    auto s = Make(Stmt::Kind::kAssign, at);
    s->target = name;
    if (Accept("=")) {
      s->expr = ParseExpr();
    } else {  // declared, not set: its own value until assigned
      s->expr = MakeExpr(Expr::Kind::kName, at, kUnsetName);
    }
    Expect(";");
    return s;
  }
  // NAME = EXPR;  or an expression statement (a call or method call).
  ExprPtr lhs = ParsePostfix();
  if (!lhs) return nullptr;
  if (Accept("=")) {
    auto s = Make(Stmt::Kind::kAssign, at);
    s->target = lhs->kind == Expr::Kind::kName ? lhs->text : "";
    if (s->target.empty()) Fail(at, "cannot assign to this");
    s->expr = ParseExpr();
    Expect(";");
    return s;
  }
  auto s = Make(Stmt::Kind::kExpr, at);
  s->expr = std::move(lhs);
  Expect(";");
  return s;
}

bool Parser::AtCaseLabel() const {
  if (AtWord("else") && Peek(1).Is(":")) return true;
  // Scan ahead to ':' before ';', '{', '}' or '='.
  int parens = 0;
  for (size_t k = 0; k < 64; ++k) {
    const Token& tok = Peek(k);
    if (tok.kind == TokenKind::kEnd) return false;
    if (tok.kind == TokenKind::kString) continue;
    if (tok.text == "(" || tok.text == "[") ++parens;
    if (tok.text == ")" || tok.text == "]") --parens;
    if (parens > 0) continue;
    if (tok.text == ":") return true;
    if (tok.text == ";" || tok.text == "{" || tok.text == "}" || tok.text == "=") return false;
  }
  return false;
}

absl::StatusOr<Config> Parse(const TokenStream& tokens) { return Parser(tokens).Run(); }

}  // namespace rtr42::lint
