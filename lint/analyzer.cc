#include "lint/analyzer.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace rtr42::lint {
namespace {

// States: index = roa * 3 + aspa, each of UNKNOWN (0), VALID (1), INVALID (2).
using Mask = uint16_t;
constexpr Mask kAll = 0x1ff;
constexpr size_t kMaxPaths = 4096;
constexpr int kMaxCallDepth = 16;

enum class Checker { kRoa, kAspa };

Mask StateMask(Checker checker, int value) {
  Mask m = 0;
  for (int roa = 0; roa < 3; ++roa) {
    for (int aspa = 0; aspa < 3; ++aspa) {
      if ((checker == Checker::kRoa ? roa : aspa) == value) m |= Mask(1u << (roa * 3 + aspa));
    }
  }
  return m;
}

// Which states of `checker` a mask allows, as a 3-bit set.
int Project(Mask m, Checker checker) {
  int out = 0;
  for (int i = 0; i < 9; ++i) {
    if (m & (1u << i)) out |= 1 << (checker == Checker::kRoa ? i / 3 : i % 3);
  }
  return out;
}

// ROA_VALID -> (kRoa, 1) etc.
bool ParseStateConstant(const std::string& name, Checker* checker, int* value) {
  static const std::map<std::string, std::pair<Checker, int>> kConstants = {
      {"ROA_UNKNOWN", {Checker::kRoa, 0}}, {"ROA_VALID", {Checker::kRoa, 1}},
      {"ROA_INVALID", {Checker::kRoa, 2}}, {"ASPA_UNKNOWN", {Checker::kAspa, 0}},
      {"ASPA_VALID", {Checker::kAspa, 1}}, {"ASPA_INVALID", {Checker::kAspa, 2}}};
  auto it = kConstants.find(name);
  if (it == kConstants.end()) return false;
  *checker = it->second.first;
  *value = it->second.second;
  return true;
}

const char* StateName(Checker c, int v) {
  static const char* roa[] = {"ROA_UNKNOWN", "ROA_VALID", "ROA_INVALID"};
  static const char* aspa[] = {"ASPA_UNKNOWN", "ASPA_VALID", "ASPA_INVALID"};
  return c == Checker::kRoa ? roa[v] : aspa[v];
}

bool IsCommunityAttribute(const std::string& name) {
  return name == "bgp_community" || name == "bgp_ext_community" || name == "bgp_large_community";
}

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

  bool symbolic() const { return kind == Kind::kState || kind == Kind::kPred || tainted; }

  std::string Repr() const {
    switch (kind) {
      case Kind::kUnknown:
        return tainted ? "<state-derived>" : "?";
      case Kind::kInt:
        return std::to_string(num);
      case Kind::kBool:
        return num ? "true" : "false";
      case Kind::kEnum:
      case Kind::kString:
        return text;
      case Kind::kWildcard:
        return "*";
      case Kind::kState:
        return checker == Checker::kRoa ? "<roa state>" : "<aspa state>";
      case Kind::kPred:
        return absl::StrCat("<pred ", can_true, "/", can_false, ">");
      case Kind::kRange:
        return absl::StrCat(elems[0].Repr(), "..", elems[1].Repr());
      case Kind::kTuple:
      case Kind::kSet:
      case Kind::kList: {
        std::vector<std::string> parts;
        if (!ext.empty()) parts.push_back(ext == "unknown" ? "unknown " + ext_type : ext);
        for (const Value& e : elems) parts.push_back(e.Repr());
        const char* open = kind == Kind::kTuple ? "(" : kind == Kind::kSet ? "[" : "{";
        const char* close = kind == Kind::kTuple ? ")" : kind == Kind::kSet ? "]" : "}";
        return absl::StrCat(open, absl::StrJoin(parts, ", "), close);
      }
    }
    return "?";
  }

  void AddOrigins(const Value& other) {
    for (const Location& l : other.origins) AddOrigin(l);
    tainted = tainted || other.tainted;
  }
  void AddOrigin(const Location& l) {
    for (const Location& o : origins) {
      if (o.file == l.file && o.line == l.line && o.column == l.column) return;
    }
    origins.push_back(l);
  }
};

Value Unknown() { return Value{}; }
Value Int(int64_t n) {
  Value v;
  v.kind = Value::Kind::kInt;
  v.num = n;
  return v;
}
Value Bool(bool b) {
  Value v;
  v.kind = Value::Kind::kBool;
  v.num = b;
  return v;
}
// A value derived from validation state that we cannot follow exactly.
Value TaintedFrom(const Value& a, const Value* b = nullptr) {
  Value v;
  v.AddOrigins(a);
  if (b) v.AddOrigins(*b);
  v.tainted = true;
  return v;
}

// The truth masks of a value used as a condition.
void Truth(const Value& v, Mask* t, Mask* f) {
  if (v.kind == Value::Kind::kBool) {
    *t = v.num ? kAll : 0;
    *f = v.num ? 0 : kAll;
  } else if (v.kind == Value::Kind::kPred) {
    *t = v.can_true;
    *f = v.can_false;
  } else {
    *t = kAll;
    *f = kAll;
  }
}

// A boolean that is true under the states `t` and false under `f`. Built
// from `a` (and `b`): if neither derives from validation state, the masks can
// only say "always", "never" or "unknown".
Value Pred(Mask t, Mask f, const Value& a, const Value* b = nullptr) {
  const bool symbolic = a.symbolic() || (b && b->symbolic());
  if (t == kAll && f == 0) return Bool(true);
  if (t == 0 && f == kAll) return Bool(false);
  if (!symbolic) return Unknown();
  Value v;
  v.AddOrigins(a);
  if (b) v.AddOrigins(*b);
  if (t == kAll && f == kAll) {
    v.tainted = true;  // derived from the state, but not decoded
    return v;
  }
  v.kind = Value::Kind::kPred;
  v.can_true = t;
  v.can_false = f;
  return v;
}

