// The validation-state lattice of the linter: a path is taken under a set of
// states (a Mask over ROA x ASPA results, nine bits), and roa_check() /
// aspa_check() results are projections of it. The ROA_* and ASPA_* constants of
// BIRD's filter language map onto (checker, value).
//
// Part of the analysis behind Analyze() (lint/analyzer.h).
#ifndef RTR42_LINT_STATE_LATTICE_H_
#define RTR42_LINT_STATE_LATTICE_H_

#include <cstdint>
#include <string>

namespace rtr42::lint {

// States: index = roa * 3 + aspa, each of UNKNOWN (0), VALID (1), INVALID (2).
using Mask = uint16_t;

constexpr Mask kAll = 0x1ff;

enum class Checker { kRoa, kAspa };

Mask StateMask(Checker checker, int value);

// Which states of `checker` a mask allows, as a 3-bit set.
int Project(Mask m, Checker checker);

// ROA_VALID -> (kRoa, 1) etc.
bool ParseStateConstant(const std::string& name, Checker* checker, int* value);

const char* StateName(Checker c, int v);

// "ROA_INVALID, ASPA_VALID": the states a mask allows; "any state" for all.
std::string States(Mask m);

}  // namespace rtr42::lint

#endif  // RTR42_LINT_STATE_LATTICE_H_
