#include "lint/state_lattice.h"

#include <map>
#include <vector>

#include "absl/strings/str_join.h"

namespace rtr42::lint {

Mask StateMask(Checker checker, int value) {
  Mask m = 0;
  for (int roa = 0; roa < 3; ++roa) {
    for (int aspa = 0; aspa < 3; ++aspa) {
      if ((checker == Checker::kRoa ? roa : aspa) == value) m |= Mask(1u << (roa * 3 + aspa));
    }
  }
  return m;
}

int Project(Mask m, Checker checker) {
  int out = 0;
  for (int i = 0; i < 9; ++i) {
    if (m & (1u << i)) out |= 1 << (checker == Checker::kRoa ? i / 3 : i % 3);
  }
  return out;
}

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

}  // namespace rtr42::lint