struct TagWrite {
  Location site;
  std::string attr;
  std::string repr;
  Value value;
  bool operator<(const TagWrite& o) const {
    return std::tie(site.line, site.column, *site.file, attr, repr) <
           std::tie(o.site.line, o.site.column, *o.site.file, o.attr, o.repr);
  }
  bool operator==(const TagWrite& o) const { return !(*this < o) && !(o < *this); }
};

struct Path {
  Mask states = kAll;
  enum class Status { kRunning, kAccepted, kRejected, kReturned } status = Status::kRunning;
  std::map<std::string, Value> env;
  std::vector<TagWrite> writes;  // sorted, unique
  Value returned;
  bool unresolved = false;    // took a branch on state-derived data it could not decode
  std::vector<Note> reasons;  // conditions on validation state taken (few)

  bool terminal() const { return status == Status::kAccepted || status == Status::kRejected; }
  void AddReason(const Location& at, const std::string& message) {
    for (const Note& n : reasons) {
      if (n.location.file == at.file && n.location.line == at.line &&
          n.location.column == at.column && n.message == message) {
        return;
      }
    }
    reasons.push_back({at, message});
  }
  std::string Key() const {
    std::string k = absl::StrCat(states, "|", static_cast<int>(status), "|", unresolved, "|",
                                 returned.Repr(), "|");
    for (const auto& [name, v] : env) absl::StrAppend(&k, name, "=", v.Repr(), ";");
    k += "|";
    for (const TagWrite& w : writes) absl::StrAppend(&k, w.site.ToString(), w.attr, w.repr, ";");
    return k;
  }
};

using Paths = std::vector<Path>;

// Where an expression starts (its leftmost token).
Location StartOf(const Expr& e) {
  if ((e.kind == Expr::Kind::kBinary || e.kind == Expr::Kind::kMethod ||
       e.kind == Expr::Kind::kField) &&
      !e.args.empty() && e.args[0]) {
    return StartOf(*e.args[0]);
  }
  return e.location;
}

struct Removal {
  Location site;
  std::string attr;
  Value pattern;
};

class Interpreter {
 public:
  Interpreter(const Config& config, Analysis* out) : config_(config), out_(out) {}

  // Runs one entry filter; returns its finished paths.
  Paths Run(const Function& filter) {
    Path start;
    Paths paths = Exec(filter.body, {start});
    return paths;
  }

  std::vector<Removal> removals;  // removals seen in the last Run()

 private:
  // --- statements
  Paths Exec(const Block& block, Paths paths) {
    for (const StmtPtr& s : block) {
      Paths next, done;
      for (Path& p : paths) {
        if (p.status != Path::Status::kRunning) {
          done.push_back(std::move(p));
          continue;
        }
        Paths out = Exec(*s, std::move(p));
        for (Path& q : out) next.push_back(std::move(q));
      }
      for (Path& p : done) next.push_back(std::move(p));
      paths = Merge(std::move(next));
    }
    return paths;
  }

  Paths Exec(const Stmt& s, Path p) {
    switch (s.kind) {
      case Stmt::Kind::kNop:
        return {std::move(p)};
      case Stmt::Kind::kBlock:
        return Exec(s.body, {std::move(p)});
      case Stmt::Kind::kAccept:
        p.status = Path::Status::kAccepted;
        return {std::move(p)};
      case Stmt::Kind::kReject:
        p.status = Path::Status::kRejected;
        return {std::move(p)};
      case Stmt::Kind::kReturn: {
        if (!s.expr) {
          p.status = Path::Status::kReturned;
          p.returned = Unknown();
          return {std::move(p)};
        }
        Paths out;
        for (auto& [q, v] : Eval(*s.expr, std::move(p))) {
          if (q.terminal()) {
            out.push_back(std::move(q));
            continue;
          }
          q.status = Path::Status::kReturned;
          q.returned = std::move(v);
          out.push_back(std::move(q));
        }
        return out;
      }
      case Stmt::Kind::kIf: {
        Paths out;
        for (auto& [q, cond] : Eval(*s.expr, std::move(p))) {
          if (q.terminal()) {
            out.push_back(std::move(q));
            continue;
          }
          for (auto& [branch, taken] : Branch(std::move(q), cond, StartOf(*s.expr))) {
            Paths r = Exec(taken ? s.body : s.else_body, {std::move(branch)});
            for (Path& x : r) out.push_back(std::move(x));
          }
        }
        return out;
      }
      case Stmt::Kind::kCase:
        return ExecCase(s, std::move(p));
      case Stmt::Kind::kFor: {
        // The body runs zero or more times: model zero and one.
        Paths out;
        for (auto& [q, v] : Eval(*s.expr, std::move(p))) {
          out.push_back(q);
          q.env[s.target] = Unknown();
          Paths r = Exec(s.body, {std::move(q)});
          for (Path& x : r) out.push_back(std::move(x));
        }
        return out;
      }
      case Stmt::Kind::kAssign:
        return ExecAssign(s, std::move(p));
      case Stmt::Kind::kExpr:
        return ExecExprStatement(s, std::move(p));
    }
    return {std::move(p)};
  }

