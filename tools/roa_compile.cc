// roa-compile: the dn42 registry (git, directory or the embedded sample) to a
// VRP file in JSON (StayRTR / rpki-client), BIRD 2, BIRD 1 or CSV.
#include <cstdio>
#include <iostream>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/args.h"
#include "base/file_util.h"
#include "base/log.h"
#include "roa/compiler.h"
#include "roa/vrp_format.h"
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

int Main(int argc, char** argv) {
  Args args("roa-compile",
            "Compiles dn42 route/route6 objects into validated ROA payloads (VRPs).");
  tools::AddSourceOptions(&args, "ref");
  args.AddOption("format", "FMT", "json (default), bird2, bird1 or csv");
  args.AddOption("family", "4|6", "only IPv4 or only IPv6 VRPs");
  args.AddOption("output", "FILE", "write here (atomically) instead of standard output");
  args.AddSwitch("diagnostics", "list every dropped or adjusted object on standard error");
  args.AddSwitch("quiet", "no summary line");
  if (std::optional<int> exit = args.ParseCommandLine(argc, argv)) return *exit;
  absl::StatusOr<roa::OutputFormat> format = roa::ParseOutputFormat(args.Get("format", "json"));
  if (!format.ok()) return Fail(format.status());
  absl::StatusOr<std::optional<roa::Family>> family = ParseFamily(args);
  if (!family.ok()) return Fail(family.status());
  SetLogLevel(LogLevel::kWarning);

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
