// bird-rpki-lint: flags BIRD filters that signal RPKI validation state in
// transitive BGP attributes. Exit status: 0 clean, 1 findings, 2 usage or
// parse errors.
#include <iostream>

#include "base/args.h"
#include "base/file_util.h"
#include "lint/analyzer.h"
#include "lint/parser.h"
#include "lint/report.h"
#include "lint/token.h"

namespace rtr42::lint {
namespace {

int Main(int argc, char** argv) {
  Args args("bird-rpki-lint",
            "Flags BIRD filters that signal RPKI validation state in transitive BGP attributes\n"
            "(draft-spaghetti-sidrops-avoid-rpki-state-in-bgp). Give the main configuration\n"
            "file(s); includes are followed. Suppress one finding with a comment on its line or\n"
            "the line above: # bird-rpki-lint: ignore[RULE] reason\n\nusage: bird-rpki-lint "
            "[options] FILE...");
  args.AddOption("format", "FMT", "text (default), json, sarif or github");
  args.AddOption("explain", "RULE", "explain a rule and exit");
  args.AddSwitch("list-rules", "list the rules and exit");
  if (std::optional<int> exit = args.ParseCommandLine(argc, argv, /*positional_allowed=*/true))
    return *exit;
  if (args.Has("list-rules")) {
    for (const RuleInfo& r : Rules()) std::cout << r.id << "  " << r.summary << "\n";
    return 0;
  }
  if (args.Has("explain")) {
    for (const RuleInfo& r : Rules()) {
      if (args.Get("explain") == r.id) {
        std::cout << r.id << ": " << r.summary << "\n\n" << r.explanation << "\n";
        return 0;
      }
    }
    std::cerr << "bird-rpki-lint: no rule '" << args.Get("explain") << "' (see --list-rules)\n";
    return 2;
  }
  absl::StatusOr<ReportFormat> format = ParseReportFormat(args.Get("format", "text"));
  if (!format.ok()) {
    std::cerr << "bird-rpki-lint: " << format.status().message() << "\n";
    return 2;
  }
  if (args.positional().empty()) {
    std::cerr << "bird-rpki-lint: no configuration file given (see --help)\n";
    return 2;
  }
  std::vector<Finding> findings;
  std::vector<SourceError> errors;
  std::vector<TokenStream> keep;  // findings point into these token streams' file names
  for (const std::string& file : args.positional()) {
    absl::StatusOr<TokenStream> tokens = Tokenize(file);
    if (!tokens.ok()) {
      errors.push_back(SourceErrorOf(tokens.status()));
      continue;
    }
    absl::StatusOr<Config> config = Parse(*tokens);
    if (!config.ok()) {
      errors.push_back(SourceErrorOf(config.status()));
      continue;
    }
    Analysis analysis = Analyze(*config, *tokens);
    for (const std::string& w : analysis.warnings)
      std::cerr << "bird-rpki-lint: " << file << ": " << w << "\n";
    findings.insert(findings.end(), analysis.findings.begin(), analysis.findings.end());
    keep.push_back(std::move(*tokens));
  }
  if (absl::Status s = WriteOutput("", Render(*format, findings, errors)); !s.ok()) {
    std::cerr << "bird-rpki-lint: " << s.message() << "\n";
    return 2;  // a CI job must not pass on output nobody saw
  }
  if (!errors.empty()) return 2;
  return findings.empty() ? 0 : 1;
}

}  // namespace
}  // namespace rtr42::lint

int main(int argc, char** argv) { return rtr42::lint::Main(argc, argv); }
