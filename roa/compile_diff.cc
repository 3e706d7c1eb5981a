#include "roa/compile_diff.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "nlohmann/json.hpp"
#include "roa/registry_delta.h"

namespace rtr42::roa {
namespace {

bool DiagnosticLess(const Diagnostic& a, const Diagnostic& b) {
  return std::tie(a.file, a.line, a.object, a.kind, a.reason) <
         std::tie(b.file, b.line, b.object, b.kind, b.reason);
}

// a - b, as multisets.
std::vector<Diagnostic> Subtract(std::vector<Diagnostic> a, std::vector<Diagnostic> b) {
  std::sort(a.begin(), a.end(), DiagnosticLess);
  std::sort(b.begin(), b.end(), DiagnosticLess);
  std::vector<Diagnostic> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out),
                      DiagnosticLess);
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& x, const Diagnostic& y) {
    return std::tie(x.file, x.line) < std::tie(y.file, y.line);
  });
  return out;
}

// The origins of `vrps` (both sorted by VRP); a VRP without one (not from a
// route object) gets an origin with no file.
std::vector<VrpOrigin> OriginsOf(const std::vector<Vrp>& vrps,
                                 const std::vector<VrpOrigin>& origins) {
  std::vector<VrpOrigin> out;
  auto at = origins.begin();
  for (const Vrp& vrp : vrps) {
    at = std::lower_bound(at, origins.end(), vrp,
                          [](const VrpOrigin& o, const Vrp& v) { return o.vrp < v; });
    if (at == origins.end() || at->vrp != vrp) {
      out.push_back(VrpOrigin{.vrp = vrp});
      continue;
    }
    for (auto it = at; it != origins.end() && it->vrp == vrp; ++it) out.push_back(*it);
  }
  return out;
}

std::string Where(const std::string& file, int line) {
  if (file.empty()) return "";
  return line > 0 ? absl::StrCat(file, ":", line) : file;
}

std::string GuardLine(const CompileDiff& diff, GuardVerdict guard) {
  return absl::StrFormat(
      "withdraw guard: %d of %d VRPs withdrawn (%.2f%%); rtr42d's guard (%g%%) would %s",
      diff.vrps.withdrawn.size(), diff.base_vrps, diff.withdraw_percent(), guard.limit_percent,
      guard.would_hold ? "hold it back until an operator confirms it" : "serve it");
}

std::string Summary(const CompileDiff& diff) {
  return absl::StrFormat(
      "%s (%d VRPs) -> %s (%d VRPs): %d added, %d removed, %d new diagnostics "
      "(%d dropped), %d cleared",
      ShortRevision(diff.base_revision), diff.base_vrps, ShortRevision(diff.head_revision),
      diff.head_vrps, diff.vrps.announced.size(), diff.vrps.withdrawn.size(),
      diff.new_diagnostics.size(), diff.new_drops(), diff.cleared_diagnostics.size());
}

std::string FormatText(const CompileDiff& diff, GuardVerdict guard) {
  std::string out = absl::StrCat(Summary(diff), "\n");
  for (const auto& [sign, origins] : {std::pair{'+', &diff.added}, std::pair{'-', &diff.removed}}) {
    for (const VrpOrigin& o : *origins) {
      absl::StrAppend(&out, std::string(1, sign), " ", o.vrp.ToString());
      if (!o.file.empty()) absl::StrAppend(&out, "  ", Where(o.file, o.line));
      absl::StrAppend(&out, "\n");
    }
  }
  for (const Diagnostic& d : diff.new_diagnostics)
    absl::StrAppend(&out, "new ", d.ToString(), "\n");
  for (const Diagnostic& d : diff.cleared_diagnostics) {
    absl::StrAppend(&out, "cleared ", d.ToString(), "\n");
  }
  absl::StrAppend(&out, GuardLine(diff, guard), "\n");
  return out;
}

nlohmann::json OriginJson(const VrpOrigin& o) {
  nlohmann::json j = {{"prefix", o.vrp.prefix.ToString()},
                      {"maxLength", o.vrp.max_length},
                      {"asn", absl::StrCat("AS", o.vrp.asn)}};
  if (!o.file.empty()) {
    j["file"] = o.file;
    j["line"] = o.line;
    j["object"] = o.object;
  }
  return j;
}

nlohmann::json DiagnosticJson(const Diagnostic& d) {
  return {{"file", d.file},
          {"line", d.line},
          {"object", d.object},
          {"kind", DiagnosticKindName(d.kind)},
          {"reason", d.reason}};
}

