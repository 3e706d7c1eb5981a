#include "daemon/status_page.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "daemon/validity_report.h"
#include "roa/registry_delta.h"

namespace rtr42::daemon {
namespace {

using nlohmann::json;

constexpr char kStyle[] = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:72em;padding:0 1em;color:#1d2127}
h1{font-size:1.5em;margin:.8em 0 .2em}h2{font-size:1.15em;margin:1.4em 0 .4em;border-bottom:1px solid #d0d5dc}
table{border-collapse:collapse;width:100%;margin:.3em 0}th,td{text-align:left;padding:.2em .5em;vertical-align:top}
th{background:#eef1f4;font-weight:600}tr:nth-child(even) td{background:#f7f8fa}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}code{font-size:.95em}
.cards{display:flex;flex-wrap:wrap;gap:.6em}.card{border:1px solid #d0d5dc;border-radius:4px;padding:.4em .8em;min-width:7em}
.card b{display:block;font-size:1.4em}.muted{color:#5c6570}
.ok,.valid{color:#11703a}.failing,.invalid,.expired{color:#b3261e}.warning,.starting,.holding,.not-found{color:#8a5a00}
.badge{font-weight:700;text-transform:uppercase}form{margin:.4em 0}input{font:inherit;padding:.15em .3em}
svg text{font-size:11px;fill:#5c6570}
)";

std::string Esc(absl::string_view text) { return HtmlEscape(text); }

std::string Time(absl::Time t) {
  if (t == absl::InfinitePast()) return "never";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", t, absl::UTCTimeZone());
}

std::string Ago(absl::Time now, absl::Time t) {
  if (t == absl::InfinitePast()) return "never";
  int64_t s = std::max<int64_t>(0, absl::ToInt64Seconds(now - t));
  std::string age = s < 120      ? absl::StrCat(s, " s")
                    : s < 7200   ? absl::StrCat(s / 60, " min")
                    : s < 172800 ? absl::StrCat(s / 3600, " h")
                                 : absl::StrCat(s / 86400, " d");
  return absl::StrCat("<span title=\"", Time(t), "\">", age, " ago</span>");
}

const char* SourceState(const SourceStatus& s) {
  if (!s.expired.empty()) return "expired";
  if (s.polls == 0) return "starting";
  if (!s.last_ok) return "failing";
  if (!s.warning.empty()) return "warning";
  return "ok";
}

void Card(std::string* out, const char* id, const std::string& label, const std::string& value) {
  absl::StrAppend(out, "<div class=\"card\"><b id=\"", id, "\">", Esc(value), "</b>", Esc(label),
                  "</div>");
}

void Summary(std::string* out, const rtr::Update* current, size_t routers) {
  absl::StrAppend(out, "<div class=\"cards\">");
  if (current) {
    Card(out, "serial", "serial", absl::StrCat(current->serial()));
    Card(out, "session-id", "session id", absl::StrCat(current->session_id()));
    Card(out, "vrps-ipv4", "IPv4 VRPs", absl::StrCat(current->set().ipv4_count()));
    Card(out, "vrps-ipv6", "IPv6 VRPs", absl::StrCat(current->set().ipv6_count()));
    Card(out, "aspas", "ASPA records", absl::StrCat(current->set().aspas().size()));
    Card(out, "router-keys", "router keys", absl::StrCat(current->set().router_keys().size()));
  } else {
    Card(out, "serial", "serial", "none: no set loaded yet");
  }
  Card(out, "router-count", "routers connected", absl::StrCat(routers));
  absl::StrAppend(out, "</div>");
  if (current && !current->revision().empty()) {
    absl::StrAppend(out, "<p class=\"muted\">revision <code>", Esc(current->revision()),
                    "</code></p>");
  }
}

std::string GuardText(const WithdrawGuard::State& g) {
  if (g.holding) {
    return absl::StrFormat(
        "<span class=\"holding\">holding back %s: it would withdraw %d of %d VRPs</span> "
        "(SIGUSR1 serves it)",
        Esc(roa::ShortRevision(g.held_revision)), g.held_withdrawals, g.held_of);
  }
  return absl::StrFormat("serving; %d holds, %d confirmed", g.holds, g.confirmations);
}

void Sources(std::string* out, const LoopStatus& status, absl::Time now) {
  absl::StrAppend(out,
                  "<h2>Sources</h2><table id=\"sources\"><tr><th>name</th><th>source</th>"
                  "<th>state</th><th>last success</th><th>last failure</th><th>revision</th>"
                  "<th class=\"n\">objects</th><th class=\"n\">VRPs</th><th class=\"n\">ASPA</th>"
                  "<th>withdraw guard</th></tr>");
  for (const SourceStatus& s : status.sources) {
    const char* state = SourceState(s);
    std::string error = "<span class=\"muted\">none</span>";
    if (s.last_failure != absl::InfinitePast()) {
      error = absl::StrCat(Ago(now, s.last_failure), ": ", Esc(s.last_failure_reason),
                           " <span class=\"muted\">(", s.failures, " of ", s.polls, " polls failed",
                           s.last_ok ? "; answering again" : "", ")</span>");
    }
    if (!s.warning.empty()) absl::StrAppend(&error, "<br>warning: ", Esc(s.warning));
    if (!s.expired.empty()) absl::StrAppend(&error, "<br>expired: ", Esc(s.expired));
    absl::StrAppend(out, "<tr class=\"source\"><td>", Esc(s.name), "</td><td>", Esc(s.source),
                    "</td><td class=\"badge ", state, "\">", state, "</td><td>",
                    Ago(now, s.last_success), "</td><td>", error, "</td><td><code>",
                    Esc(roa::ShortRevision(s.revision)), "</code></td><td class=\"n\">", s.objects,
                    "</td><td class=\"n\">", s.vrps, "</td><td class=\"n\">", s.aspas, "</td><td>",
                    GuardText(s.withdraw_guard), "</td></tr>");
  }
  absl::StrAppend(out, "</table>");
  if (!status.slurm_path.empty()) {
    absl::StrAppend(out, "<p>SLURM <code>", Esc(status.slurm_path), "</code>: ",
                    status.slurm_ok ? absl::StrCat(status.slurm_filters, " filters, ",
                                                   status.slurm_assertions, " assertions")
                                    : absl::StrCat("<span class=\"failing\">",
                                                   Esc(status.slurm_error), "</span>"),
                    "</p>");
  }
}

void Routers(std::string* out, const std::vector<rtr::SessionInfo>& sessions,
             const rtr::Update* current, absl::Time now) {
  absl::StrAppend(out,
                  "<h2>Routers</h2><table id=\"routers\"><tr><th>peer</th><th>transport</th>"
                  "<th>RTR version</th><th>serial held</th><th>connected</th>"
                  "<th class=\"n\">bytes sent</th><th class=\"n\">queries</th>"
                  "<th>last query</th></tr>");
  for (const rtr::SessionInfo& s : sessions) {
    std::string serial = "<span class=\"muted\">none yet</span>";
    if (s.serial) {
      serial = absl::StrCat(*s.serial);
      if (current && *s.serial == current->serial()) {
        absl::StrAppend(&serial, " <span class=\"ok\">(current)</span>");
      } else if (current) {
        absl::StrAppend(&serial, " <span class=\"warning\">(", current->serial() - *s.serial,
                        " behind)</span>");
      }
    }
    std::string last = s.queries == 0
                           ? "<span class=\"muted\">none</span>"
                           : absl::StrCat(s.last_query_kind, ", ", Ago(now, s.last_query));
    absl::StrAppend(out, "<tr class=\"router\"><td class=\"peer\">", Esc(s.peer), "</td><td>",
                    rtr::TransportName(s.transport), "</td><td class=\"version\">",
                    s.version ? absl::StrCat(*s.version) : "-", "</td><td class=\"held\">", serial,
                    "</td><td>", Ago(now, s.connected), "</td><td class=\"n\">", s.bytes_sent,
                    "</td><td class=\"n\">", s.queries, "</td><td>", last, "</td></tr>");
  }
  if (sessions.empty()) {
    absl::StrAppend(out, "<tr><td colspan=\"8\" class=\"muted\">no router is connected</td></tr>");
  }
  absl::StrAppend(out, "</table>");
}

size_t CountFamily(const std::vector<roa::Vrp>& vrps, roa::Family family) {
  return std::count_if(vrps.begin(), vrps.end(),
                       [family](const roa::Vrp& v) { return v.prefix.family() == family; });
}

// The VRP count per family at every retained serial, oldest first.
struct Point {
  uint32_t serial;
  size_t ipv4;
  size_t ipv6;
};
std::vector<Point> CountsOverHistory(const rtr::Update& current) {
  std::vector<Point> points;
  size_t v4 = current.set().ipv4_count(), v6 = current.set().ipv6_count();
  points.push_back({current.serial(), v4, v6});
  const auto& steps = current.steps();
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    const roa::VrpDiff& d = (*it)->diff;
    v4 = v4 + CountFamily(d.withdrawn, roa::Family::kIpv4) -
         CountFamily(d.announced, roa::Family::kIpv4);
    v6 = v6 + CountFamily(d.withdrawn, roa::Family::kIpv6) -
         CountFamily(d.announced, roa::Family::kIpv6);
    points.push_back({(*it)->serial, v4, v6});
  }
  std::reverse(points.begin(), points.end());
  return points;
}

void Chart(std::string* out, const std::vector<Point>& points) {
  constexpr int kWidth = 640, kHeight = 140, kLeft = 48, kBottom = 18, kTop = 8;
  size_t lo = SIZE_MAX, hi = 0;
  for (const Point& p : points) {
    lo = std::min({lo, p.ipv4, p.ipv6});
    hi = std::max({hi, p.ipv4, p.ipv6});
  }
  if (hi == lo) hi = lo + 1;
  auto x = [&](size_t i) {
    return points.size() < 2 ? double(kLeft)
                             : kLeft + double(i) * (kWidth - kLeft - 4) / double(points.size() - 1);
  };
  auto y = [&](size_t v) {
    return kTop + double(hi - v) * (kHeight - kTop - kBottom) / double(hi - lo);
  };
  absl::StrAppendFormat(out,
                        "<svg id=\"history-chart\" width=\"%d\" height=\"%d\" role=\"img\" "
                        "aria-label=\"VRPs per serial\"><title>VRPs per serial, %d to %d</title>",
                        kWidth, kHeight, points.front().serial, points.back().serial);
  absl::StrAppendFormat(out, "<text x=\"0\" y=\"%d\">%d</text><text x=\"0\" y=\"%d\">%d</text>",
                        kTop + 10, hi, kHeight - kBottom, lo);
  absl::StrAppendFormat(out,
                        "<text x=\"%d\" y=\"%d\">serial %d</text><text x=\"%d\" y=\"%d\" "
                        "text-anchor=\"end\">%d</text>",
                        kLeft, kHeight - 2, points.front().serial, kWidth - 4, kHeight - 2,
                        points.back().serial);
  for (const auto& [family, color, pick] :
       {std::tuple{"IPv4", "#1f5fa8", &Point::ipv4}, std::tuple{"IPv6", "#b25c00", &Point::ipv6}}) {
    std::string line;
    for (size_t i = 0; i < points.size(); ++i) {
      absl::StrAppendFormat(&line, "%.1f,%.1f ", x(i), y(points[i].*pick));
    }
    absl::StrAppendFormat(out,
                          "<polyline class=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
                          "points=\"%s\"><title>%s</title></polyline>",
                          family, color, line, family);
  }
  absl::StrAppend(out,
                  "</svg><p class=\"muted\"><span style=\"color:#1f5fa8\">&#9632; IPv4</span> "
                  "<span style=\"color:#b25c00\">&#9632; IPv6</span></p>");
}

void History(std::string* out, const rtr::Update* current) {
  absl::StrAppend(out, "<h2>Serial history</h2>");
  if (!current) {
    absl::StrAppend(out, "<p class=\"muted\">no set yet</p>");
    return;
  }
  const auto& steps = current->steps();
  absl::StrAppend(out, "<p>", current->retained_serials(),
                  " serials retained (routers at any of them get a diff), from serial ",
                  current->oldest_serial(), ".</p>");
  Chart(out, CountsOverHistory(*current));
  absl::StrAppend(out,
                  "<table id=\"history\"><tr><th>serial</th><th>made</th><th class=\"n\">"
                  "announced</th><th class=\"n\">withdrawn</th><th>revision</th></tr>");
  size_t shown = 0;
  for (auto it = steps.rbegin(); it != steps.rend() && shown < kStatusHistoryRows; ++it, ++shown) {
    const rtr::SerialStep& s = **it;
    absl::StrAppend(
        out, "<tr class=\"step\"><td>", s.serial + 1, "</td><td>", Time(s.time),
        "</td><td class=\"n\">+", s.diff.announced.size() + s.diff.aspa_announced.size(),
        "</td><td class=\"n\">-", s.diff.withdrawn.size() + s.diff.aspa_withdrawn.size(),
        "</td><td><code>", Esc(roa::ShortRevision(s.revision)), "</code></td></tr>");
  }
  absl::StrAppend(out, "<tr class=\"step\"><td>", current->oldest_serial(),
                  "</td><td colspan=\"4\" class=\"muted\">the oldest serial retained</td></tr>",
                  "</table>");
}

void VrpTable(std::string* out, const char* title, const json& vrps) {
  if (vrps.empty()) return;
  absl::StrAppend(out, "<h3>", title,
                  "</h3><table class=\"vrps\"><tr><th>prefix</th>"
                  "<th>max length</th><th>origin</th><th>route object</th>"
                  "<th>max length from</th></tr>");
  for (const json& v : vrps) {
    std::string objects, from;
    for (const json& o : v["origins"]) {
      absl::StrAppend(&objects, objects.empty() ? "" : "<br>", "<code>",
                      Esc(o["file"].get<std::string>()), ":", o["line"].get<int>(), "</code>");
      std::string f = o["max_length_from"];
      if (o.contains("rule")) {
        absl::StrAppend(&f, "; admitted by rule ", o["rule"]["number"].get<int>(), " <code>",
                        Esc(o["rule"]["text"].get<std::string>()), "</code> (",
                        Esc(o["rule"]["file"].get<std::string>()), ":",
                        o["rule"]["line"].get<int>(), ")");
      }
      absl::StrAppend(&from, from.empty() ? "" : "<br>", f);
    }
    absl::StrAppend(
        out, "<tr><td>", Esc(v["prefix"].get<std::string>()), "</td><td>",
        Esc(v["max_length"].get<std::string>()), "</td><td>", Esc(v["asn"].get<std::string>()),
        "</td><td>",
        objects.empty() ? "<span class=\"muted\">not from a route object</span>" : objects,
        "</td><td>", from, "</td></tr>");
  }
  absl::StrAppend(out, "</table>");
}

void Lookup(std::string* out, const LoopStatus& status, const rtr::Update* current,
            const StatusPageRequest& request, absl::Time now) {
  absl::StrAppend(
      out,
      "<h2>Route lookup</h2><form method=\"get\" action=\"/\" id=\"lookup\">"
      "<label>origin <input name=\"asn\" placeholder=\"AS4242420000\" value=\"",
      Esc(request.asn.value_or("")),
      "\"></label> <label>prefix <input name=\"prefix\" placeholder=\"172.20.0.0/24\" value=\"",
      Esc(request.prefix.value_or("")),
      "\"></label> <button type=\"submit\">validate</button></form>");
  if (!request.asn || !request.prefix) return;
  absl::StatusOr<RouteQuery> query = ParseRouteQuery(*request.asn, *request.prefix);
  if (!query.ok()) {
    absl::StrAppend(out, "<div id=\"lookup-result\" data-state=\"error\"><p class=\"failing\">",
                    Esc(query.status().message()), "</p></div>");
    return;
  }
  if (!current) {
    absl::StrAppend(out,
                    "<div id=\"lookup-result\" data-state=\"error\"><p class=\"failing\">"
                    "no VRP set loaded yet</p></div>");
    return;
  }
  json report = ValidityReport(*current, status, *query, now);
  const json& validity = report["validated_route"]["validity"];
  std::string state = validity["state"];
  absl::StrAppend(out, "<div id=\"lookup-result\" data-state=\"", Esc(state), "\"><p><code>",
                  Esc(query->prefix.ToString()), "</code> from AS", query->origin,
                  ": <span id=\"lookup-state\" class=\"badge ", Esc(state), "\">", Esc(state),
                  "</span> &mdash; ", Esc(validity["description"].get<std::string>()),
                  " <span class=\"muted\">(serial ", current->serial(), "; as JSON: <a href=\"",
                  "/api/v1/validity/AS", query->origin, "/", Esc(query->prefix.ToString()),
                  "\">/api/v1/validity</a>)</span></p>");
  VrpTable(out, "Matched VRPs", validity["VRPs"]["matched"]);
  VrpTable(out, "Covering VRPs of other origins", validity["VRPs"]["unmatched_as"]);
  VrpTable(out, "Covering VRPs of this origin, shorter than the route",
           validity["VRPs"]["unmatched_length"]);
  if (!report["dropped"].empty()) {
    absl::StrAppend(out, "<h3>Route objects dropped for this prefix</h3><ul class=\"dropped\">");
    for (const json& d : report["dropped"]) {
      absl::StrAppend(out, "<li><code>", Esc(d["file"].get<std::string>()), ":",
                      d["line"].get<int>(), "</code> ", Esc(d["object"].get<std::string>()), ": ",
                      Esc(d["reason"].get<std::string>()), "</li>");
    }
    absl::StrAppend(out, "</ul>");
  }
  absl::StrAppend(out, "</div>");
}

void Diagnostics(std::string* out, const LoopStatus& status, const std::string& filter) {
  std::string needle = absl::AsciiStrToLower(filter);
  absl::StrAppend(out,
                  "<h2>Diagnostics</h2><form method=\"get\" action=\"/\" id=\"filter\"><label>"
                  "filter <input name=\"q\" value=\"",
                  Esc(filter),
                  "\" placeholder=\"file, object or reason\"></label> <button type=\"submit\">"
                  "filter</button></form>"
                  "<table id=\"diagnostics\"><tr><th>source</th><th>where</th><th>object</th>"
                  "<th>kind</th><th>reason</th></tr>");
  size_t total = 0, matched = 0, shown = 0;
  for (const SourceStatus& source : status.sources) {
    if (!source.diagnostics) continue;
    for (const roa::Diagnostic& d : *source.diagnostics) {
      ++total;
      const char* kind = roa::DiagnosticKindName(d.kind);
      std::string where = d.line > 0 ? absl::StrCat(d.file, ":", d.line) : d.file;
      // The row's text is lowered only when there is a filter to match.
      if (!needle.empty() &&
          !absl::StrContains(absl::AsciiStrToLower(absl::StrCat(
                                 source.name, " ", where, " ", d.object, " ", kind, " ", d.reason)),
                             needle)) {
        continue;
      }
      ++matched;
      if (shown++ >= kStatusDiagnosticRows) continue;
      absl::StrAppend(out, "<tr class=\"diagnostic\"><td>", Esc(source.name), "</td><td><code>",
                      Esc(where), "</code></td><td>", Esc(d.object), "</td><td class=\"",
                      d.kind == roa::Diagnostic::Kind::kDropped ? "failing" : "warning", "\">",
                      kind, "</td><td>", Esc(d.reason), "</td></tr>");
    }
  }
  absl::StrAppend(out, "</table><p id=\"diagnostics-count\">", matched, " of ", total,
                  " diagnostics", needle.empty() ? "" : " match the filter",
                  matched > kStatusDiagnosticRows
                      ? absl::StrCat("; the first ", kStatusDiagnosticRows, " are shown")
                      : "",
                  " (all of them as JSON: <a href=\"/diagnostics\">/diagnostics</a>)</p>");
}

}  // namespace

std::string HtmlEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string RenderStatusPage(const LoopStatus& status, const rtr::Update* current,
                             const std::vector<rtr::SessionInfo>& sessions,
                             const StatusPageRequest& request, absl::Time now) {
  std::string out = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
      "<title>rtr42",
      current ? absl::StrCat(" serial ", current->serial()) : "", "</title><style>", kStyle,
      "</style></head><body><h1>rtr42 RTR cache</h1><p class=\"muted\">up since ",
      Time(status.started), "; page made ", Time(now),
      ". Also: <a href=\"/metrics\">/metrics</a>, <a href=\"/healthz\">/healthz</a>, "
      "<a href=\"/rpki.json\">/rpki.json</a>, <a href=\"/diagnostics\">/diagnostics</a>.</p>");
  Summary(&out, current, sessions.size());
  Lookup(&out, status, current, request, now);
  Sources(&out, status, now);
  Routers(&out, sessions, current, now);
  History(&out, current);
  Diagnostics(&out, status, request.filter);
  absl::StrAppend(&out, "</body></html>\n");
  return out;
}

}  // namespace rtr42::daemon
