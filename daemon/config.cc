#include "daemon/config.h"

#include "absl/strings/str_cat.h"
#include "base/file_util.h"
#include "daemon/webhook.h"
#include "rtr/state_file.h"

namespace rtr42::daemon {

void BindDaemonOptions(Args* args, DaemonConfig* c) {
  args->BindList(
      "listen", "ADDR:PORT",
      absl::StrCat("listen here (default ", kDefaultListen[0], " and ", kDefaultListen[1], ")"),
      &c->listen);
  args->BindList("tls-listen", "ADDR:PORT",
                 "RTR over TLS here (RFC 8210 9.2; port 324 by convention)", &c->tls_listen);
  args->BindString("tls-cert", "FILE", "PEM certificate chain for --tls-listen", &c->tls_cert);
  args->BindString("tls-key", "FILE", "PEM private key for --tls-listen", &c->tls_key);
  args->BindString("tls-client-ca", "FILE",
                   "require TLS clients to present a certificate from this CA whose iPAddress "
                   "subjectAltName is their address (RFC 8210 9.2)",
                   &c->tls_client_ca);
  args->BindList("md5-peer", "PREFIX=KEYFILE", "require this TCP-MD5 key from routers in PREFIX",
                 &c->md5_peers);
  args->BindList("ssh-listen", "ADDR:PORT",
                 "RTR over SSH here (RFC 8210 9.1: the rpki-rtr subsystem, publickey only)",
                 &c->ssh_listen);
  args->BindString("ssh-host-key", "FILE",
                   "SSH host key for --ssh-listen (an Ed25519 key is made here if absent)",
                   &c->ssh_host_key);
  args->BindString("ssh-authorized-keys", "FILE",
                   "the routers' public keys, OpenSSH authorized_keys format (re-read when it "
                   "changes and on SIGHUP)",
                   &c->ssh_authorized_keys);
  args->BindInt(
      "poll-interval", "SECONDS",
      "poll a remote source (git remote, NRTMv4 feed, JSON URL) this often; local ones are "
      "checked every second",
      &c->poll_interval, 1, 86400);
  args->BindInt("refresh", "SECONDS", "End of Data refresh interval", &c->refresh, 1, 86400);
  args->BindInt("retry", "SECONDS", "End of Data retry interval", &c->retry, 1, 7200);
  args->BindInt("expire", "SECONDS", "End of Data expire interval", &c->expire, 600, 172800);
  args->BindInt("max-version", "0|1|2", "highest RTR version offered", &c->max_version, 0,
                rtr::kMaxVersion);
  args->BindInt("history", "N", "keep diffs of at least N serials, and all of the last 24 h",
                &c->history, 1, 10000000);
  args->BindInt("max-connections", "N", "refuse connections beyond N", &c->max_connections, 1,
                1000000);
  args->BindInt("idle-timeout", "SECONDS",
                "close a session that sends nothing for this long (0: never)", &c->idle_timeout, 0,
                86400 * 30, "twice --expire");
  args->BindInt("max-queued-bytes", "N", "close a session whose unsent output exceeds N bytes",
                &c->max_queued_bytes, 1 << 16, int64_t{1} << 40);
  args->BindInt("threads", "N", "network threads", &c->threads, 1, 256);
  args->BindString("slurm", "FILE",
                   "RFC 8416 local exceptions, applied after the source (reloaded on change)",
                   &c->slurm);
  args->BindString("http", "ADDR:PORT",
                   "serve /metrics, /healthz, /rpki.json and /diagnostics here (off by default)",
                   &c->http);
  args->BindString("webhook-secret-file", "FILE",
                   "with --http: accept POST /api/v1/refresh signed (HMAC-SHA256, as Gitea and "
                   "GitHub sign) with the secret in FILE, and poll the sources at once",
                   &c->webhook_secret_file);
  args->BindInt("stale-after", "SECONDS",
                "/healthz fails when a source has not answered for this long", &c->stale_after, 1,
                86400 * 30);
  args->BindDouble("max-withdraw-percent", "P",
                   "hold back a source's new set that withdraws more than P% of that source's "
                   "VRPs (now, or at the start of the --withdraw-window) until SIGUSR1 (100 turns "
                   "the guard off)",
                   &c->max_withdraw_percent, 0, 100);
  args->BindInt("withdraw-window", "SECONDS",
                "withdrawals also add up against the set served this long ago", &c->withdraw_window,
                60, 86400 * 7);
  args->BindString(
      "state-dir", "DIR",
      absl::StrCat("keep the RTR session, serial, history and set in DIR/", rtr::kStateFileName,
                   ", so a restart answers Serial Queries with diffs"),
      &c->state_dir);
  args->BindString("stop-notice", "auto|restart|shutdown",
                   "what RTR version 2 routers are told on SIGTERM: Cache Restart (keep the "
                   "data) or Cache Shutdown (flush it); auto: restart with --state-dir",
                   &c->stop_notice);
  args->BindInt("notify-interval", "SECONDS",
                "at most one Serial Notify per session this often (RFC 8210 8.2 wants 60)",
                &c->notify_interval, 1, 3600);
  args->BindString("log-level", "LEVEL", "debug, info, warning or error", &c->log_level);
}

absl::StatusOr<rtr::ServerOptions> ServerOptionsFrom(const DaemonConfig& c) {
  rtr::ServerOptions options;
  std::vector<std::string> listen = c.listen;
  if (listen.empty()) {
    listen.assign(std::begin(kDefaultListen), std::end(kDefaultListen));
    options.require_every_listener = false;
  }
  for (const std::string& l : listen) {
    absl::StatusOr<rtr::tcp::endpoint> e = rtr::ParseListenAddress(l);
    if (!e.ok()) return e.status();
    options.listen.push_back(*e);
  }
  for (const std::string& l : c.tls_listen) {
    absl::StatusOr<rtr::tcp::endpoint> e = rtr::ParseListenAddress(l);
    if (!e.ok()) return e.status();
    options.tls_listen.push_back(*e);
  }
  if (!options.tls_listen.empty() && (c.tls_cert.empty() || c.tls_key.empty())) {
    return absl::InvalidArgumentError("--tls-listen needs --tls-cert and --tls-key");
  }
  options.tls_cert = c.tls_cert;
  options.tls_key = c.tls_key;
  options.tls_client_ca = c.tls_client_ca;
  for (const std::string& m : c.md5_peers) {
    absl::StatusOr<rtr::Md5Peer> peer = rtr::ParseMd5Peer(m);
    if (!peer.ok()) return peer.status();
    options.md5_peers.push_back(*peer);
  }
  options.timers = rtr::Timers{uint32_t(c.refresh), uint32_t(c.retry), uint32_t(c.expire)};
  if (absl::Status s = rtr::ValidateTimers(options.timers); !s.ok()) return s;
  int64_t idle = c.idle_timeout < 0 ? 2 * c.expire : c.idle_timeout;
  options.idle_timeout = idle == 0 ? absl::InfiniteDuration() : absl::Seconds(idle);
  options.max_queued_bytes = static_cast<size_t>(c.max_queued_bytes);
  options.max_connections = static_cast<size_t>(c.max_connections);
  options.max_version = static_cast<uint8_t>(c.max_version);
  options.notify_interval = absl::Seconds(c.notify_interval);
  if (absl::StatusOr<rtr::ErrorCode> notice = StopNoticeFrom(c); !notice.ok()) {
    return notice.status();
  }
  return options;
}

absl::StatusOr<std::optional<std::string>> WebhookSecretFrom(const DaemonConfig& c) {
  if (c.webhook_secret_file.empty()) return std::nullopt;
  if (c.http.empty()) return absl::InvalidArgumentError("--webhook-secret-file needs --http");
  absl::StatusOr<std::string> secret = ReadWebhookSecret(c.webhook_secret_file);
  if (!secret.ok()) return secret.status();
  return *secret;
}

absl::StatusOr<rtr::ErrorCode> StopNoticeFrom(const DaemonConfig& c) {
  if (c.stop_notice == "restart") return rtr::ErrorCode::kCacheRestart;
  if (c.stop_notice == "shutdown") return rtr::ErrorCode::kCacheShutdown;
  if (c.stop_notice == "auto") {
    return c.state_dir.empty() ? rtr::ErrorCode::kCacheShutdown : rtr::ErrorCode::kCacheRestart;
  }
  return absl::InvalidArgumentError("--stop-notice must be auto, restart or shutdown");
}

absl::StatusOr<std::optional<ssh::SshServerOptions>> SshOptionsFrom(const DaemonConfig& c,
                                                                    bool check) {
  if (c.ssh_listen.empty()) return std::nullopt;
  if (c.ssh_host_key.empty() || c.ssh_authorized_keys.empty()) {
    return absl::InvalidArgumentError(
        "--ssh-listen needs --ssh-host-key and --ssh-authorized-keys");
  }
  ssh::SshServerOptions options;
  for (const std::string& l : c.ssh_listen) {
    absl::StatusOr<rtr::tcp::endpoint> e = rtr::ParseListenAddress(l);
    if (!e.ok()) return e.status();
    options.listen.push_back(*e);
  }
  options.host_key = c.ssh_host_key;
  options.authorized_keys = c.ssh_authorized_keys;
  if (check) {
    absl::StatusOr<std::string> text = ReadFile(c.ssh_authorized_keys);
    if (!text.ok()) return text.status();
    if (absl::Status s = ssh::ParseAuthorizedKeys(*text, c.ssh_authorized_keys).status(); !s.ok()) {
      return s;
    }
  }
  return options;
}

SourceLoopOptions SourceLoopOptionsFrom(const DaemonConfig& c) {
  SourceLoopOptions options;
  options.remote_interval = absl::Seconds(c.poll_interval);
  options.slurm_path = c.slurm;
  options.max_withdraw_percent = c.max_withdraw_percent;
  options.withdraw_window = absl::Seconds(c.withdraw_window);
  if (!c.state_dir.empty()) options.state_path = c.state_dir + "/" + rtr::kStateFileName;
  return options;
}

rtr::HistoryOptions HistoryOptionsFrom(const DaemonConfig& c) {
  rtr::HistoryOptions options;
  options.min_serials = static_cast<size_t>(c.history);
  return options;
}

EndpointOptions EndpointOptionsFrom(const DaemonConfig& c) {
  return EndpointOptions{.stale_after = absl::Seconds(c.stale_after)};
}

}  // namespace rtr42::daemon
