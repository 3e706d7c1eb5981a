#include "lint/parser.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "lint/source_error.h"

namespace rtr42::lint {
namespace {

constexpr int kMaxDepth = 200;

// Type names that start a declaration ("int x;", "prefix set s = [...]").
const std::set<std::string>& TypeNames() {
  static const std::set<std::string> names = {"int",        "bool",   "pair",    "quad",    "ip",
                                              "prefix",     "string", "bgppath", "bgpmask", "clist",
                                              "eclist",     "lclist", "ec",      "lc",      "rd",
                                              "bytestring", "enum",   "void",    "route",   "roa"};
  return names;
}

class Parser {
 public:
  explicit Parser(const TokenStream& in) : t_(in.tokens) {}

  absl::StatusOr<Config> Run() {
    while (!At(TokenKind::kEnd)) {
      if (!error_.ok()) return error_;
      TopLevel();
    }
    if (!error_.ok()) return error_;
    return std::move(config_);
  }

 private:
  // --- token helpers
  const Token& Peek(size_t k = 0) const {
    size_t i = std::min(pos_ + k, t_.size() - 1);
    return t_[i];
  }
  bool At(TokenKind kind) const { return Peek().kind == kind; }
  bool AtWord(const char* w) const {
    return Peek().kind == TokenKind::kIdentifier && Peek().text == w;
  }
  bool AtPunct(const char* p) const { return Peek().kind == TokenKind::kPunct && Peek().text == p; }
  const Token& Next() {
    const Token& tok = Peek();
    if (pos_ < t_.size() - 1) ++pos_;
    return tok;
  }
  bool Accept(const char* p) {
    if (Peek().kind != TokenKind::kString && Peek().text == p && !At(TokenKind::kEnd)) {
      Next();
      return true;
    }
    return false;
  }
  void Fail(const std::string& message) { Fail(Peek().location, message); }
  void Fail(const Location& at, const std::string& message) {
    if (error_.ok()) error_ = SourceErrorStatus(&at, message);
    pos_ = t_.size() - 1;  // stop
  }
  void Expect(const char* p) {
    if (!Accept(p)) {
      Fail(absl::StrCat(
          "expected '", p, "'",
          At(TokenKind::kEnd) ? " before the end of the input" : ", found '" + Peek().text + "'"));
    }
  }
  std::string Name(const char* what) {
    if (!At(TokenKind::kIdentifier)) {
      Fail(absl::StrCat("expected ", what,
                        At(TokenKind::kEnd) ? "" : ", found '" + Peek().text + "'"));
      return "";
    }
    return Next().text;
  }
  bool Deeper() {
    if (++depth_ > kMaxDepth) {
      Fail("nesting too deep");
      return false;
    }
    return true;
  }
  struct DepthGuard {
    Parser* p;
    ~DepthGuard() { --p->depth_; }
  };

