// Rendering findings for people and for CI systems.
//   text    file:line:col: warning: [rule] message, then its notes
//   json    {"findings": [...], "errors": [...]}
//   sarif   SARIF 2.1.0, one run, the rules in the tool's driver
//   github  GitHub Actions workflow commands (::warning file=...,line=...)
#ifndef RTR42_LINT_REPORT_H_
#define RTR42_LINT_REPORT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lint/analyzer.h"
#include "lint/source_error.h"

namespace rtr42::lint {

enum class ReportFormat { kText, kJson, kSarif, kGithub };

absl::StatusOr<ReportFormat> ParseReportFormat(const std::string& name);

// `errors` are the configurations that could not be read or parsed,
// reported as errors.
std::string Render(ReportFormat format, const std::vector<Finding>& findings,
                   const std::vector<SourceError>& errors);

}  // namespace rtr42::lint

#endif  // RTR42_LINT_REPORT_H_