  // Splits a path on a condition value.
  std::vector<std::pair<Path, bool>> Branch(Path p, const Value& cond, const Location& at) {
    Mask t, f;
    Truth(cond, &t, &f);
    std::vector<std::pair<Path, bool>> out;
    for (bool taken : {true, false}) {
      Mask m = p.states & (taken ? t : f);
      if (m == 0) continue;
      Path q = p;
      q.states = m;
      if (cond.symbolic()) {
        std::string checks;
        for (const Location& o : cond.origins) q.AddReason(o, "validation state is read here");
        q.AddReason(at, taken ? "this condition on validation state holds"
                              : "this condition on validation state fails");
        if (cond.tainted) q.unresolved = true;
      }
      out.emplace_back(std::move(q), taken);
    }
    return out;
  }

  Paths ExecCase(const Stmt& s, Path p) {
    Paths out;
    for (auto& [q, subject] : Eval(*s.expr, std::move(p))) {
      if (q.terminal()) {
        out.push_back(std::move(q));
        continue;
      }
      Path rest = std::move(q);  // what no label has matched yet
      bool rest_alive = true;
      for (const CaseArm& arm : s.arms) {
        if (!rest_alive) break;
        Value match;
        if (arm.labels.empty()) {
          match = Bool(true);
        } else {
          // label1 || label2 ...
          Mask t = 0, f = kAll;
          Value derived;  // what the labels' comparisons derive from
          for (const ExprPtr& label : arm.labels) {
            Value l = EvalPure(*label, rest);
            Value eq = l.kind == Value::Kind::kRange ? InSet(subject, l) : Compare("=", subject, l);
            Mask et, ef;
            Truth(eq, &et, &ef);
            t |= et;
            f &= ef;
            derived.AddOrigins(eq);
          }
          match = Pred(t, f, subject, &derived);
        }
        std::vector<std::pair<Path, bool>> branches = Branch(std::move(rest), match, arm.location);
        rest_alive = false;
        for (auto& [b, taken] : branches) {
          if (taken) {
            Paths r = Exec(arm.body, {std::move(b)});
            for (Path& x : r) out.push_back(std::move(x));
          } else {
            rest = std::move(b);
            rest_alive = true;
          }
        }
      }
      if (rest_alive) out.push_back(std::move(rest));  // no arm matched: nothing runs
    }
    return out;
  }

  Paths ExecAssign(const Stmt& s, Path p) {
    Paths out;
    const bool community = IsCommunityAttribute(s.target);
    const bool custom = config_.custom_attributes.contains(s.target);
    for (auto& [q, v] : Eval(*s.expr, std::move(p))) {
      if (q.terminal()) {
        out.push_back(std::move(q));
        continue;
      }
      if (community) {
        RecordCommunityExpression(s.target, *s.expr, v, s.location, &q);
      } else if (custom) {
        Write(&q, s.location, s.target, v);
      } else if (s.target.rfind("bgp_", 0) != 0 && !IsRouteAttribute(s.target)) {
        q.env[s.target] = v;
      }
      out.push_back(std::move(q));
    }
    return out;
  }

  static bool IsRouteAttribute(const std::string& name) {
    static const std::set<std::string> kNames = {
        "preference", "gw",     "dest",  "ifname", "ifindex", "weight", "igp_metric", "krt_prefsrc",
        "from",       "source", "scope", "net",    "proto",   "onlink", "mpls_label"};
    return kNames.contains(name);
  }

  // bgp_community = <expr>: the parts of <expr> that add to the attribute are
  // writes, delete/filter/-empty- are removals.
  void RecordCommunityExpression(const std::string& attr, const Expr& e, const Value& whole,
                                 const Location& site, Path* p) {
    if (e.kind == Expr::Kind::kMethod && !e.args.empty()) {
      if (e.text == "add" && e.args.size() >= 2) {
        RecordCommunityExpression(attr, *e.args[0], Unknown(), site, p);
        Write(p, site, attr, EvalPure(*e.args[1], *p));
        return;
      }
      if (e.text == "delete" || e.text == "filter") {
        RecordCommunityExpression(attr, *e.args[0], Unknown(), site, p);
        if (e.args.size() >= 2) removals.push_back({site, attr, EvalPure(*e.args[1], *p)});
        return;
      }
    }
    if (e.kind == Expr::Kind::kCall && e.args.size() == 2 &&
        (e.text == "add" || e.text == "delete" || e.text == "filter")) {
      RecordCommunityExpression(attr, *e.args[0], Unknown(), site, p);
      if (e.text == "add") {
        Write(p, site, attr, EvalPure(*e.args[1], *p));
      } else {
        removals.push_back({site, attr, EvalPure(*e.args[1], *p)});
      }
      return;
    }
    if (e.kind == Expr::Kind::kName && (e.text == attr)) return;  // itself
    if (e.kind == Expr::Kind::kName && (e.text == "-empty-")) {
      Value all;
      all.kind = Value::Kind::kWildcard;
      removals.push_back({site, attr, all});
      return;
    }
    // Any other value replaces the attribute: each element is a tag.
    Write(p, site, attr, whole.kind == Value::Kind::kUnknown ? EvalPure(e, *p) : whole);
  }

  Paths ExecExprStatement(const Stmt& s, Path p) {
    const Expr& e = *s.expr;
    if (e.kind == Expr::Kind::kMethod && !e.args.empty() && e.args[0]->kind == Expr::Kind::kName &&
        (IsCommunityAttribute(e.args[0]->text))) {
      const std::string& attr = e.args[0]->text;
      if (e.text == "add" && e.args.size() >= 2) {
        Paths out;
        for (auto& [q, v] : Eval(*e.args[1], std::move(p))) {
          if (!q.terminal()) Write(&q, s.location, attr, v);
          out.push_back(std::move(q));
        }
        return out;
      }
      if ((e.text == "delete" || e.text == "filter") && e.args.size() >= 2) {
        removals.push_back({s.location, attr, EvalPure(*e.args[1], p)});
        return {std::move(p)};
      }
      if (e.text == "empty") {
        Value all;
        all.kind = Value::Kind::kWildcard;
        removals.push_back({s.location, attr, all});
        return {std::move(p)};
      }
    }
    // A method on a local list variable: "tags.add(x)" changes it in place in
    // BIRD 2.14+ statement form.
    if (e.kind == Expr::Kind::kMethod && e.text == "add" && e.args.size() >= 2 &&
        e.args[0]->kind == Expr::Kind::kName && p.env.contains(e.args[0]->text)) {
      Paths out;
      for (auto& [q, v] : Eval(e, std::move(p))) {
        if (!q.terminal()) q.env[e.args[0]->text] = v;
        out.push_back(std::move(q));
      }
      return out;
    }
    Paths out;
    for (auto& [q, v] : Eval(e, std::move(p))) out.push_back(std::move(q));
    return out;
  }

