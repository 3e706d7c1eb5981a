#include "daemon/endpoints.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "daemon/metrics.h"
#include "daemon/status_page.h"
#include "daemon/validity_report.h"
#include "roa/vrp_format.h"

namespace rtr42::daemon {
namespace {

namespace bh = boost::beast::http;

// The JSON of one serial, built once and shared by every request for it.
class JsonCache {
 public:
  std::shared_ptr<const std::string> For(const std::shared_ptr<const rtr::Update>& update) {
    absl::MutexLock lock(&mutex_);
    if (update && (!json_ || serial_ != update->serial() || session_ != update->session_id())) {
      roa::FormatOptions options;
      options.generated = absl::ToUnixSeconds(absl::Now());
      if (update->revision().size() == 40) options.commit = update->revision();
      json_ = std::make_shared<const std::string>(
          roa::FormatVrps(update->set(), roa::OutputFormat::kJson, options));
      serial_ = update->serial();
      session_ = update->session_id();
    }
    return json_;
  }

 private:
  absl::Mutex mutex_;
  std::shared_ptr<const std::string> json_ ABSL_GUARDED_BY(mutex_);
  uint32_t serial_ ABSL_GUARDED_BY(mutex_) = 0;
  uint16_t session_ ABSL_GUARDED_BY(mutex_) = 0;
};

http::Response JsonResponse(const http::Request& r, bh::status status, const nlohmann::json& j) {
  return http::HttpServer::Make(
      r, status, "application/json",
      j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

// /api/v1/validity/{asn}/{prefix} or /validity?asn=&prefix=.
http::Response Validity(const http::Request& r, const SourceLoop& loop, absl::string_view asn,
                        absl::string_view prefix) {
  absl::StatusOr<RouteQuery> query = ParseRouteQuery(asn, prefix);
  if (!query.ok()) {
    return JsonResponse(r, bh::status::bad_request,
                        {{"error", std::string(query.status().message())}});
  }
  std::shared_ptr<const rtr::Update> current = loop.Current();
  if (!current) {
    return JsonResponse(r, bh::status::service_unavailable, {{"error", "no VRP set loaded yet"}});
  }
  return JsonResponse(r, bh::status::ok,
                      ValidityReport(*current, loop.Status(), *query, absl::Now()));
}

}  // namespace

void RegisterEndpoints(http::HttpServer* http, const SourceLoop* loop, const rtr::Server* server,
                       const ssh::SshServer* ssh, Webhook* webhook, EndpointOptions options) {
  using http::HttpServer;
  http->Handle("/metrics", [loop, server, ssh, webhook](const http::Request& r) {
    return HttpServer::Make(r, bh::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                            RenderMetrics(*loop, *server, ssh, webhook));
  });
  http->Handle("/", [loop, server](const http::Request& r) {
    absl::string_view target = http::TargetOf(r);
    StatusPageRequest request{.asn = http::QueryParameter(target, "asn"),
                              .prefix = http::QueryParameter(target, "prefix"),
                              .filter = http::QueryParameter(target, "q").value_or("")};
    std::shared_ptr<const rtr::Update> current = loop->Current();
    return HttpServer::Make(
        r, bh::status::ok, "text/html; charset=utf-8",
        RenderStatusPage(loop->Status(), current.get(), server->Sessions(), request, absl::Now()));
  });
  http->HandlePrefix("/api/v1/validity/", [loop](const http::Request& r) {
    // The prefix has a '/' of its own: split at the first one after the ASN.
    std::string rest = http::TargetPath(http::TargetOf(r)).substr(sizeof("/api/v1/validity/") - 1);
    size_t slash = rest.find('/');
    if (slash == std::string::npos) {
      return JsonResponse(r, bh::status::bad_request,
                          {{"error", "use /api/v1/validity/ASN/PREFIX"}});
    }
    return Validity(r, *loop, rest.substr(0, slash), rest.substr(slash + 1));
  });
  http->Handle("/validity", [loop](const http::Request& r) {
    absl::string_view target = http::TargetOf(r);
    std::optional<std::string> asn = http::QueryParameter(target, "asn");
    std::optional<std::string> prefix = http::QueryParameter(target, "prefix");
    if (!asn || !prefix) {
      return JsonResponse(r, bh::status::bad_request,
                          {{"error", "use /validity?asn=ASN&prefix=PREFIX"}});
    }
    return Validity(r, *loop, *asn, *prefix);
  });
  if (webhook) {
    http->HandlePost("/api/v1/refresh",
                     [webhook](const http::Request& r) { return webhook->Handle(r); });
  }
  http->Handle("/healthz", [loop, options](const http::Request& r) {
    auto [code, text] = Health(loop->Status(), loop->Current().get(), options, absl::Now());
    return HttpServer::Make(r, code == 200 ? bh::status::ok : bh::status::service_unavailable,
                            "text/plain", text + "\n");
  });
  auto cache = std::make_shared<JsonCache>();
  http->Handle("/rpki.json", [loop, cache](const http::Request& r) {
    std::shared_ptr<const rtr::Update> current = loop->Current();
    if (!current)
      return HttpServer::Make(r, bh::status::service_unavailable, "text/plain",
                              "no VRP set loaded yet\n");
    std::string etag = absl::StrFormat("\"%d-%d\"", current->session_id(), current->serial());
    auto inm = r[bh::field::if_none_match];
    if (http::IfNoneMatchMatches(absl::string_view(inm.data(), inm.size()), etag)) {
      http::Response nm = HttpServer::Make(r, bh::status::not_modified, "application/json", "");
      nm.set(bh::field::etag, etag);
      return nm;
    }
    http::Response ok =
        HttpServer::MakeShared(r, bh::status::ok, "application/json", cache->For(current));
    ok.set(bh::field::etag, etag);
    return ok;
  });
  http->Handle("/diagnostics", [loop](const http::Request& r) {
    LoopStatus st = loop->Status();
    nlohmann::json list = nlohmann::json::array();
    std::vector<std::string> revisions;
    for (const SourceStatus& source : st.sources) {
      revisions.push_back(source.revision);
      if (!source.diagnostics) continue;
      for (const roa::Diagnostic& d : *source.diagnostics) {
        list.push_back({{"source", source.name},
                        {"file", d.file},
                        {"line", d.line},
                        {"object", d.object},
                        {"kind", roa::DiagnosticKindName(d.kind)},
                        {"reason", d.reason}});
      }
    }
    // "source" and "revision" name the one source, or join them all.
    std::vector<std::string> names;
    for (const SourceStatus& source : st.sources) names.push_back(source.source);
    nlohmann::json body{{"source", absl::StrJoin(names, ", ")},
                        {"revision", absl::StrJoin(revisions, ", ")},
                        {"diagnostics", list}};
    return HttpServer::Make(
        r, bh::status::ok, "application/json",
        body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  });
}

std::pair<int, std::string> Health(const LoopStatus& st, const rtr::Update* current,
                                   const EndpointOptions& options, absl::Time now) {
  if (!current) {
    std::string reason = "no VRP set loaded yet";
    for (const SourceStatus& s : st.sources) {
      if (!s.last_error.empty()) absl::StrAppend(&reason, "; ", s.name, ": ", s.last_error);
    }
    return {503, reason};
  }
  std::vector<std::string> problems, notes;
  for (const SourceStatus& s : st.sources) {
    absl::Duration silent = now - std::max(s.last_success, s.started);
    if (silent > options.stale_after) {
      problems.push_back(absl::StrCat("stale: source ", s.name, " has not answered for ",
                                      absl::FormatDuration(absl::Trunc(silent, absl::Seconds(1))),
                                      s.last_error.empty() ? "" : " (" + s.last_error + ")"));
    }
    if (!s.expired.empty()) problems.push_back(absl::StrCat("source ", s.name, ": ", s.expired));
    if (!s.warning.empty())
      notes.push_back(absl::StrCat("warning: source ", s.name, ": ", s.warning));
    if (s.withdraw_guard.holding) {
      notes.push_back(absl::StrFormat(
          "withdraw guard holding back %s of source %s (-%d of %d VRPs; SIGUSR1 serves it)",
          s.withdraw_guard.held_revision, s.name, s.withdraw_guard.held_withdrawals,
          s.withdraw_guard.held_of));
    }
  }
  if (!problems.empty()) return {503, absl::StrJoin(problems, "; ")};
  std::string text =
      absl::StrFormat("ok: serial %d, %d VRPs", current->serial(), current->set().size());
  for (const std::string& n : notes) absl::StrAppend(&text, "; ", n);
  return {200, text};
}

}  // namespace rtr42::daemon
