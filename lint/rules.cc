#include "lint/rules.h"

#include "absl/strings/str_cat.h"

namespace rtr42::lint {

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

}  // namespace rtr42::lint