  void Write(Path* p, const Location& site, const std::string& attr, const Value& v) {
    // A list, set or -empty- written as a whole: its elements are the tags.
    if (v.kind == Value::Kind::kList || v.kind == Value::Kind::kSet) {
      for (const Value& e : v.elems) Write(p, site, attr, e);
      return;
    }
    Value concrete = Concretize(v, p->states);
    TagWrite w{site, attr, concrete.Repr(), concrete};
    auto it = std::lower_bound(p->writes.begin(), p->writes.end(), w);
    if (it == p->writes.end() || !(*it == w)) p->writes.insert(it, std::move(w));
  }

  // A state under a path that pins it is a constant; tuples concretise their parts.
  static Value Concretize(const Value& v, Mask states) {
    if (v.kind == Value::Kind::kState) {
      int allowed = Project(states, v.checker);
      for (int s = 0; s < 3; ++s) {
        if (allowed == (1 << s)) {
          Value e;
          e.kind = Value::Kind::kEnum;
          e.text = StateName(v.checker, s);
          return e;
        }
      }
      return v;
    }
    if (v.kind == Value::Kind::kPred) {
      if ((states & v.can_true) == 0) return Bool(false);
      if ((states & v.can_false) == 0) return Bool(true);
      return v;
    }
    if (v.kind == Value::Kind::kTuple) {
      Value out = v;
      for (Value& e : out.elems) e = Concretize(e, states);
      return out;
    }
    return v;
  }

  // --- expressions
  using Results = std::vector<std::pair<Path, Value>>;

  // Does `e` call a user function (which may split paths or end them)?
  bool CallsFunction(const Expr& e) {
    auto it = calls_cache_.find(&e);
    if (it != calls_cache_.end()) return it->second;
    bool calls = e.kind == Expr::Kind::kCall && config_.functions.contains(e.text);
    for (const ExprPtr& a : e.args) calls = calls || (a && CallsFunction(*a));
    calls_cache_[&e] = calls;
    return calls;
  }

  // The value of `e` on `p` without copying the path; a user function call
  // gives its first result.
  Value EvalPure(const Expr& e, const Path& p) {
    const bool literal =
        e.kind == Expr::Kind::kTuple || e.kind == Expr::Kind::kSet || e.kind == Expr::Kind::kRange;
    if (!literal && CallsFunction(e)) {
      Results r = Eval(e, p);
      return r.empty() ? Unknown() : r.front().second;
    }
    switch (e.kind) {
      case Expr::Kind::kNumber: {
        int64_t n = 0;
        bool ok = e.text.size() > 2 && (e.text[1] == 'x' || e.text[1] == 'X')
                      ? absl::SimpleHexAtoi(e.text.substr(2), &n)
                      : absl::SimpleAtoi(e.text, &n);
        return ok ? Int(n) : Unknown();
      }
      case Expr::Kind::kAddress:
      case Expr::Kind::kPathMask:
      case Expr::Kind::kString: {
        Value v;
        v.kind = Value::Kind::kString;
        v.text = e.kind == Expr::Kind::kString ? "\"" + e.text + "\"" : e.text;
        return v;
      }
      case Expr::Kind::kWildcard: {
        Value v;
        v.kind = Value::Kind::kWildcard;
        return v;
      }
      case Expr::Kind::kName:
        return Lookup(e, p);
      case Expr::Kind::kTuple:
      case Expr::Kind::kSet:
      case Expr::Kind::kRange: {
        Value v;
        v.kind = e.kind == Expr::Kind::kTuple ? Value::Kind::kTuple
                 : e.kind == Expr::Kind::kSet ? Value::Kind::kSet
                                              : Value::Kind::kRange;
        v.ext = e.ext;
        v.ext_type = e.ext_type;
        for (const ExprPtr& a : e.args) {
          Value part = a ? EvalPure(*a, p) : Unknown();
          v.AddOrigins(part);
          v.elems.push_back(std::move(part));
        }
        if (e.kind == Expr::Kind::kTuple && e.ext == "unknown") {
          int64_t n = 0;
          if (e.ext_type.rfind("0x", 0) == 0 && absl::SimpleHexAtoi(e.ext_type.substr(2), &n)) {
            v.ext_type = std::to_string(n);
          }
        }
        return v;
      }
      case Expr::Kind::kUnary:
        return Unary(e.text, EvalPure(*e.args[0], p));
      case Expr::Kind::kBinary:
        return Combine(e.text, EvalPure(*e.args[0], p), EvalPure(*e.args[1], p));
      case Expr::Kind::kCall: {
        if (IsCheck(e.text)) return CheckValue(e);
        // A built-in (defined(), format(), ...): unknown, tainted by its arguments.
        Value v;
        for (const ExprPtr& a : e.args) {
          if (!a) continue;
          Value arg = EvalPure(*a, p);
          if (arg.symbolic()) v = TaintedFrom(arg, &v);
        }
        return v;
      }
      case Expr::Kind::kMethod:
        return Method(e, EvalPure(*e.args[0], p), p);
      case Expr::Kind::kField: {
        Value obj = EvalPure(*e.args[0], p);
        return obj.symbolic() ? TaintedFrom(obj) : Unknown();
      }
    }
    return Unknown();
  }

