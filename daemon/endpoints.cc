#include "daemon/endpoints.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "roa/vrp_format.h"

namespace rtr42::daemon {
namespace {

namespace bh = boost::beast::http;

void Metric(std::string* out, const char* name, const char* type, const char* help) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

double Unix(absl::Time t) {
  return t == absl::InfinitePast() ? 0 : absl::ToDoubleSeconds(t - absl::UnixEpoch());
}

// The JSON of one serial, built once and shared by every request for it.
class JsonCache {
 public:
  std::shared_ptr<const std::string> For(const std::shared_ptr<const rtr::Update>& update) {
    std::lock_guard lock(mutex_);
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
  std::mutex mutex_;
  std::shared_ptr<const std::string> json_;
  uint32_t serial_ = 0;
  uint16_t session_ = 0;
};

}  // namespace

std::string RenderMetrics(const SourceLoop& loop, const rtr::Server& server) {
  SourceStatus st = loop.Status();
  std::shared_ptr<const rtr::Update> current = loop.Current();
  const rtr::ServerStats& s = server.stats();
  std::string out;
  Metric(&out, "rtr42_vrps", "gauge", "VRPs served, by address family.");
  absl::StrAppend(&out, "rtr42_vrps{family=\"ipv4\"} ", current ? current->set().ipv4_count() : 0,
                  "\n");
  absl::StrAppend(&out, "rtr42_vrps{family=\"ipv6\"} ", current ? current->set().ipv6_count() : 0,
                  "\n");
  Metric(&out, "rtr42_aspas", "gauge", "ASPA records served (RTR version 2 sessions).");
  absl::StrAppend(&out, "rtr42_aspas ", current ? current->set().aspas().size() : 0, "\n");
  Metric(&out, "rtr42_serial", "gauge", "Current RTR serial number.");
  absl::StrAppend(&out, "rtr42_serial ", current ? current->serial() : 0, "\n");
  Metric(&out, "rtr42_session_id", "gauge", "RTR session id.");
  absl::StrAppend(&out, "rtr42_session_id ", current ? current->session_id() : 0, "\n");
  Metric(&out, "rtr42_source_last_attempt_timestamp_seconds", "gauge",
         "When the source was last polled.");
  absl::StrAppend(&out, "rtr42_source_last_attempt_timestamp_seconds ",
                  absl::StrFormat("%.3f", Unix(st.last_attempt)), "\n");
  Metric(&out, "rtr42_source_last_success_timestamp_seconds", "gauge",
         "When the source last answered.");
  absl::StrAppend(&out, "rtr42_source_last_success_timestamp_seconds ",
                  absl::StrFormat("%.3f", Unix(st.last_success)), "\n");
  Metric(&out, "rtr42_source_last_update_timestamp_seconds", "gauge",
         "When the last new serial was made.");
  absl::StrAppend(&out, "rtr42_source_last_update_timestamp_seconds ",
                  absl::StrFormat("%.3f", Unix(st.last_update)), "\n");
  Metric(&out, "rtr42_source_up", "gauge", "1 if the last poll of the source succeeded.");
  absl::StrAppend(&out, "rtr42_source_up ", st.last_ok ? 1 : 0, "\n");
  Metric(&out, "rtr42_source_polls_total", "counter", "Polls of the source.");
  absl::StrAppend(&out, "rtr42_source_polls_total ", st.polls, "\n");
  Metric(&out, "rtr42_source_failures_total", "counter", "Failed polls of the source.");
  absl::StrAppend(&out, "rtr42_source_failures_total ", st.failures, "\n");
  Metric(&out, "rtr42_compile_duration_seconds", "gauge",
         "Time to read and compile the last change.");
  absl::StrAppend(&out, "rtr42_compile_duration_seconds ",
                  absl::StrFormat("%.6f", st.last_compile_seconds), "\n");
  Metric(&out, "rtr42_diagnostics", "gauge", "Registry objects dropped or adjusted.");
  absl::StrAppend(&out, "rtr42_diagnostics ", st.diagnostics ? st.diagnostics->size() : 0, "\n");
  Metric(&out, "rtr42_slurm_up", "gauge",
         "1 if the SLURM file (when configured) is loaded and valid.");
  absl::StrAppend(&out, "rtr42_slurm_up ", st.slurm_ok ? 1 : 0, "\n");
  Metric(&out, "rtr42_slurm_failures_total", "counter", "SLURM file reads that were rejected.");
  absl::StrAppend(&out, "rtr42_slurm_failures_total ", st.slurm_failures, "\n");
  Metric(&out, "rtr42_withdraw_guard_holding", "gauge",
         "1 while a new set is held back for withdrawing too much.");
  absl::StrAppend(&out, "rtr42_withdraw_guard_holding ", st.withdraw_held ? 1 : 0, "\n");
  Metric(&out, "rtr42_withdraw_guard_held_withdrawals", "gauge",
         "VRPs the held-back set would withdraw.");
  absl::StrAppend(&out, "rtr42_withdraw_guard_held_withdrawals ", st.held_withdrawals, "\n");
  Metric(&out, "rtr42_withdraw_guard_holds_total", "counter",
         "Times a new set was held back by the withdraw guard.");
  absl::StrAppend(&out, "rtr42_withdraw_guard_holds_total ", st.withdraw_holds, "\n");
  Metric(&out, "rtr42_withdraw_guard_confirmations_total", "counter",
         "Held-back sets let through by SIGHUP.");
  absl::StrAppend(&out, "rtr42_withdraw_guard_confirmations_total ", st.withdraw_confirmations,
                  "\n");
  Metric(&out, "rtr42_state_saves_total", "counter", "RTR state files written (--state-dir).");
  absl::StrAppend(&out, "rtr42_state_saves_total ", st.state_saves, "\n");
  Metric(&out, "rtr42_state_save_failures_total", "counter",
         "RTR state files that could not be written.");
  absl::StrAppend(&out, "rtr42_state_save_failures_total ", st.state_save_failures, "\n");
  Metric(&out, "rtr42_sessions", "gauge", "RTR sessions by negotiated protocol version.");
  for (size_t v = 0; v < s.sessions_by_version.size(); ++v) {
    absl::StrAppend(&out, "rtr42_sessions{version=\"", v, "\"} ", s.sessions_by_version[v].load(),
                    "\n");
  }
  Metric(&out, "rtr42_connections", "gauge", "Open RTR connections (negotiated or not).");
  absl::StrAppend(&out, "rtr42_connections ", server.session_count(), "\n");
  Metric(&out, "rtr42_connections_refused_total", "counter", "Connections refused at the limit.");
  absl::StrAppend(&out, "rtr42_connections_refused_total ", s.connections_refused.load(), "\n");
  Metric(&out, "rtr42_sessions_closed_by_limit_total", "counter",
         "Sessions the server closed for a limit, by reason.");
  for (size_t r = 0; r < s.closed_by_limit.size(); ++r) {
    absl::StrAppend(&out, "rtr42_sessions_closed_by_limit_total{reason=\"",
                    rtr::CloseReasonName(static_cast<rtr::CloseReason>(r)), "\"} ",
                    s.closed_by_limit[r].load(), "\n");
  }
  Metric(&out, "rtr42_pdus_sent_total", "counter", "RTR PDUs sent.");
  absl::StrAppend(&out, "rtr42_pdus_sent_total ", s.pdus_sent.load(), "\n");
  Metric(&out, "rtr42_bytes_sent_total", "counter", "RTR bytes sent.");
  absl::StrAppend(&out, "rtr42_bytes_sent_total ", s.bytes_sent.load(), "\n");
  Metric(&out, "rtr42_reset_queries_total", "counter", "Reset Queries answered.");
  absl::StrAppend(&out, "rtr42_reset_queries_total ", s.reset_queries.load(), "\n");
  Metric(&out, "rtr42_serial_queries_total", "counter",
         "Serial Queries answered (with a diff or a Cache Reset).");
  absl::StrAppend(&out, "rtr42_serial_queries_total ", s.serial_queries.load(), "\n");
  Metric(&out, "rtr42_cache_resets_total", "counter", "Cache Resets sent.");
  absl::StrAppend(&out, "rtr42_cache_resets_total ", s.cache_resets.load(), "\n");
  Metric(&out, "rtr42_error_reports_sent_total", "counter", "Error Reports sent, by error code.");
  for (size_t code = 0; code <= 8; ++code) {
    absl::StrAppend(&out, "rtr42_error_reports_sent_total{code=\"", code, "\",name=\"",
                    rtr::ErrorCodeName(static_cast<rtr::ErrorCode>(code)), "\"} ",
                    s.error_reports_by_code[code].load(), "\n");
  }
  Metric(&out, "rtr42_serial_notifies_sent_total", "counter", "Serial Notify PDUs sent.");
  absl::StrAppend(&out, "rtr42_serial_notifies_sent_total ", s.notifies_sent.load(), "\n");
  Metric(&out, "rtr42_serial_notify_fanout_seconds", "gauge",
         "For the newest serial: from publishing it until the last session's Serial Notify was "
         "written.");
  absl::StrAppend(&out, "rtr42_serial_notify_fanout_seconds ",
                  absl::StrFormat("%.6f", s.notify_fanout_ns.load() / 1e9), "\n");
  return out;
}

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
    if (st.withdraw_held) {
      held = absl::StrFormat("; withdraw guard holding back %s (-%d of %d VRPs; SIGHUP serves it)",
                             st.held_revision, st.held_withdrawals, st.held_of);
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
    if (r[bh::field::if_none_match] == etag) {
      http::Response nm = HttpServer::Make(r, bh::status::not_modified, "application/json", "");
      nm.set(bh::field::etag, etag);
      return nm;
    }
    http::Response ok =
        HttpServer::Make(r, bh::status::ok, "application/json", *cache->For(current));
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
