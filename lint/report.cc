#include "lint/report.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace rtr42::lint {
namespace {

using nlohmann::json;

json LocationJson(const Location& l) {
  return json{{"file", l.file ? *l.file : ""}, {"line", l.line}, {"column", l.column}};
}

std::string GithubEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '%')
      out += "%25";
    else if (c == '\r')
      out += "%0D";
    else if (c == '\n')
      out += "%0A";
    else
      out += c;
  }
  return out;
}

std::string GithubProperty(const std::string& s) {
  std::string out;
  for (char c : GithubEscape(s)) {
    if (c == ':')
      out += "%3A";
    else if (c == ',')
      out += "%2C";
    else
      out += c;
  }
  return out;
}

std::string RenderText(const std::vector<Finding>& findings,
                       const std::vector<SourceError>& errors) {
  std::string out;
  for (const SourceError& p : errors) {
    absl::StrAppend(&out,
                    p.file.empty() ? "" : absl::StrCat(p.file, ":", p.line, ":", p.column, ": "),
                    "error: ", p.message, "\n");
  }
  for (const Finding& f : findings) {
    absl::StrAppend(&out, f.location.ToString(), ": warning: [", f.rule, "] ", f.message, "\n");
    for (const Note& n : f.notes)
      absl::StrAppend(&out, n.location.ToString(), ": note: ", n.message, "\n");
  }
  return out;
}

std::string RenderJson(const std::vector<Finding>& findings,
                       const std::vector<SourceError>& errors) {
  json j{{"findings", json::array()}, {"errors", json::array()}};
  for (const Finding& f : findings) {
    json notes = json::array();
    for (const Note& n : f.notes) {
      json note = LocationJson(n.location);
      note["message"] = n.message;
      notes.push_back(note);
    }
    json item = LocationJson(f.location);
    item["rule"] = f.rule;
    item["message"] = f.message;
    item["notes"] = notes;
    j["findings"].push_back(item);
  }
  for (const SourceError& p : errors) {
    j["errors"].push_back(
        json{{"file", p.file}, {"line", p.line}, {"column", p.column}, {"message", p.message}});
  }
  return j.dump(2) + "\n";
}

std::string RenderSarif(const std::vector<Finding>& findings,
                        const std::vector<SourceError>& errors) {
  json rules = json::array();
  for (const RuleInfo& r : Rules()) {
    rules.push_back(json{{"id", r.id},
                         {"shortDescription", {{"text", r.summary}}},
                         {"fullDescription", {{"text", r.explanation}}},
                         {"defaultConfiguration", {{"level", "warning"}}}});
  }
  auto physical = [](const std::string& file, int line, int column) {
    return json{
        {"physicalLocation",
         {{"artifactLocation", {{"uri", file}}},
          {"region", {{"startLine", std::max(line, 1)}, {"startColumn", std::max(column, 1)}}}}}};
  };
  json results = json::array();
  for (const Finding& f : findings) {
    json related = json::array();
    int id = 0;
    for (const Note& n : f.notes) {
      json r =
          physical(n.location.file ? *n.location.file : "", n.location.line, n.location.column);
      r["id"] = id++;
      r["message"] = {{"text", n.message}};
      related.push_back(r);
    }
    results.push_back(json{{"ruleId", f.rule},
                           {"level", "warning"},
                           {"message", {{"text", f.message}}},
                           {"locations", json::array({physical(*f.location.file, f.location.line,
                                                               f.location.column)})},
                           {"relatedLocations", related}});
  }
  for (const SourceError& p : errors) {
    json r{{"ruleId", "parse-error"}, {"level", "error"}, {"message", {{"text", p.message}}}};
    if (!p.file.empty()) r["locations"] = json::array({physical(p.file, p.line, p.column)});
    results.push_back(r);
  }
  json sarif{
      {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
      {"version", "2.1.0"},
      {"runs",
       json::array({json{{"tool", {{"driver", {{"name", "bird-rpki-lint"}, {"rules", rules}}}}},
                         {"results", results}}})}};
  return sarif.dump(2) + "\n";
}

std::string RenderGithub(const std::vector<Finding>& findings,
                         const std::vector<SourceError>& errors) {
  std::string out;
  for (const SourceError& p : errors) {
    absl::StrAppend(&out, "::error file=", GithubProperty(p.file), ",line=", p.line,
                    ",col=", p.column, ",title=bird-rpki-lint::", GithubEscape(p.message), "\n");
  }
  for (const Finding& f : findings) {
    std::string message = f.message;
    for (const Note& n : f.notes)
      absl::StrAppend(&message, "\n", n.location.ToString(), ": ", n.message);
    absl::StrAppend(&out, "::warning file=", GithubProperty(*f.location.file),
                    ",line=", f.location.line, ",col=", f.location.column,
                    ",title=", GithubProperty(f.rule), "::", GithubEscape(message), "\n");
  }
  return out;
}

}  // namespace

absl::StatusOr<ReportFormat> ParseReportFormat(const std::string& name) {
  if (name == "text") return ReportFormat::kText;
  if (name == "json") return ReportFormat::kJson;
  if (name == "sarif") return ReportFormat::kSarif;
  if (name == "github") return ReportFormat::kGithub;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown format '", name, "' (text, json, sarif, github)"));
}

std::string Render(ReportFormat format, const std::vector<Finding>& findings,
                   const std::vector<SourceError>& errors) {
  switch (format) {
    case ReportFormat::kText:
      return RenderText(findings, errors);
    case ReportFormat::kJson:
      return RenderJson(findings, errors);
    case ReportFormat::kSarif:
      return RenderSarif(findings, errors);
    case ReportFormat::kGithub:
      return RenderGithub(findings, errors);
  }
  return "";
}

}  // namespace rtr42::lint