  static Value Unary(const std::string& op, const Value& v) {
    if (op == "!") {
      if (v.kind == Value::Kind::kBool) return Bool(!v.num);
      Mask t, f;
      Truth(v, &t, &f);
      Value r = Pred(f, t, v);
      if (v.tainted) r.tainted = true;
      return r;
    }
    if (v.kind == Value::Kind::kInt) return Int(-v.num);
    return v.symbolic() ? TaintedFrom(v) : Unknown();
  }

  Value Method(const Expr& e, const Value& obj, const Path& p) {
    if (e.text == "add" && e.args.size() >= 2 &&
        (obj.kind == Value::Kind::kList ||
         (e.args[0]->kind == Expr::Kind::kName && e.args[0]->text == "-empty-"))) {
      Value r = obj;
      r.kind = Value::Kind::kList;
      Value item = EvalPure(*e.args[1], p);
      r.AddOrigins(item);
      r.elems.push_back(std::move(item));
      return r;
    }
    return obj.symbolic() ? TaintedFrom(obj) : Unknown();
  }

  Results Eval(const Expr& e, Path p) {
    if (!CallsFunction(e)) {
      Value v = EvalPure(e, p);
      return One(std::move(p), std::move(v));
    }
    switch (e.kind) {
      case Expr::Kind::kUnary: {
        Results out;
        for (auto& [q, v] : Eval(*e.args[0], std::move(p)))
          out.emplace_back(std::move(q), Unary(e.text, v));
        return out;
      }
      case Expr::Kind::kBinary:
        return EvalBinary(e, std::move(p));
      case Expr::Kind::kCall:
        return EvalCall(e, std::move(p));
      case Expr::Kind::kMethod: {
        Results out;
        for (auto& [q, obj] : Eval(*e.args[0], std::move(p))) {
          Value r = Method(e, obj, q);
          out.emplace_back(std::move(q), std::move(r));
        }
        return out;
      }
      case Expr::Kind::kField: {
        Results out;
        for (auto& [q, obj] : Eval(*e.args[0], std::move(p))) {
          out.emplace_back(std::move(q), obj.symbolic() ? TaintedFrom(obj) : Unknown());
        }
        return out;
      }
      default: {
        // A literal holding a call, e.g. (64512, f()): its parts take the first result.
        Value v = EvalPure(e, p);
        return One(std::move(p), std::move(v));
      }
    }
  }

  static Results One(Path p, Value v) {
    Results r;
    r.emplace_back(std::move(p), std::move(v));
    return r;
  }

  Value Lookup(const Expr& e, const Path& p) {
    if (auto it = p.env.find(e.text); it != p.env.end()) return it->second;
    if (e.text == "-empty-") {
      Value v;
      v.kind = Value::Kind::kList;
      return v;
    }
    if (e.text == "true" || e.text == "false") return Bool(e.text == "true");
    if (auto it = config_.defines.find(e.text); it != config_.defines.end()) {
      if (define_depth_ > 8) return Unknown();
      ++define_depth_;
      Value v = EvalPure(*it->second, p);
      --define_depth_;
      return v;
    }
    Checker c;
    int s;
    if (ParseStateConstant(e.text, &c, &s) ||
        (e.text.size() > 2 && std::all_of(e.text.begin(), e.text.end(), [](char ch) {
           return std::isupper(static_cast<unsigned char>(ch)) ||
                  std::isdigit(static_cast<unsigned char>(ch)) || ch == '_';
         }))) {
      Value v;
      v.kind = Value::Kind::kEnum;
      v.text = e.text;
      return v;
    }
    return Unknown();
  }

  Results EvalBinary(const Expr& e, Path p) {
    Results out;
    for (auto& [q, l] : Eval(*e.args[0], std::move(p))) {
      if (q.terminal()) {
        out.emplace_back(std::move(q), Unknown());
        continue;
      }
      for (auto& [r_path, r] : Eval(*e.args[1], std::move(q))) {
        out.emplace_back(std::move(r_path), Combine(e.text, l, r));
      }
    }
    return out;
  }

  Value Combine(const std::string& op, const Value& l, const Value& r) {
    if (op == "&&" || op == "||") {
      Mask lt, lf, rt, rf;
      Truth(l, &lt, &lf);
      Truth(r, &rt, &rf);
      Mask t = op == "&&" ? (lt & rt) : (lt | (lf & rt));
      Mask f = op == "&&" ? (lf | (lt & rf)) : (lf & rf);
      if ((l.tainted && l.kind != Value::Kind::kPred) ||
          (r.tainted && r.kind != Value::Kind::kPred)) {
        Value v = Pred(t, f, l, &r);
        v.tainted = true;
        return v;
      }
      if (l.kind == Value::Kind::kBool && r.kind == Value::Kind::kBool) {
        return Bool(op == "&&" ? (l.num && r.num) : (l.num || r.num));
      }
      return Pred(t, f, l, &r);
    }
    if (op == "=" || op == "==" || op == "!=") {
      Value eq = Compare("=", l, r);
      if (op != "!=") return eq;
      if (eq.kind == Value::Kind::kBool) return Bool(!eq.num);
      if (eq.kind == Value::Kind::kPred) return Pred(eq.can_false, eq.can_true, eq);
      return eq;
    }
    if (op == "~" || op == "!~") {
      Value in = InSet(l, r);
      if (op == "~") return in;
      if (in.kind == Value::Kind::kBool) return Bool(!in.num);
      if (in.kind == Value::Kind::kPred) return Pred(in.can_false, in.can_true, in);
      return in;
    }
    if (l.kind == Value::Kind::kInt && r.kind == Value::Kind::kInt) {
      if (op == "<") return Bool(l.num < r.num);
      if (op == ">") return Bool(l.num > r.num);
      if (op == "<=") return Bool(l.num <= r.num);
      if (op == ">=") return Bool(l.num >= r.num);
      if (op == "+") return Int(l.num + r.num);
      if (op == "-") return Int(l.num - r.num);
      if (op == "*") return Int(l.num * r.num);
      if (op == "/" && r.num != 0) return Int(l.num / r.num);
    }
    if (l.symbolic() || r.symbolic()) return TaintedFrom(l, &r);
    return Unknown();
  }

