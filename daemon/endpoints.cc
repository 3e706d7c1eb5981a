#include "daemon/endpoints.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "daemon/metrics.h"
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

}  // namespace

void RegisterEndpoints(http::HttpServer* http, const SourceLoop* loop, const rtr::Server* server,
                       EndpointOptions options) {
  using http::HttpServer;
  http->Handle("/metrics", [loop, server](const http::Request& r) {
    return HttpServer::Make(r, bh::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                            RenderMetrics(*loop, *server));
  });
  http->Handle("/healthz", [loop, options](const http::Request& r) {
    SourceStatus st = loop->Status();
    std::shared_ptr<const rtr::Update> current = loop->Current();
    absl::Time now = absl::Now();
    std::string reason;
    if (!current) {
      reason =
          st.last_error.empty() ? "no VRP set loaded yet" : "no VRP set loaded: " + st.last_error;
    } else if (now - std::max(st.last_success, st.started) > options.stale_after) {
      absl::Duration silent = now - std::max(st.last_success, st.started);
      reason = absl::StrCat("stale: the source has not answered for ",
                            absl::FormatDuration(absl::Trunc(silent, absl::Seconds(1))),
                            st.last_error.empty() ? "" : " (" + st.last_error + ")");
    }
    if (!reason.empty())
      return HttpServer::Make(r, bh::status::service_unavailable, "text/plain", reason + "\n");
    std::string held;
    if (st.withdraw_guard.holding) {
      held = absl::StrFormat("; withdraw guard holding back %s (-%d of %d VRPs; SIGHUP serves it)",
                             st.withdraw_guard.held_revision, st.withdraw_guard.held_withdrawals,
                             st.withdraw_guard.held_of);
    }
    return HttpServer::Make(r, bh::status::ok, "text/plain",
                            absl::StrFormat("ok: serial %d, %d VRPs%s\n", current->serial(),
                                            current->set().size(), held));
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
    SourceStatus st = loop->Status();
    nlohmann::json list = nlohmann::json::array();
    if (st.diagnostics) {
      for (const roa::Diagnostic& d : *st.diagnostics) {
        list.push_back(
            {{"file", d.file},
             {"line", d.line},
             {"object", d.object},
             {"kind", d.kind == roa::Diagnostic::Kind::kDropped ? "dropped" : "adjusted"},
             {"reason", d.reason}});
      }
    }
    nlohmann::json body{{"source", st.source}, {"revision", st.revision}, {"diagnostics", list}};
    return HttpServer::Make(
        r, bh::status::ok, "application/json",
        body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  });
}

}  // namespace rtr42::daemon