std::string FormatJson(const CompileDiff& diff, GuardVerdict guard) {
  nlohmann::json j = {{"base", {{"revision", diff.base_revision}, {"vrps", diff.base_vrps}}},
                      {"head", {{"revision", diff.head_revision}, {"vrps", diff.head_vrps}}},
                      {"added", nlohmann::json::array()},
                      {"removed", nlohmann::json::array()},
                      {"newDiagnostics", nlohmann::json::array()},
                      {"clearedDiagnostics", nlohmann::json::array()},
                      {"newDrops", diff.new_drops()},
                      {"withdrawGuard",
                       {{"withdrawn", diff.vrps.withdrawn.size()},
                        {"of", diff.base_vrps},
                        {"percent", diff.withdraw_percent()},
                        {"limitPercent", guard.limit_percent},
                        {"wouldHold", guard.would_hold}}}};
  for (const VrpOrigin& o : diff.added) j["added"].push_back(OriginJson(o));
  for (const VrpOrigin& o : diff.removed) j["removed"].push_back(OriginJson(o));
  for (const Diagnostic& d : diff.new_diagnostics) j["newDiagnostics"].push_back(DiagnosticJson(d));
  for (const Diagnostic& d : diff.cleared_diagnostics) {
    j["clearedDiagnostics"].push_back(DiagnosticJson(d));
  }
  return j.dump(2) + "\n";
}

// GitHub Actions workflow commands: "::error file=F,line=L,title=T::message".
// The message escapes %, CR and LF; a property value ':' and ',' too.
std::string EscapeData(const std::string& s) {
  return absl::StrReplaceAll(s, {{"%", "%25"}, {"\r", "%0D"}, {"\n", "%0A"}});
}
std::string EscapeProperty(const std::string& s) {
  return absl::StrReplaceAll(EscapeData(s), {{":", "%3A"}, {",", "%2C"}});
}
std::string Command(const char* level, const std::string& file, int line, const std::string& title,
                    const std::string& message) {
  std::string properties;
  if (!file.empty()) {
    properties = absl::StrCat(" file=", EscapeProperty(file));
    if (line > 0) absl::StrAppend(&properties, ",line=", line);
    absl::StrAppend(&properties, ",");
  } else {
    properties = " ";
  }
  return absl::StrCat("::", level, properties, "title=", EscapeProperty(title),
                      "::", EscapeData(message), "\n");
}

std::string FormatGithub(const CompileDiff& diff, GuardVerdict guard) {
  std::string out;
  for (const Diagnostic& d : diff.new_diagnostics) {
    bool dropped = d.kind == Diagnostic::Kind::kDropped;
    absl::StrAppend(&out, Command(dropped ? "error" : "warning", d.file, d.line,
                                  absl::StrCat("rtr42: ", DiagnosticKindName(d.kind)),
                                  absl::StrCat(d.object, ": ", d.reason)));
  }
  for (const auto& [title, origins] : {std::pair{"rtr42: VRP added", &diff.added},
                                       std::pair{"rtr42: VRP removed", &diff.removed}}) {
    for (const VrpOrigin& o : *origins) {
      absl::StrAppend(&out, Command("notice", o.file, o.line, title, o.vrp.ToString()));
    }
  }
  absl::StrAppend(&out, Command(guard.would_hold ? "warning" : "notice", "", 0,
                                "rtr42: withdraw guard", GuardLine(diff, guard)));
  absl::StrAppend(&out, Command("notice", "", 0, "rtr42", Summary(diff)));
  return out;
}

}  // namespace

Compilation Compilation::Of(const RegistryCompiler& compiler) {
  return Compilation{.revision = compiler.revision(),
                     .set = compiler.BuildSet(),
                     .diagnostics = compiler.Diagnostics(),
                     .origins = compiler.Origins()};
}

size_t CompileDiff::new_drops() const {
  return std::count_if(new_diagnostics.begin(), new_diagnostics.end(),
                       [](const Diagnostic& d) { return d.kind == Diagnostic::Kind::kDropped; });
}

double CompileDiff::withdraw_percent() const {
  return base_vrps == 0 ? 0 : 100.0 * double(vrps.withdrawn.size()) / double(base_vrps);
}

CompileDiff DiffCompilations(const Compilation& base, const Compilation& head) {
  CompileDiff diff;
  diff.base_revision = base.revision;
  diff.head_revision = head.revision;
  diff.base_vrps = base.set.size();
  diff.head_vrps = head.set.size();
  diff.vrps = Diff(base.set, head.set);
  diff.added = OriginsOf(diff.vrps.announced, head.origins);
  diff.removed = OriginsOf(diff.vrps.withdrawn, base.origins);
  diff.new_diagnostics = Subtract(head.diagnostics, base.diagnostics);
  diff.cleared_diagnostics = Subtract(base.diagnostics, head.diagnostics);
  return diff;
}

absl::StatusOr<DiffFormat> ParseDiffFormat(const std::string& name) {
  if (name == "text") return DiffFormat::kText;
  if (name == "json") return DiffFormat::kJson;
  if (name == "github") return DiffFormat::kGithub;
  return absl::InvalidArgumentError(
      absl::StrCat("--format '", name, "': a diff is text, json or github"));
}

std::string FormatCompileDiff(const CompileDiff& diff, DiffFormat format, GuardVerdict guard) {
  switch (format) {
    case DiffFormat::kText:
      return FormatText(diff, guard);
    case DiffFormat::kJson:
      return FormatJson(diff, guard);
    case DiffFormat::kGithub:
      return FormatGithub(diff, guard);
  }
  return "";
}

}  // namespace rtr42::roa
