#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lint/interpreter.h"
#include "lint/rules.h"

namespace rtr42::lint {

Paths Interpreter::Run(const Function& filter) {
  Path start;
  for (const std::string& local : filter.locals) start.env[local] = UnsetValue();
  Paths paths = Exec(filter.body, {start});
  return paths;
}

Paths Interpreter::Exec(const Block& block, Paths paths) {
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

Paths Interpreter::Exec(const Stmt& s, Path p) {
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

std::vector<std::pair<Path, bool>> Interpreter::Branch(Path p, const Value& cond,
                                                       const Location& at) {
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
      for (const auto& [where, why] : cond.notes) q.AddReason(where, why);
      q.AddReason(at, taken ? "this condition on validation state holds"
                            : "this condition on validation state fails");
      if (cond.tainted) q.unresolved = true;
    }
    out.emplace_back(std::move(q), taken);
  }
  return out;
}

Paths Interpreter::ExecCase(const Stmt& s, Path p) {
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

Paths Interpreter::ExecAssign(const Stmt& s, Path p) {
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

bool Interpreter::IsRouteAttribute(const std::string& name) {
  static const std::set<std::string> kNames = {
      "preference", "gw",     "dest",  "ifname", "ifindex", "weight", "igp_metric", "krt_prefsrc",
      "from",       "source", "scope", "net",    "proto",   "onlink", "mpls_label"};
  return kNames.contains(name);
}

void Interpreter::RecordCommunityExpression(const std::string& attr, const Expr& e,
                                            const Value& whole, const Location& site, Path* p) {
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

Paths Interpreter::ExecExprStatement(const Stmt& s, Path p) {
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

void Interpreter::Write(Path* p, const Location& site, const std::string& attr, const Value& v) {
  // A list, set or -empty- written as a whole: its elements are the tags.
  if (v.kind == Value::Kind::kList || v.kind == Value::Kind::kSet) {
    for (const Value& e : v.elems) Write(p, site, attr, e);
    return;
  }
  Value concrete = Concretize(v, p->states);
  TagWrite w{site, attr, concrete.Repr(), concrete};
  auto m = std::lower_bound(p->maybe.begin(), p->maybe.end(), w);
  if (m != p->maybe.end() && *m == w) p->maybe.erase(m);  // now written for sure
  auto it = std::lower_bound(p->writes.begin(), p->writes.end(), w);
  if (it == p->writes.end() || !(*it == w)) p->writes.insert(it, std::move(w));
}

Value Interpreter::Concretize(const Value& v, Mask states) {
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

}  // namespace rtr42::lint
