// roa-compile: the dn42 registry (git, directory or the embedded sample) to a
// VRP file in JSON (StayRTR / rpki-client), BIRD 2, BIRD 1 or CSV; with
// --diff BASE..HEAD, what a registry change does to the VRPs
// (roa/compile_diff.h), for a pull request's CI.
#include <cstdio>
#include <iostream>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/args.h"
#include "base/file_util.h"
#include "base/log.h"
#include "daemon/withdraw_guard.h"
#include "roa/compile_diff.h"
#include "roa/compiler.h"
#include "roa/vrp_format.h"
#include "sources/git_source.h"
#include "tools/source_options.h"

namespace rtr42 {
namespace {

int Fail(const absl::Status& status) {
  std::cerr << "roa-compile: " << status.message() << "\n";
  return 1;
}

absl::StatusOr<std::optional<roa::Family>> ParseFamily(const Args& args) {
  if (!args.Has("family")) return std::nullopt;
  std::string f = args.Get("family");
  if (f == "4") return roa::Family::kIpv4;
  if (f == "6") return roa::Family::kIpv6;
  return absl::InvalidArgumentError("--family must be 4 or 6");
}

// The exit status of --diff when the change makes objects dropped.
constexpr int kNewDropsExit = 3;

// BASE..HEAD, or BASE...HEAD (from their merge base, as a pull request
// compares): the compilations at both ends.
absl::StatusOr<roa::CompileDiff> CompileRange(const sources::GitSource& git,
                                              const std::string& range) {
  size_t dots = range.find("..");
  if (dots == std::string::npos || dots == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--diff '", range, "': give BASE..HEAD or BASE...HEAD"));
  }
  bool from_merge_base = range.compare(dots, 3, "...") == 0;
  std::string base_rev = range.substr(0, dots);
  std::string head_rev = range.substr(dots + (from_merge_base ? 3 : 2));
  if (head_rev.empty()) head_rev = "HEAD";
  absl::StatusOr<std::string> base = git.ResolveCommit(base_rev);
  if (!base.ok()) return base.status();
  absl::StatusOr<std::string> head = git.ResolveCommit(head_rev);
  if (!head.ok()) return head.status();
  if (from_merge_base) {
    base = git.MergeBase(*base, *head);
    if (!base.ok()) return base.status();
  }
  // BASE whole, then HEAD as the change from it: the way rtr42d follows a
  // registry, so the preview is what routers would get.
  roa::RegistryCompiler compiler;
  absl::StatusOr<roa::RegistryDelta> delta = git.DeltaBetween("", *base);
  if (!delta.ok()) return delta.status();
  if (absl::Status s = compiler.Apply(std::move(*delta)); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("BASE ", *base, ": ", s.message()));
  }
  roa::Compilation before = roa::Compilation::Of(compiler);
  delta = git.DeltaBetween(*base, *head);
  if (!delta.ok()) return delta.status();
  if (absl::Status s = compiler.Apply(std::move(*delta)); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("HEAD ", *head, ": ", s.message()));
  }
  return roa::DiffCompilations(before, roa::Compilation::Of(compiler));
}

int RunDiff(const Args& args) {
  std::string location = args.Get("registry");
  if (location.empty() || sources::GitSource::IsUrl(location)) {
    return Fail(absl::InvalidArgumentError(
        "--diff needs --registry PATH, a local git repository (a CI job's checkout)"));
  }
  absl::StatusOr<roa::DiffFormat> format = roa::ParseDiffFormat(args.Get("format", "text"));
  if (!format.ok()) return Fail(format.status());
  absl::StatusOr<double> limit =
      args.GetDouble("max-withdraw-percent", daemon::kDefaultMaxWithdrawPercent, 0, 100);
  if (!limit.ok()) return Fail(limit.status());
  absl::StatusOr<std::unique_ptr<sources::GitSource>> git =
      sources::GitSource::Open({.location = location});
  if (!git.ok()) return Fail(git.status());
  absl::StatusOr<roa::CompileDiff> diff = CompileRange(**git, args.Get("diff"));
  if (!diff.ok()) return Fail(diff.status());
  roa::GuardVerdict guard{.limit_percent = *limit,
                          .would_hold = daemon::WithdrawGuard::Exceeds(diff->vrps.withdrawn.size(),
                                                                       diff->base_vrps, *limit)};
  if (absl::Status s = WriteOutput(args.Get("output"), FormatCompileDiff(*diff, *format, guard));
      !s.ok()) {
    return Fail(s);
  }
  if (diff->new_drops() > 0) {
    if (!args.Has("quiet")) {
      std::cerr << absl::StrFormat("roa-compile: the change makes %d object(s) dropped\n",
                                   diff->new_drops());
    }
    return kNewDropsExit;
  }
  return 0;
}

