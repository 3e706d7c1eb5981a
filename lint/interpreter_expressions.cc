#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lint/interpreter.h"
#include "lint/rules.h"

namespace rtr42::lint {

bool Interpreter::CallsFunction(const Expr& e) {
  auto it = calls_cache_.find(&e);
  if (it != calls_cache_.end()) return it->second;
  bool calls = e.kind == Expr::Kind::kCall && config_.functions.contains(e.text);
  for (const ExprPtr& a : e.args) calls = calls || (a && CallsFunction(*a));
  calls_cache_[&e] = calls;
  return calls;
}

Value Interpreter::EvalPure(const Expr& e, const Path& p) {
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
      return BinaryValue(e, EvalPure(*e.args[0], p), EvalPure(*e.args[1], p));
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

Value Interpreter::Unary(const std::string& op, const Value& v) {
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

Value Interpreter::Method(const Expr& e, const Value& obj, const Path& p) {
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

Interpreter::Results Interpreter::Eval(const Expr& e, Path p) {
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

Interpreter::Results Interpreter::One(Path p, Value v) {
  Results r;
  r.emplace_back(std::move(p), std::move(v));
  return r;
}

Value Interpreter::Lookup(const Expr& e, const Path& p) {
  if (auto it = p.env.find(e.text); it != p.env.end()) return it->second;
  if (e.text == "-empty-") {
    Value v;
    v.kind = Value::Kind::kList;
    return v;
  }
  if (e.text == "true" || e.text == "false") return Bool(e.text == "true");
  if (e.text == kUnsetName) return UnsetValue();
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

Interpreter::Results Interpreter::EvalBinary(const Expr& e, Path p) {
  Results out;
  for (auto& [q, l] : Eval(*e.args[0], std::move(p))) {
    if (q.terminal()) {
      out.emplace_back(std::move(q), Unknown());
      continue;
    }
    for (auto& [r_path, r] : Eval(*e.args[1], std::move(q))) {
      out.emplace_back(std::move(r_path), BinaryValue(e, l, r));
    }
  }
  return out;
}

Value Interpreter::BinaryValue(const Expr& e, const Value& l, const Value& r) {
  if ((e.text == "~" || e.text == "!~") && !carriers_.empty()) {
    // A test for a tag that holds validation state: `TAG ~ attr` or
    // `attr ~ [patterns]`.
    const Expr* attr = e.args[1].get();
    const Value* probe = &l;
    if (attr->kind != Expr::Kind::kName || !IsCommunityAttribute(attr->text)) {
      attr = e.args[0].get();
      probe = &r;
    }
    if (attr->kind == Expr::Kind::kName && IsCommunityAttribute(attr->text)) {
      if (std::optional<Value> c = CarrierTest(attr->text, *probe)) {
        return e.text == "~" ? *c : Pred(c->can_false, c->can_true, *c);
      }
    }
  }
  return Combine(e.text, l, r);
}

void Interpreter::SetCarriers(std::vector<Carrier> carriers) {
  carriers_ = std::move(carriers);
  carrier_index_.clear();
  for (size_t i = 0; i < carriers_.size(); ++i) {
    carrier_index_.emplace(absl::StrCat(carriers_[i].attr, "|", carriers_[i].value.Repr()), i);
  }
}

std::optional<Value> Interpreter::CarrierTest(const std::string& attr, const Value& probe) const {
  const Carrier* found = nullptr;
  std::string repr = probe.Repr();
  if (probe.kind == Value::Kind::kTuple && repr.find('?') == std::string::npos &&
      repr.find('*') == std::string::npos) {
    // A concrete tag: looked up, not matched against every carrier.
    auto it = carrier_index_.find(absl::StrCat(attr, "|", repr));
    if (it != carrier_index_.end()) found = &carriers_[it->second];
  } else {
    for (const Carrier& c : carriers_) {
      if (c.attr == attr && Matches(probe, c.value)) {
        found = &c;
        break;
      }
    }
  }
  if (!found) return std::nullopt;
  Value v;
  v.kind = Value::Kind::kPred;
  v.can_true = found->with;
  v.can_false = found->without;
  v.notes.emplace_back(found->site, absl::StrCat(Describe(found->attr, found->value),
                                                 " holds validation state: it is written here (",
                                                 found->entry, ")"));
  return v;
}

Value Interpreter::Combine(const std::string& op, const Value& l, const Value& r) {
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

Value Interpreter::Compare(const std::string&, const Value& l, const Value& r) {
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
  if (known && l.Repr().find('?') == std::string::npos && r.Repr().find('?') == std::string::npos) {
    return Bool(l.Repr() == r.Repr());
  }
  return Unknown();
}

Value Interpreter::InSet(const Value& l, const Value& set) {
  if (l.kind == Value::Kind::kState &&
      (set.kind == Value::Kind::kSet || set.kind == Value::Kind::kRange)) {
    Mask m = 0;
    for (const Value& item : set.kind == Value::Kind::kSet ? set.elems : std::vector<Value>{set}) {
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

bool Interpreter::IsCheck(const std::string& name) {
  return name == "roa_check" || name == "aspa_check" || name == "aspa_check_upstream" ||
         name == "aspa_check_downstream";
}

Value Interpreter::CheckValue(const Expr& e) {
  Value v;
  v.kind = Value::Kind::kState;
  v.checker = e.text == "roa_check" ? Checker::kRoa : Checker::kAspa;
  v.AddOrigin(e.location);
  return v;
}

Interpreter::Results Interpreter::EvalCall(const Expr& e, Path p) {
  if (IsCheck(e.text)) return One(std::move(p), CheckValue(e));
  auto fn = config_.functions.find(e.text);
  if (fn == config_.functions.end() || call_depth_ >= kMaxCallDepth ||
      inlining_[e.text] >= kMaxRecursion) {
    // A built-in (defined(), format(), ...), too deep or recursing again:
    // unknown, tainted by its arguments.
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
  for (const std::string& local : f.locals) p.env[local] = UnsetValue();
  ++call_depth_;
  ++inlining_[e.text];
  Paths ends = Exec(f.body, {std::move(p)});
  --inlining_[e.text];
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

Paths Interpreter::Merge(Paths paths) {
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
    into.MergeWrites(p);
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

}  // namespace rtr42::lint
