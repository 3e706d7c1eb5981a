#include "daemon/validity_report.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "roa/vrp_format.h"

namespace rtr42::daemon {
namespace {

using nlohmann::json;

const char* MaxLengthFromName(roa::VrpOrigin::MaxLengthFrom from) {
  switch (from) {
    case roa::VrpOrigin::MaxLengthFrom::kAttribute:
      return "attribute";
    case roa::VrpOrigin::MaxLengthFrom::kRule:
      return "rule";
    case roa::VrpOrigin::MaxLengthFrom::kPrefix:
      break;
  }
  return "prefix";
}

struct ByVrp {
  bool operator()(const roa::VrpOrigin& a, const roa::Vrp& b) const { return a.vrp < b; }
  bool operator()(const roa::Vrp& a, const roa::VrpOrigin& b) const { return a < b.vrp; }
};

json VrpJson(const roa::Vrp& vrp, const LoopStatus& status) {
  json origins = json::array();
  for (const SourceStatus& source : status.sources) {
    if (!source.origins) continue;
    auto [begin, end] =
        std::equal_range(source.origins->begin(), source.origins->end(), vrp, ByVrp());
    for (auto it = begin; it != end; ++it) {
      json o{{"source", source.name},
             {"file", it->file},
             {"line", it->line},
             {"object", it->object},
             {"max_length_from", MaxLengthFromName(it->max_length_from)}};
      if (it->max_length_line > 0) o["max_length_line"] = it->max_length_line;
      if (!it->rule_file.empty()) {
        o["rule"] = {{"number", it->rule_number},
                     {"file", it->rule_file},
                     {"line", it->rule_line},
                     {"text", it->rule_text}};
      }
      origins.push_back(std::move(o));
    }
  }
  return {{"asn", absl::StrCat("AS", vrp.asn)},
          {"prefix", vrp.prefix.ToString()},
          {"max_length", absl::StrCat(vrp.max_length)},
          {"origins", std::move(origins)}};
}

json VrpList(const std::vector<roa::Vrp>& vrps, const LoopStatus& status) {
  json list = json::array();
  for (const roa::Vrp& v : vrps) list.push_back(VrpJson(v, status));
  return list;
}

// The prefix a diagnostic is about: its object as written ("172.20.0.0/24")
// or as a file name ("172.20.0.0_24").
std::optional<roa::Prefix> DiagnosticPrefix(const roa::Diagnostic& d) {
  for (const std::string& text :
       {d.object, absl::StrReplaceAll(d.object, {{"_", "/"}}),
        absl::StrReplaceAll(d.file.substr(d.file.rfind('/') + 1), {{"_", "/"}})}) {
    if (absl::StatusOr<roa::Prefix> p = roa::Prefix::Parse(text); p.ok()) return *p;
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<RouteQuery> ParseRouteQuery(absl::string_view asn, absl::string_view prefix) {
  RouteQuery query;
  if (!roa::ParseAsn(asn, &query.origin)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", asn, "' is not an AS number (AS4242420000 or 4242420000)"));
  }
  absl::StatusOr<roa::Prefix> p = roa::Prefix::Parse(prefix);
  if (!p.ok()) return absl::InvalidArgumentError(absl::StrCat("prefix: ", p.status().message()));
  query.prefix = *p;
  return query;
}

json ValidityReport(const rtr::Update& current, const LoopStatus& status, const RouteQuery& query,
                    absl::Time now) {
  roa::RouteValidity v = roa::ValidateRoute(current.set(), query.origin, query.prefix);
  json validity{{"state", roa::RouteStateName(v.state)}};
  switch (v.state) {
    case roa::RouteState::kValid:
      validity["description"] = "a VRP matches the route's prefix, length and origin";
      break;
    case roa::RouteState::kInvalid:
      if (v.unmatched_length.empty()) {
        validity["reason"] = "as";
        validity["description"] = "VRPs cover the prefix, but none is for the route's origin";
      } else {
        validity["reason"] = "length";
        validity["description"] =
            "a VRP for the route's origin covers the prefix, but the route is longer than its "
            "max length";
      }
      break;
    case roa::RouteState::kNotFound:
      validity["description"] = "no VRP covers the route's prefix";
      break;
  }
  validity["VRPs"] = {{"matched", VrpList(v.matched, status)},
                      {"unmatched_as", VrpList(v.unmatched_as, status)},
                      {"unmatched_length", VrpList(v.unmatched_length, status)}};
  json dropped = json::array();
  for (const SourceStatus& source : status.sources) {
    if (!source.diagnostics) continue;
    for (const roa::Diagnostic& d : *source.diagnostics) {
      if (d.kind != roa::Diagnostic::Kind::kDropped) continue;
      std::optional<roa::Prefix> p = DiagnosticPrefix(d);
      if (!p || !p->Contains(query.prefix)) continue;
      dropped.push_back({{"source", source.name},
                         {"file", d.file},
                         {"line", d.line},
                         {"object", d.object},
                         {"reason", d.reason}});
    }
  }
  return {
      {"validated_route",
       {{"route",
         {{"origin_asn", absl::StrCat("AS", query.origin)}, {"prefix", query.prefix.ToString()}}},
        {"validity", std::move(validity)}}},
      {"dropped", std::move(dropped)},
      {"serial", current.serial()},
      {"session_id", current.session_id()},
      {"generatedTime", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", now, absl::UTCTimeZone())}};
}

}  // namespace rtr42::daemon