int Main(int argc, char** argv) {
  Args args("roa-compile",
            "Compiles dn42 route/route6 objects into validated ROA payloads (VRPs).");
  tools::AddSourceOptions(&args, "ref");
  args.AddOption(
      "format", "FMT",
      "json (default), bird2, bird1 or csv; with --diff: text (default), json or github");
  args.AddOption("family", "4|6", "only IPv4 or only IPv6 VRPs");
  args.AddOption("output", "FILE", "write here (atomically) instead of standard output");
  args.AddSwitch("diagnostics", "list every dropped or adjusted object on standard error");
  args.AddSwitch("quiet", "no summary line");
  args.AddOption("diff", "BASE..HEAD",
                 "what the registry's change from BASE to HEAD (BASE...HEAD: from their merge "
                 "base) adds, removes, drops and adjusts; exit 3 if it makes objects dropped");
  args.AddOption("max-withdraw-percent", "P",
                 "with --diff: the withdraw guard's limit to compare with (default rtr42d's)");
  if (std::optional<int> exit = args.ParseCommandLine(argc, argv)) return *exit;
  SetLogLevel(LogLevel::kWarning);
  if (args.Has("diff")) return RunDiff(args);
  absl::StatusOr<roa::OutputFormat> format = roa::ParseOutputFormat(args.Get("format", "json"));
  if (!format.ok()) return Fail(format.status());
  absl::StatusOr<std::optional<roa::Family>> family = ParseFamily(args);
  if (!family.ok()) return Fail(family.status());

  absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<sources::RegistrySource>> source =
      tools::OpenSourceFromArgs(args, "ref");
  if (!source.ok()) return Fail(source.status());
  absl::StatusOr<std::optional<roa::RegistryDelta>> delta = (*source)->Poll();
  if (!delta.ok()) return Fail(delta.status());
  roa::RegistryCompiler compiler;
  if (delta->has_value()) {
    if (absl::Status s = compiler.Apply(std::move(**delta)); !s.ok()) return Fail(s);
    (*source)->Confirm();  // an NRTMv4 mirror keeps its state for the next run
  }
  roa::VrpSet set = compiler.BuildSet();
  std::vector<roa::Diagnostic> diagnostics = compiler.Diagnostics();
  double ms = absl::ToDoubleMilliseconds(absl::Now() - start);

  roa::FormatOptions options;
  options.family = *family;
  options.generated = absl::ToUnixSeconds(absl::Now());
  if (delta->has_value() && (*delta)->revision.size() == 40) options.commit = (*delta)->revision;
  if (absl::Status s = WriteOutput(args.Get("output"), roa::FormatVrps(set, *format, options));
      !s.ok()) {
    return Fail(s);
  }
  if (args.Has("diagnostics")) {
    for (const auto& d : diagnostics) std::cerr << d.ToString() << "\n";
  }
  if (!args.Has("quiet")) {
    std::cerr << absl::StrFormat(
        "roa-compile: %s: %d objects -> %d VRPs (%d IPv4, %d IPv6), %d diagnostics, %.1f ms\n",
        (*source)->Describe(), compiler.object_count(), set.size(), set.ipv4_count(),
        set.ipv6_count(), diagnostics.size(), ms);
  }
  return 0;
}

}  // namespace
}  // namespace rtr42

int main(int argc, char** argv) { return rtr42::Main(argc, argv); }