  // Skips one top-level statement: to a ';' outside braces, or past a
  // balanced {...} block (and a ';' right after it).
  void SkipStatement() {
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

  // --- top level
  void TopLevel() {
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

  // Inside protocol { ... }: finds import/export clauses at any depth.
  void ScanProtocolBody(const std::string& protocol) {
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

  void ParseClause(const std::string& protocol) {
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

  // [local declarations] { statements }
  void ParseFunctionBody(Function* f) {
    // BIRD < 2.14 declares locals between the header and the body: "int x; pair p;"
    while (At(TokenKind::kIdentifier) && TypeNames().contains(Peek().text)) {
      SkipType();
      Name("a variable name");
      Expect(";");
    }
    Expect("{");
    f->body = ParseStatementsUntil("}");
    Expect("}");
  }

  void SkipType() {
    if (At(TokenKind::kIdentifier) && TypeNames().contains(Peek().text)) {
      Next();
      if (AtWord("set")) Next();
    } else if (AtWord("set")) {
      Next();
    }
  }

  Block ParseStatementsUntil(const char* end) {
    Block block;
    while (!At(TokenKind::kEnd) && !AtPunct(end) && error_.ok()) {
      StmtPtr s = ParseStatement();
      if (s) block.push_back(std::move(s));
    }
    return block;
  }

  StmtPtr Make(Stmt::Kind kind, const Location& at) {
    auto s = std::make_unique<Stmt>();
    s->kind = kind;
    s->location = at;
    return s;
  }

  Block BodyOf(StmtPtr s) {
    Block b;
    if (s) b.push_back(std::move(s));
    return b;
  }

  StmtPtr ParseStatement() {
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
      if (!AtPunct(";")) ParseExpr();  // an optional message
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
      if (Accept("=")) {
        auto s = Make(Stmt::Kind::kAssign, at);
        s->target = name;
        s->expr = ParseExpr();
        Expect(";");
        return s;
      }
      Expect(";");
      return Make(Stmt::Kind::kNop, at);
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

  // Is the next thing a case label ("ROA_VALID:", "1, 2:", "else:")?
  bool AtCaseLabel() const {
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

  // --- expressions
  ExprPtr MakeExpr(Expr::Kind kind, const Location& at, std::string text = "") {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->location = at;
    e->text = std::move(text);
    return e;
  }

  ExprPtr ParseExpr() {
    if (!Deeper()) return nullptr;
    DepthGuard guard{this};
    return ParseOr();
  }
  ExprPtr Binary(ExprPtr l, const Token& op, ExprPtr r) {
    auto e = MakeExpr(Expr::Kind::kBinary, op.location, op.text);
    e->args.push_back(std::move(l));
    e->args.push_back(std::move(r));
    return e;
  }
  ExprPtr ParseOr() {
    ExprPtr l = ParseAnd();
    while (AtPunct("||") && error_.ok()) {
      const Token& op = Next();
      l = Binary(std::move(l), op, ParseAnd());
    }
    return l;
  }
  ExprPtr ParseAnd() {
    ExprPtr l = ParseCompare();
    while (AtPunct("&&") && error_.ok()) {
      const Token& op = Next();
      l = Binary(std::move(l), op, ParseCompare());
    }
    return l;
  }
  ExprPtr ParseCompare() {
    ExprPtr l = ParseAdd();
    while (error_.ok() &&
           (AtPunct("=") || AtPunct("==") || AtPunct("!=") || AtPunct("<") || AtPunct(">") ||
            AtPunct("<=") || AtPunct(">=") || AtPunct("~") || AtPunct("!~"))) {
      const Token& op = Next();
      l = Binary(std::move(l), op, ParseAdd());
    }
    return l;
  }
  ExprPtr ParseAdd() {
    ExprPtr l = ParseMul();
    while (error_.ok() && (AtPunct("+") || AtPunct("-"))) {
      const Token& op = Next();
      l = Binary(std::move(l), op, ParseMul());
    }
    return l;
  }
  ExprPtr ParseMul() {
    ExprPtr l = ParseUnary();
    while (error_.ok() &&
           (AtPunct("*") || AtPunct("/") || AtPunct("%") || AtPunct("&") || AtPunct("|"))) {
      const Token& op = Next();
      l = Binary(std::move(l), op, ParseUnary());
    }
    return l;
  }
  ExprPtr ParseUnary() {
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
  ExprPtr ParsePostfix() {
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
  void ParseArgs(std::vector<ExprPtr>* args) {
    while (!At(TokenKind::kEnd) && !AtPunct(")") && error_.ok()) {
      args->push_back(ParseExpr());
      if (!Accept(",")) break;
    }
    Expect(")");
  }

  ExprPtr ParsePrimary() {
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

  // A set or case item: an expression, a range a..b, a prefix pattern
  // (10.0.0.0/8+, 10.0.0.0/8{16,24}, 10.0.0.0/8-).
  ExprPtr ParseSetItem() {
    Location at = Peek().location;
    ExprPtr item = ParseAdd();
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
      range->args.push_back(ParseAdd());
      return range;
    }
    return item;
  }

  ExprPtr ParseParenOrTuple(const Location& at) {
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

  const std::vector<Token>& t_;
  size_t pos_ = 0;
  int depth_ = 0;
  Config config_;
  absl::Status error_;
};

}  // namespace

absl::StatusOr<Config> Parse(const TokenStream& tokens) { return Parser(tokens).Run(); }

}  // namespace rtr42::lint