  // l = r
  Value Compare(const std::string&, const Value& l, const Value& r) {
    const Value* state = l.kind == Value::Kind::kState   ? &l
                         : r.kind == Value::Kind::kState ? &r
                                                         : nullptr;
    const Value* other = state == &l ? &r : &l;
    if (state && other->kind == Value::Kind::kEnum) {
      Checker c;
      int s;
      if (ParseStateConstant(other->text, &c, &s) && c == state->checker) {
        Mask m = StateMask(c, s);
        return Pred(m, kAll & ~m, *state);
      }
      return TaintedFrom(*state);
    }
    if (state && other->kind == Value::Kind::kState && other->checker == state->checker) {
      return Pred(kAll, kAll, l, &r);  // the same check twice: could be compared precisely; rare
    }
    const Value* pred = l.kind == Value::Kind::kPred   ? &l
                        : r.kind == Value::Kind::kPred ? &r
                                                       : nullptr;
    const Value* pother = pred == &l ? &r : &l;
    if (pred && pother->kind == Value::Kind::kBool) {
      return pother->num ? *pred : Pred(pred->can_false, pred->can_true, *pred);
    }
    if (l.symbolic() || r.symbolic()) return TaintedFrom(l, &r);
    bool known =
        [](const Value& v) {
          return v.kind == Value::Kind::kInt || v.kind == Value::Kind::kBool ||
                 v.kind == Value::Kind::kEnum || v.kind == Value::Kind::kString ||
                 v.kind == Value::Kind::kTuple;
        }(l) &&
        (r.kind == Value::Kind::kInt || r.kind == Value::Kind::kBool ||
         r.kind == Value::Kind::kEnum || r.kind == Value::Kind::kString ||
         r.kind == Value::Kind::kTuple);
    if (known && l.Repr().find('?') == std::string::npos &&
        r.Repr().find('?') == std::string::npos) {
      return Bool(l.Repr() == r.Repr());
    }
    return Unknown();
  }

  Value InSet(const Value& l, const Value& set) {
    if (l.kind == Value::Kind::kState &&
        (set.kind == Value::Kind::kSet || set.kind == Value::Kind::kRange)) {
      Mask m = 0;
      for (const Value& item :
           set.kind == Value::Kind::kSet ? set.elems : std::vector<Value>{set}) {
        Checker c;
        int s;
        if (item.kind == Value::Kind::kEnum && ParseStateConstant(item.text, &c, &s) &&
            c == l.checker) {
          m |= StateMask(c, s);
        } else {
          return TaintedFrom(l);
        }
      }
      return Pred(m, kAll & ~m, l);
    }
    if (l.kind == Value::Kind::kInt && set.kind == Value::Kind::kRange &&
        set.elems[0].kind == Value::Kind::kInt && set.elems[1].kind == Value::Kind::kInt) {
      return Bool(l.num >= set.elems[0].num && l.num <= set.elems[1].num);
    }
    if (l.symbolic() || set.symbolic()) return TaintedFrom(l, &set);
    return Unknown();
  }

  static bool IsCheck(const std::string& name) {
    return name == "roa_check" || name == "aspa_check" || name == "aspa_check_upstream" ||
           name == "aspa_check_downstream";
  }
  static Value CheckValue(const Expr& e) {
    Value v;
    v.kind = Value::Kind::kState;
    v.checker = e.text == "roa_check" ? Checker::kRoa : Checker::kAspa;
    v.AddOrigin(e.location);
    return v;
  }

  Results EvalCall(const Expr& e, Path p) {
    if (IsCheck(e.text)) return One(std::move(p), CheckValue(e));
    auto fn = config_.functions.find(e.text);
    if (fn == config_.functions.end() || call_depth_ >= kMaxCallDepth) {
      // A built-in (defined(), format(), ...) or too deep: unknown, tainted by its arguments.
      Value v;
      for (const ExprPtr& a : e.args) {
        if (!a) continue;
        Value arg = EvalPure(*a, p);
        if (arg.symbolic()) v = TaintedFrom(arg, &v);
      }
      return One(std::move(p), v);
    }
    // Evaluate the arguments in the caller, then run the body in a fresh frame.
    std::vector<Value> args;
    for (const ExprPtr& a : e.args) args.push_back(a ? EvalPure(*a, p) : Unknown());
    const Function& f = *fn->second;
    std::map<std::string, Value> saved = std::move(p.env);
    p.env.clear();
    for (size_t i = 0; i < f.params.size(); ++i)
      p.env[f.params[i]] = i < args.size() ? args[i] : Unknown();
    ++call_depth_;
    Paths ends = Exec(f.body, {std::move(p)});
    --call_depth_;
    Results out;
    for (Path& q : ends) {
      Value ret = Unknown();
      if (q.status == Path::Status::kReturned || q.status == Path::Status::kRunning) {
        ret = std::move(q.returned);
        q.returned = Unknown();
        q.status = Path::Status::kRunning;
      }
      q.env = saved;
      out.emplace_back(std::move(q), std::move(ret));
    }
    return out;
  }

