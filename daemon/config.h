// DaemonConfig: everything rtr42d is told, with its defaults, in one place.
//
// Each field's initial value is its default: BindDaemonOptions() declares
// one command-line option per field, and --help shows the same value. Where
// a default belongs to a library (RTR timers, server limits, history depth),
// the field is initialised from that library's options struct, so the fact
// is still written once. ServerOptionsFrom() and the other converters turn
// the validated config into the options the libraries take.
//
// The source options (--registry, --nrtm4-*, --filter, --json,
// --rtr-upstream...) are not here: rtr42d and roa-compile share them, and
// each [source.NAME] table of the configuration file has its own
// (tools/source_options.h). poll-interval and max-withdraw-percent may be
// given per source too.
#ifndef RTR42_DAEMON_CONFIG_H_
#define RTR42_DAEMON_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/args.h"
#include "daemon/endpoints.h"
#include "daemon/source_loop.h"
#include "rtr/history.h"
#include "rtr/server.h"
#include "ssh/server.h"

namespace rtr42::daemon {

struct DaemonConfig {
  // RTR listeners. Empty `listen`: kDefaultListen, where an address that
  // cannot be bound (a host without IPv6) is only a warning.
  std::vector<std::string> listen;
  std::vector<std::string> tls_listen;
  std::string tls_cert, tls_key;
  std::string tls_client_ca;           // client certificates required when set
  std::vector<std::string> md5_peers;  // PREFIX=KEYFILE
  // RTR over SSH (RFC 8210 section 9.1): the host key is made on first start.
  std::vector<std::string> ssh_listen;
  std::string ssh_host_key, ssh_authorized_keys;
  int64_t max_version = rtr::ServerOptions{}.max_version;
  int64_t threads = 2;

  // End of Data timers (RFC 8210 section 6).
  int64_t refresh = rtr::Timers{}.refresh;
  int64_t retry = rtr::Timers{}.retry;
  int64_t expire = rtr::Timers{}.expire;

  // Limits.
  int64_t max_connections = rtr::ServerOptions{}.max_connections;
  int64_t idle_timeout = -1;  // -1: twice `expire`; 0: never
  int64_t max_queued_bytes = rtr::ServerOptions{}.max_queued_bytes;

  // What is served. (The sources' own options are in tools/source_options.h.)
  int64_t poll_interval = absl::ToInt64Seconds(SourceLoopOptions{}.remote_interval);
  std::string slurm;
  double max_withdraw_percent = SourceLoopOptions{}.max_withdraw_percent;
  int withdraw_window = absl::ToInt64Seconds(SourceLoopOptions{}.withdraw_window);
  int64_t history = rtr::HistoryOptions{}.min_serials;
  std::string state_dir;

  // What version 2 sessions are told on SIGTERM: "restart" (Cache Restart:
  // keep the data, the cache is back soon), "shutdown" (Cache Shutdown:
  // flush it) or "auto": restart when --state-dir keeps the session.
  std::string stop_notice = "auto";
  // At most one Serial Notify per session this often (RFC 8210 section 8.2
  // requires 60; less only for tests).
  int64_t notify_interval = absl::ToInt64Seconds(rtr::ServerOptions{}.notify_interval);

  // Operations.
  std::string http;
  std::string webhook_secret_file;  // POST /api/v1/refresh on --http
  int64_t stale_after = absl::ToInt64Seconds(EndpointOptions{}.stale_after);
  std::string log_level = "info";
};

inline constexpr const char* kDefaultListen[] = {"127.0.0.1:8282", "[::1]:8282"};

void BindDaemonOptions(Args* args, DaemonConfig* config);

// The RTR server's options; an error names the option that is wrong.
absl::StatusOr<rtr::ServerOptions> ServerOptionsFrom(const DaemonConfig& config);
// The SSH server's options; nullopt without --ssh-listen. With `check`, the
// authorized keys file is read and parsed too (--check-config).
absl::StatusOr<std::optional<ssh::SshServerOptions>> SshOptionsFrom(const DaemonConfig& config,
                                                                    bool check = false);
SourceLoopOptions SourceLoopOptionsFrom(const DaemonConfig& config);
rtr::HistoryOptions HistoryOptionsFrom(const DaemonConfig& config);
EndpointOptions EndpointOptionsFrom(const DaemonConfig& config);
// The webhook's secret; nullopt without --webhook-secret-file. An error for
// an unreadable or empty file, or without --http.
absl::StatusOr<std::optional<std::string>> WebhookSecretFrom(const DaemonConfig& config);
// The Error Report for version 2 sessions on SIGTERM.
absl::StatusOr<rtr::ErrorCode> StopNoticeFrom(const DaemonConfig& config);

}  // namespace rtr42::daemon

#endif  // RTR42_DAEMON_CONFIG_H_
