#include "daemon/metrics.h"

#include "http/prometheus_text.h"

namespace rtr42::daemon {
namespace {

using http::PrometheusText;

double Unix(absl::Time t) {
  return t == absl::InfinitePast() ? 0 : absl::ToDoubleSeconds(t - absl::UnixEpoch());
}

void SetMetrics(const rtr::Update* current, PrometheusText* out) {
  out->Declare("rtr42_vrps", PrometheusText::kGauge, "VRPs served, by address family.");
  out->Sample("rtr42_vrps", {{"family", "ipv4"}}, current ? current->set().ipv4_count() : 0);
  out->Sample("rtr42_vrps", {{"family", "ipv6"}}, current ? current->set().ipv6_count() : 0);
  out->Gauge("rtr42_aspas", "ASPA records served (RTR version 2 sessions).",
             current ? current->set().aspas().size() : 0);
  out->Gauge("rtr42_router_keys", "BGPsec Router Keys served (RTR version 1 and 2 sessions).",
             current ? current->set().router_keys().size() : 0);
  out->Gauge("rtr42_serial", "Current RTR serial number.", current ? current->serial() : 0);
  out->Gauge("rtr42_session_id", "RTR session id.", current ? current->session_id() : 0);
}

void SourceMetrics(const LoopStatus& st, PrometheusText* out) {
  auto each = [&](absl::string_view name, PrometheusText::Type type, absl::string_view help,
                  auto value) {
    out->Declare(name, type, help);
    for (const SourceStatus& s : st.sources) out->Sample(name, {{"source", s.name}}, value(s));
  };
  using S = const SourceStatus&;
  constexpr auto kGauge = PrometheusText::kGauge;
  constexpr auto kCounter = PrometheusText::kCounter;
  each("rtr42_source_last_attempt_timestamp_seconds", kGauge, "When the source was last polled.",
       [](S s) { return Unix(s.last_attempt); });
  each("rtr42_source_last_success_timestamp_seconds", kGauge, "When the source last answered.",
       [](S s) { return Unix(s.last_success); });
  each("rtr42_source_last_update_timestamp_seconds", kGauge,
       "When the source last gave a new set that was admitted.",
       [](S s) { return Unix(s.last_update); });
  each("rtr42_source_up", kGauge, "1 if the last poll of the source succeeded.",
       [](S s) { return s.last_ok ? 1 : 0; });
  each("rtr42_source_polls_total", kCounter, "Polls of the source.", [](S s) { return s.polls; });
  each("rtr42_source_failures_total", kCounter, "Failed polls of the source.",
       [](S s) { return s.failures; });
  each("rtr42_source_vrps", kGauge, "VRPs in the source's last good set (before the union).",
       [](S s) { return s.vrps; });
  each("rtr42_source_aspas", kGauge, "ASPA records in the source's last good set.",
       [](S s) { return s.aspas; });
  each("rtr42_source_generated_timestamp_seconds", kGauge,
       "When the source's data was made, where it says (JSON metadata.generated); 0 if not.",
       [](S s) { return Unix(s.generated); });
  each("rtr42_source_old_data_total", kCounter,
       "Sets the source gave with a warning that their data is old (served all the same).",
       [](S s) { return s.warnings; });
  each("rtr42_source_expired", kGauge,
       "1 while the source says its set is past its expire interval (an RTR upstream gone).",
       [](S s) { return s.expired.empty() ? 0 : 1; });
  each("rtr42_compile_duration_seconds", kGauge, "Time to read and compile the last change.",
       [](S s) { return s.last_compile_seconds; });
  each("rtr42_diagnostics", kGauge, "Registry objects dropped or adjusted.",
       [](S s) { return s.diagnostics ? s.diagnostics->size() : 0; });
  each("rtr42_withdraw_guard_holding", kGauge,
       "1 while a new set of the source is held back for withdrawing too much.",
       [](S s) { return s.withdraw_guard.holding ? 1 : 0; });
  each("rtr42_withdraw_guard_held_withdrawals", kGauge, "VRPs the held-back set would withdraw.",
       [](S s) { return s.withdraw_guard.held_withdrawals; });
  each("rtr42_withdraw_guard_holds_total", kCounter,
       "Times a new set was held back by the withdraw guard.",
       [](S s) { return s.withdraw_guard.holds; });
  each("rtr42_withdraw_guard_confirmations_total", kCounter,
       "Held-back sets let through by SIGUSR1.",
       [](S s) { return s.withdraw_guard.confirmations; });
  out->Gauge("rtr42_aspa_oversized",
             "ASPA records dropped because no ASPA PDU (65,535 bytes) can hold their providers.",
             st.oversized_aspas.size());
  out->Gauge("rtr42_slurm_up", "1 if the SLURM file (when configured) is loaded and valid.",
             st.slurm_ok);
  out->Counter("rtr42_slurm_failures_total", "SLURM file reads that were rejected.",
               st.slurm_failures);
  out->Counter("rtr42_state_saves_total", "RTR state files written (--state-dir).", st.state_saves);
  out->Counter("rtr42_state_save_failures_total", "RTR state files that could not be written.",
               st.state_save_failures);
}

void ServerMetrics(const rtr::Server& server, PrometheusText* out) {
  const rtr::ServerStats& s = server.stats();
  out->Declare("rtr42_sessions", PrometheusText::kGauge,
               "RTR sessions by negotiated protocol version.");
  for (size_t v = 0; v < s.sessions_by_version.size(); ++v) {
    out->Sample("rtr42_sessions", {{"version", std::to_string(v)}},
                s.sessions_by_version[v].load());
  }
  out->Declare("rtr42_sessions_by_transport", PrometheusText::kGauge,
               "Open RTR connections by transport (tcp, tls, ssh).");
  auto transport = [](size_t t) { return rtr::TransportName(static_cast<rtr::Transport>(t)); };
  for (size_t t = 0; t < s.sessions_by_transport.size(); ++t) {
    out->Sample("rtr42_sessions_by_transport", {{"transport", transport(t)}},
                s.sessions_by_transport[t].load());
  }
  out->Declare("rtr42_sessions_opened_total", PrometheusText::kCounter,
               "RTR connections admitted, by transport.");
  for (size_t t = 0; t < s.opened_by_transport.size(); ++t) {
    out->Sample("rtr42_sessions_opened_total", {{"transport", transport(t)}},
                s.opened_by_transport[t].load());
  }
  out->Gauge("rtr42_connections", "Open RTR connections (negotiated or not).",
             server.session_count());
  out->Counter("rtr42_connections_refused_total", "Connections refused at the limit.",
               s.connections_refused.load());
  out->Declare("rtr42_sessions_closed_by_limit_total", PrometheusText::kCounter,
               "Sessions the server closed for a limit, by reason.");
  for (size_t r = 0; r < s.closed_by_limit.size(); ++r) {
    out->Sample("rtr42_sessions_closed_by_limit_total",
                {{"reason", rtr::CloseReasonName(static_cast<rtr::CloseReason>(r))}},
                s.closed_by_limit[r].load());
  }
  out->Counter("rtr42_pdus_sent_total", "RTR PDUs sent.", s.pdus_sent.load());
  out->Counter("rtr42_bytes_sent_total", "RTR bytes sent.", s.bytes_sent.load());
  out->Counter("rtr42_reset_queries_total", "Reset Queries answered.", s.reset_queries.load());
  out->Counter("rtr42_serial_queries_total",
               "Serial Queries answered (with a diff or a Cache Reset).", s.serial_queries.load());
  out->Counter("rtr42_cache_resets_total", "Cache Resets sent.", s.cache_resets.load());
  out->Declare("rtr42_error_reports_sent_total", PrometheusText::kCounter,
               "Error Reports sent, by error code.");
  for (size_t code = 0; code <= rtr::kHighestErrorCode; ++code) {
    out->Sample("rtr42_error_reports_sent_total",
                {{"code", std::to_string(code)},
                 {"name", rtr::ErrorCodeName(static_cast<rtr::ErrorCode>(code))}},
                s.error_reports_by_code[code].load());
  }
  out->Counter("rtr42_serial_notifies_sent_total", "Serial Notify PDUs sent.",
               s.notifies_sent.load());
  out->Gauge("rtr42_serial_notify_fanout_seconds",
             "For the newest serial: from publishing it until the last session's Serial Notify "
             "was written.",
             s.notify_fanout_ns.load() / 1e9);
}

void SshMetrics(const ssh::SshServer& ssh, PrometheusText* out) {
  const ssh::SshStats& s = ssh.stats();
  out->Counter("rtr42_ssh_connections_total", "TCP connections accepted on --ssh-listen.",
               s.connections.load());
  out->Gauge("rtr42_ssh_connections", "SSH connections open (handshaking, bridged or closing).",
             s.open.load());
  out->Gauge("rtr42_ssh_handshakes", "SSH connections not yet at the rpki-rtr subsystem.",
             s.handshaking.load());
  out->Counter("rtr42_ssh_handshakes_refused_total",
               "SSH connections closed at accept: too many handshakes under way.",
               s.handshakes_refused.load());
  out->Counter("rtr42_ssh_handshakes_timed_out_total",
               "SSH connections that did not open the rpki-rtr subsystem in time.",
               s.handshakes_timed_out.load());
  out->Counter("rtr42_ssh_auth_failures_total",
               "SSH authentications refused (keys not authorized, bad signatures, passwords).",
               s.auth_failures.load());
  out->Counter("rtr42_ssh_requests_refused_total",
               "SSH requests refused (shells, exec, other subsystems, more channels).",
               s.requests_refused.load());
}

void WebhookMetrics(const Webhook& webhook, PrometheusText* out) {
  Webhook::Stats s = webhook.stats();
  out->Declare("rtr42_webhook_requests_total", PrometheusText::Type::kCounter,
               "Calls of POST /api/v1/refresh by result (accepted, bad_signature, "
               "rate_limited).");
  out->Sample("rtr42_webhook_requests_total", {{"result", "accepted"}}, s.accepted);
  out->Sample("rtr42_webhook_requests_total", {{"result", "bad_signature"}}, s.bad_signature);
  out->Sample("rtr42_webhook_requests_total", {{"result", "rate_limited"}}, s.rate_limited);
}

}  // namespace

std::string RenderMetrics(const SourceLoop& loop, const rtr::Server& server,
                          const ssh::SshServer* ssh, const Webhook* webhook) {
  PrometheusText out;
  std::shared_ptr<const rtr::Update> current = loop.Current();
  SetMetrics(current.get(), &out);
  SourceMetrics(loop.Status(), &out);
  ServerMetrics(server, &out);
  if (ssh) SshMetrics(*ssh, &out);
  if (webhook) WebhookMetrics(*webhook, &out);
  return out.text();
}

}  // namespace rtr42::daemon