  Paths Merge(Paths paths) {
    if (paths.size() <= 1) return paths;
    std::map<std::string, size_t> index;
    Paths out;
    for (Path& p : paths) {
      std::string key = p.Key();
      auto [it, fresh] = index.emplace(key, out.size());
      if (fresh) {
        out.push_back(std::move(p));
        continue;
      }
      Path& into = out[it->second];
      for (const Note& n : p.reasons) into.AddReason(n.location, n.message);
    }
    if (out.size() > kMaxPaths) {
      if (!limit_warned_) {
        out_->warnings.push_back(absl::StrCat(
            "more than ", kMaxPaths, " paths through one filter: the rest were not followed"));
        limit_warned_ = true;
      }
      out.resize(kMaxPaths);
    }
    return out;
  }

  const Config& config_;
  Analysis* out_;
  int call_depth_ = 0;
  int define_depth_ = 0;
  std::map<const Expr*, bool> calls_cache_;
  bool limit_warned_ = false;
};

bool IsRfc8097(const Value& v) {
  if (v.kind != Value::Kind::kTuple || v.elems.size() != 2) return false;
  if (v.ext == "generic" && v.elems[0].kind == Value::Kind::kInt) {
    return (v.elems[0].num & 0xffff0000) == 0x43000000;
  }
  if (v.ext == "unknown") {
    return v.ext_type == std::to_string(0x4300) && v.elems[0].kind == Value::Kind::kInt &&
           v.elems[0].num == 0;
  }
  return false;
}

bool Matches(const Value& pattern, const Value& v) {
  switch (pattern.kind) {
    case Value::Kind::kWildcard:
      return true;
    case Value::Kind::kSet:
    case Value::Kind::kList:
      for (const Value& p : pattern.elems) {
        if (Matches(p, v)) return true;
      }
      return false;
    case Value::Kind::kRange:
      return v.kind == Value::Kind::kInt && pattern.elems[0].kind == Value::Kind::kInt &&
             pattern.elems[1].kind == Value::Kind::kInt && v.num >= pattern.elems[0].num &&
             v.num <= pattern.elems[1].num;
    case Value::Kind::kTuple:
      if (v.kind != Value::Kind::kTuple || v.elems.size() != pattern.elems.size() ||
          v.ext != pattern.ext) {
        return false;
      }
      for (size_t i = 0; i < v.elems.size(); ++i) {
        if (!Matches(pattern.elems[i], v.elems[i])) return false;
      }
      return true;
    default:
      return pattern.Repr() == v.Repr() && pattern.Repr().find('?') == std::string::npos;
  }
}

std::string Describe(const std::string& attr, const Value& v) {
  return absl::StrCat(attr, " ", v.Repr());
}

std::string States(Mask m) {
  std::vector<std::string> names;
  int roa = Project(m, Checker::kRoa), aspa = Project(m, Checker::kAspa);
  if (roa != 7) {
    for (int s = 0; s < 3; ++s) {
      if (roa & (1 << s)) names.push_back(StateName(Checker::kRoa, s));
    }
  }
  if (aspa != 7) {
    for (int s = 0; s < 3; ++s) {
      if (aspa & (1 << s)) names.push_back(StateName(Checker::kAspa, s));
    }
  }
  return names.empty() ? "any state" : absl::StrJoin(names, ", ");
}

}  // namespace

const std::vector<RuleInfo>& Rules() {
  static const std::vector<RuleInfo> rules = {
      {"validation-state-community", "a BGP community is set depending on RPKI validation state",
       "A standard, extended or large community is added to routes depending on the result of\n"
       "roa_check() or aspa_check(), so the community tells other networks the validation state.\n"
       "Communities are transitive: every ROA change and every RTR outage then changes the\n"
       "community on many routes at once and floods BGP UPDATEs through every neighbour\n"
       "(draft-spaghetti-sidrops-avoid-rpki-state-in-bgp: operators SHOULD NOT do this).\n"
       "Fix: act on the state locally (reject invalids, set bgp_local_pref or preference), and\n"
       "delete any validation-state communities you receive. Removing the tag on export only\n"
       "limits the damage to your own network."},
      {"validation-state-attribute",
       "a custom transitive BGP attribute is set depending on RPKI validation state",
       "An attribute declared with `attribute bgp NUM TYPE NAME` is written from the result of\n"
       "roa_check() or aspa_check(). Like a community it travels with the route, so validation\n"
       "changes become BGP UPDATE floods. Keep validation state in non-transitive, local data."},
      {"rfc8097-community", "the RFC 8097 origin validation state extended community is written",
       "(generic, 0x43000000, S) and (unknown 0x4300, 0, S) are the BGP Prefix Origin Validation\n"
       "State Extended Community of RFC 8097. It is non-transitive, so BIRD drops it on eBGP, but "
       "it\n"
       "still leaks the validation state to every iBGP neighbour and churns with every ROA "
       "change.\n"
       "Do not set it; validate on each router instead."},
  };
  return rules;
}

