#include "lint/value.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace rtr42::lint {

std::string Value::Repr() const {
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

bool IsCommunityAttribute(const std::string& name) {
  return name == "bgp_community" || name == "bgp_ext_community" || name == "bgp_large_community";
}

Value Unknown() { return Value{}; }

Value Int(int64_t n) {
  Value v;
  v.kind = Value::Kind::kInt;
  v.num = n;
  return v;
}

Value UnsetValue() {
  Value v;
  v.kind = Value::Kind::kEnum;
  v.text = "(unset)";
  return v;
}

Value Bool(bool b) {
  Value v;
  v.kind = Value::Kind::kBool;
  v.num = b;
  return v;
}

Value TaintedFrom(const Value& a, const Value* b) {
  Value v;
  v.AddOrigins(a);
  if (b) v.AddOrigins(*b);
  v.tainted = true;
  return v;
}

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

Value Pred(Mask t, Mask f, const Value& a, const Value* b) {
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

}  // namespace rtr42::lint
