// CompileDiff: what a registry change does to the compiled VRP set, the
// review a registry's pull request gets from `roa-compile --diff BASE..HEAD`.
//
// Two compilations (Compilation::Of a RegistryCompiler at BASE, then at HEAD)
// give the VRPs HEAD adds and removes, each with the route object that gives
// it (in HEAD for an added VRP, in BASE for a removed one), the diagnostics
// HEAD has and BASE lacks (objects the change makes dropped or adjusted),
// the ones it clears, and the share of BASE's VRPs it withdraws, the figure
// rtr42d's withdraw guard (daemon/withdraw_guard.h) compares with its limit.
//
// FormatCompileDiff() writes it as text for a terminal, as JSON, or as
// GitHub Actions workflow commands (::error / ::warning / ::notice lines
// with file and line), which a CI job turns into pull-request annotations.
#ifndef RTR42_ROA_COMPILE_DIFF_H_
#define RTR42_ROA_COMPILE_DIFF_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "roa/compiler.h"
#include "roa/diagnostic.h"
#include "roa/vrp.h"

namespace rtr42::roa {

// One compiled state of a registry.
struct Compilation {
  std::string revision;
  VrpSet set;
  std::vector<Diagnostic> diagnostics;  // sorted by file and line
  std::vector<VrpOrigin> origins;       // sorted by VRP
  static Compilation Of(const RegistryCompiler& compiler);
};

struct CompileDiff {
  std::string base_revision;
  std::string head_revision;
  size_t base_vrps = 0;
  size_t head_vrps = 0;
  VrpDiff vrps;  // announced: added by HEAD; withdrawn: removed by it
  // The route objects behind them: one entry per (VRP, object), in VRP order.
  std::vector<VrpOrigin> added;
  std::vector<VrpOrigin> removed;
  std::vector<Diagnostic> new_diagnostics;      // in HEAD, not in BASE
  std::vector<Diagnostic> cleared_diagnostics;  // in BASE, not in HEAD

  // New diagnostics of kind kDropped: what makes the exit status non-zero.
  size_t new_drops() const;
  // The share of BASE's VRPs that HEAD withdraws, in percent.
  double withdraw_percent() const;
};

CompileDiff DiffCompilations(const Compilation& base, const Compilation& head);

enum class DiffFormat { kText, kJson, kGithub };
absl::StatusOr<DiffFormat> ParseDiffFormat(const std::string& name);  // text, json, github

// What rtr42d's withdraw guard would make of the change: its limit
// (--max-withdraw-percent) and whether the withdrawals exceed it.
struct GuardVerdict {
  double limit_percent = 0;
  bool would_hold = false;
};
std::string FormatCompileDiff(const CompileDiff& diff, DiffFormat format, GuardVerdict guard);

}  // namespace rtr42::roa

#endif  // RTR42_ROA_COMPILE_DIFF_H_