Analysis Analyze(const Config& config, const TokenStream& tokens) {
  Analysis analysis;
  Interpreter interp(config, &analysis);

  struct Entry {
    std::string name;
    const Function* body;
    bool is_export;
    Location location;
  };
  std::vector<Entry> entries;
  std::set<std::string> named_export, named_any;
  for (const Clause& c : config.clauses) {
    if (c.kind == Clause::Kind::kFilterName) {
      named_any.insert(c.filter_name);
      if (c.is_export) named_export.insert(c.filter_name);
    }
  }
  for (const auto& [name, f] : config.filters) {
    entries.push_back({"filter " + name, f.get(), named_export.contains(name), f->location});
  }
  for (const Clause& c : config.clauses) {
    if (c.inline_filter)
      entries.push_back({c.inline_filter->name, c.inline_filter.get(), c.is_export, c.location});
  }

  struct TagStats {
    Mask with = 0;
    bool unresolved = false;
    bool written_anywhere = false;
    TagWrite write;
    std::vector<Note> reasons;
    std::set<std::string> reason_keys;
    std::string entry;
    Location entry_location;
  };
  std::vector<Removal> export_removals;

  // First run every filter: the export filters' removals are needed to judge
  // the tags of the others.
  std::vector<Paths> results;
  for (const Entry& entry : entries) {
    interp.removals.clear();
    results.push_back(interp.Run(*entry.body));
    if (entry.is_export) {
      export_removals.insert(export_removals.end(), interp.removals.begin(), interp.removals.end());
    }
  }
  for (size_t e = 0; e < entries.size(); ++e) {
    const Entry& entry = entries[e];
    const Paths& paths = results[e];
    std::map<std::string, TagStats> tags;  // this filter's tags, by site + attr + value
    for (const Path& p : paths) {
      bool survives = p.status == Path::Status::kAccepted;
      for (const TagWrite& w : p.writes) {
        std::string key =
            absl::StrCat(entry.name, "|", w.site.ToString(), "|", w.attr, "|", w.repr);
        TagStats& t = tags[key];
        t.write = w;
        t.entry = entry.name;
        t.entry_location = entry.location;
        t.written_anywhere = true;
        if (!survives) continue;
        t.with |= p.states;
        t.unresolved = t.unresolved || p.unresolved;
        for (const Note& n : p.reasons) {
          if (t.reason_keys.insert(n.location.ToString() + n.message).second)
            t.reasons.push_back(n);
        }
      }
    }
    // Every tag's "without": surviving states not covered by paths with it.
    for (auto& [key, t] : tags) {
      Mask without = 0;
      bool any_without = false;
      for (const Path& p : paths) {
        if (p.status != Path::Status::kAccepted) continue;
        bool has = std::binary_search(p.writes.begin(), p.writes.end(), t.write);
        if (!has) {
          without |= p.states;
          any_without = true;
        }
      }
      Mask with = t.with;
      Mask all = with | without;
      bool separates = with != 0 && any_without && !(with == all && without == all);
      bool symbolic = t.write.value.symbolic();
      bool rfc8097 = IsRfc8097(t.write.value);
      const bool community = IsCommunityAttribute(t.write.attr);
      std::string rule;
      std::string message;
      if (rfc8097) {
        rule = "rfc8097-community";
        message =
            absl::StrCat(Describe(t.write.attr, t.write.value),
                         " is the RFC 8097 origin validation state community; it leaks the "
                         "validation state to iBGP neighbours (BIRD drops it on eBGP, as it is "
                         "non-transitive)");
      } else if (with != 0 && (symbolic || separates || (t.unresolved && any_without))) {
        rule = community ? "validation-state-community" : "validation-state-attribute";
        if (symbolic) {
          message = absl::StrCat(Describe(t.write.attr, t.write.value),
                                 " carries the RPKI validation state itself");
        } else {
          message =
              absl::StrCat(community ? Describe(t.write.attr, t.write.value)
                                     : absl::StrCat(t.write.attr, " = ", t.write.value.Repr()),
                           community ? " is added to routes" : " is set on routes",
                           " by RPKI validation state (tagged: ", States(with),
                           "; untagged: ", any_without ? States(without) : "none", ")");
        }
      } else {
        continue;
      }
      Finding f;
      f.rule = rule;
      f.location = t.write.site;
      f.message = message;
      for (const Location& o : t.write.value.origins)
        f.notes.push_back({o, "validation state is read here"});
      for (const Note& n : t.reasons) f.notes.push_back(n);
      f.notes.push_back({t.entry_location, absl::StrCat("reached from ", t.entry)});
      for (const Removal& r : export_removals) {
        if (r.attr == t.write.attr && Matches(r.pattern, t.write.value)) {
          f.notes.push_back({r.site, "removed again on export here: a mitigation, not a fix"});
          break;
        }
      }
      f.message += " [" + t.entry + "]";
      analysis.findings.push_back(std::move(f));
    }
  }

  // One finding per rule and place; apply suppressions.
  std::vector<Finding> unique;
  std::set<std::string> seen;
  for (Finding& f : analysis.findings) {
    std::string key = absl::StrCat(f.rule, "|", f.location.ToString());
    if (!seen.insert(key).second) continue;
    const std::string& file = f.location.file ? *f.location.file : "";
    bool suppressed = false;
    if (auto it = tokens.suppressions.find(file); it != tokens.suppressions.end()) {
      for (int line : {f.location.line, f.location.line - 1}) {
        auto l = it->second.find(line);
        if (l != it->second.end() && (l->second.contains("*") || l->second.contains(f.rule)))
          suppressed = true;
      }
    }
    if (suppressed) {
      ++analysis.suppressed;
      continue;
    }
    // Drop the "[entry]" suffix from the message: the note says it.
    size_t bracket = f.message.rfind(" [");
    if (bracket != std::string::npos) f.message.resize(bracket);
    unique.push_back(std::move(f));
  }
  std::sort(unique.begin(), unique.end(), [](const Finding& a, const Finding& b) {
    return std::make_tuple(*a.location.file, a.location.line, a.location.column, a.rule) <
           std::make_tuple(*b.location.file, b.location.line, b.location.column, b.rule);
  });
  analysis.findings = std::move(unique);
  return analysis;
}

}  // namespace rtr42::lint
