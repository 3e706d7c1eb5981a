// rtr42d: the RTR cache server. Reads VRPs from the dn42 registry (git or a
// directory), a StayRTR/rpki-client JSON file, or the embedded sample, and
// serves them to routers over RFC 8210 / RFC 6810.
#include <signal.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/args.h"
#include "base/file_util.h"
#include "base/log.h"
#include "daemon/endpoints.h"
#include "daemon/source_loop.h"
#include "http/server.h"
#include "rtr/history.h"
#include "rtr/server.h"
#include "rtr/state_file.h"
#include "sources/json_vrp_source.h"
#include "sources/registry_vrp_source.h"
#include "tools/source_options.h"

namespace rtr42 {
namespace {

int Fail(const absl::Status& status) {
  std::cerr << "rtr42d: " << status.message() << "\n";
  return 2;
}

// Creates the state directory if it is missing.
absl::Status MakeStateDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InvalidArgumentError("--state-dir " + dir + ": " + ec.message());
  return absl::OkStatus();
}

// The saved Update, or null (with one log line saying why) for a new session.
std::shared_ptr<const rtr::Update> RestoreState(const std::string& path) {
  absl::StatusOr<rtr::StateFile> state = rtr::LoadStateFile(path);
  if (!state.ok()) {
    if (absl::IsNotFound(state.status())) {
      RTR42_LOG_INFO("no saved state in %s: starting a new RTR session", path);
    } else {
      RTR42_LOG_ERROR(
          "saved state unusable: %s; starting a new RTR session (routers will "
          "get a Cache Reset)",
          state.status().message());
    }
    return nullptr;
  }
  const rtr::Update& u = *state->update;
  RTR42_LOG_INFO(
      "restored RTR session %d serial %d from %s (saved %s ago): %d VRPs, %d ASPAs, diffs from "
      "serial %d, revision %s",
      u.session_id(), u.serial(), path,
      absl::FormatDuration(absl::Trunc(absl::Now() - state->saved, absl::Seconds(1))),
      u.set().size(), u.set().aspas().size(), u.oldest_serial(), u.revision());
  return state->update;
}

int Main(int argc, char** argv) {
  Args args("rtr42d", "RPKI-to-Router (RFC 8210, RFC 6810) cache server for dn42 ROAs.");
  args.AddOption("listen", "ADDR:PORT", "listen here (default 127.0.0.1:8282 and [::1]:8282)",
                 true);
  args.AddOption("tls-listen", "ADDR:PORT",
                 "RTR over TLS here (RFC 8210 9.2; port 324 by convention)", true);
  args.AddOption("tls-cert", "FILE", "PEM certificate chain for --tls-listen");
  args.AddOption("tls-key", "FILE", "PEM private key for --tls-listen");
  args.AddOption("md5-peer", "PREFIX=KEYFILE", "require this TCP-MD5 key from routers in PREFIX",
                 true);
  tools::AddSourceOptions(&args, "registry-ref");
  args.AddOption("json", "FILE", "serve a StayRTR/rpki-client VRP JSON file (reloaded on change)");
  args.AddOption(
      "poll-interval", "SECONDS",
      "fetch a remote registry this often (default 60); local sources are checked every second");
  args.AddOption("refresh", "SECONDS", "End of Data refresh interval (default 3600)");
  args.AddOption("retry", "SECONDS", "End of Data retry interval (default 600)");
  args.AddOption("expire", "SECONDS", "End of Data expire interval (default 7200)");
  args.AddOption("max-version", "0|1|2", "highest RTR version offered (default 2)");
  args.AddOption("history", "N",
                 "keep diffs of at least N serials (default 1000), and all of the last 24 h");
  args.AddOption("max-connections", "N", "refuse connections beyond N (default 4096)");
  args.AddOption("idle-timeout", "SECONDS",
                 "close a session that sends nothing for this long (default twice --expire; 0: "
                 "never)");
  args.AddOption("max-queued-bytes", "N",
                 "close a session whose unsent output exceeds N bytes (default 268435456)");
  args.AddOption("threads", "N", "network threads (default 2)");
  args.AddOption("slurm", "FILE",
                 "RFC 8416 local exceptions, applied after the source (reloaded on change)");
  args.AddOption("http", "ADDR:PORT",
                 "serve /metrics, /healthz, /rpki.json and /diagnostics here (off by default)");
  args.AddOption("stale-after", "SECONDS",
                 "/healthz fails when the source has not answered for this long (default 3600)");
  args.AddOption("max-withdraw-percent", "P",
                 "hold back a new set that withdraws more than P% of the VRPs served until "
                 "SIGHUP (default 10; 100 turns the guard off)");
  args.AddOption("state-dir", "DIR",
                 "keep the RTR session, serial, history and set here, so a restart answers "
                 "Serial Queries with diffs");
  args.AddOption("log-level", "LEVEL", "debug, info (default), warning, error");
  if (std::optional<int> exit = args.ParseCommandLine(argc, argv)) return *exit;
  if (args.Has("log-level")) {
    absl::StatusOr<LogLevel> level = ParseLogLevel(args.Get("log-level"));
    if (!level.ok()) return Fail(level.status());
    SetLogLevel(*level);
  }

  rtr::ServerOptions options;
  std::vector<std::string> listen = args.GetAll("listen");
  if (listen.empty()) {
    listen = {"127.0.0.1:8282", "[::1]:8282"};
    options.require_every_listener = false;
  }
  for (const std::string& l : listen) {
    absl::StatusOr<rtr::tcp::endpoint> e = rtr::ParseListenAddress(l);
    if (!e.ok()) return Fail(e.status());
    options.listen.push_back(*e);
  }
  for (const std::string& l : args.GetAll("tls-listen")) {
    absl::StatusOr<rtr::tcp::endpoint> e = rtr::ParseListenAddress(l);
    if (!e.ok()) return Fail(e.status());
    options.tls_listen.push_back(*e);
  }
  if (!options.tls_listen.empty() && (!args.Has("tls-cert") || !args.Has("tls-key"))) {
    return Fail(absl::InvalidArgumentError("--tls-listen needs --tls-cert and --tls-key"));
  }
  for (const std::string& m : args.GetAll("md5-peer")) {
    absl::StatusOr<rtr::Md5Peer> peer = rtr::ParseMd5Peer(m);
    if (!peer.ok()) return Fail(peer.status());
    options.md5_peers.push_back(*peer);
  }
  options.tls_cert = args.Get("tls-cert");
  options.tls_key = args.Get("tls-key");
  absl::StatusOr<int64_t> refresh = args.GetInt("refresh", 3600, 1, 86400);
  absl::StatusOr<int64_t> retry = args.GetInt("retry", 600, 1, 7200);
  absl::StatusOr<int64_t> expire = args.GetInt("expire", 7200, 600, 172800);
  absl::StatusOr<int64_t> history_n = args.GetInt("history", 1000, 1, 10000000);
  absl::StatusOr<int64_t> max_conn = args.GetInt("max-connections", 4096, 1, 1000000);
  absl::StatusOr<int64_t> threads = args.GetInt("threads", 2, 1, 256);
  absl::StatusOr<int64_t> poll = args.GetInt("poll-interval", 60, 1, 86400);
  absl::StatusOr<int64_t> max_version =
      args.GetInt("max-version", rtr::kMaxVersion, 0, rtr::kMaxVersion);
  absl::StatusOr<int64_t> stale_after = args.GetInt("stale-after", 3600, 1, 86400 * 30);
  for (const auto* v : {&refresh, &retry, &expire, &history_n, &max_conn, &threads, &poll,
                        &max_version, &stale_after}) {
    if (!v->ok()) return Fail(v->status());
  }
  absl::StatusOr<int64_t> idle = args.GetInt("idle-timeout", 2 * *expire, 0, 86400 * 30);
  absl::StatusOr<int64_t> max_queued =
      args.GetInt("max-queued-bytes", options.max_queued_bytes, 1 << 16, int64_t{1} << 40);
  if (!idle.ok()) return Fail(idle.status());
  if (!max_queued.ok()) return Fail(max_queued.status());
  options.idle_timeout = *idle == 0 ? absl::InfiniteDuration() : absl::Seconds(*idle);
  options.max_queued_bytes = static_cast<size_t>(*max_queued);
  options.timers = rtr::Timers{uint32_t(*refresh), uint32_t(*retry), uint32_t(*expire)};
  if (absl::Status s = rtr::ValidateTimers(options.timers); !s.ok()) return Fail(s);
  options.max_connections = static_cast<size_t>(*max_conn);
  uint64_t files = RaiseOpenFileLimit();
  if (files < options.max_connections + 64) {
    RTR42_LOG_WARNING("open file limit %d is below --max-connections %d", files,
                      options.max_connections);
  }
  options.max_version = static_cast<uint8_t>(*max_version);

  std::unique_ptr<sources::VrpSource> source;
  if (args.Has("json")) {
    if (args.Has("registry") || args.Has("nrtm4-url"))
      return Fail(absl::InvalidArgumentError("--json excludes --registry and --nrtm4-url"));
    source = std::make_unique<sources::JsonVrpSource>(args.Get("json"));
  } else {
    absl::StatusOr<std::unique_ptr<sources::RegistrySource>> registry =
        tools::OpenSourceFromArgs(args, "registry-ref");
    if (!registry.ok()) return Fail(registry.status());
    source = std::make_unique<sources::RegistryVrpSource>(std::move(*registry));
  }

  absl::StatusOr<double> max_withdraw = args.GetDouble("max-withdraw-percent", 10, 0, 100);
  if (!max_withdraw.ok()) return Fail(max_withdraw.status());

  rtr::HistoryOptions history_options{.min_serials = static_cast<size_t>(*history_n)};
  std::string state_path;
  std::shared_ptr<const rtr::Update> restored;
  if (args.Has("state-dir")) {
    if (absl::Status s = MakeStateDir(args.Get("state-dir")); !s.ok()) return Fail(s);
    state_path = args.Get("state-dir") + "/" + rtr::kStateFileName;
    restored = RestoreState(state_path);
  }
  std::unique_ptr<rtr::History> history =
      restored ? std::make_unique<rtr::History>(restored, history_options)
               : std::make_unique<rtr::History>(rtr::RandomSessionId(), history_options);
  rtr::asio::io_context io;
  rtr::Server server(io, options);
  if (absl::Status s = server.Start(); !s.ok()) return Fail(s);
  // The saved set is served until the source has answered: routers keep
  // their serial and get diffs.
  if (restored) server.Publish(restored);
  RTR42_LOG_INFO("rtr42d: source %s, session id %d, refresh %d retry %d expire %d",
                 source->Describe(), history->session_id(), options.timers.refresh,
                 options.timers.retry, options.timers.expire);

  daemon::SourceLoop loop(std::move(source), history.get(), &server,
                          daemon::SourceLoopOptions{.remote_interval = absl::Seconds(*poll),
                                                    .slurm_path = args.Get("slurm"),
                                                    .max_withdraw_percent = *max_withdraw,
                                                    .state_path = state_path});
  std::unique_ptr<http::HttpServer> http_server;
  if (args.Has("http")) {
    absl::StatusOr<rtr::tcp::endpoint> e = rtr::ParseListenAddress(args.Get("http"));
    if (!e.ok()) return Fail(e.status());
    http_server = std::make_unique<http::HttpServer>(io, *e);
    daemon::RegisterEndpoints(http_server.get(), &loop, &server,
                              daemon::EndpointOptions{.stale_after = absl::Seconds(*stale_after)});
    if (absl::Status s = http_server->Start(); !s.ok()) return Fail(s);
  }
  loop.Start();

  rtr::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        if (signo == SIGHUP) {
          RTR42_LOG_INFO("SIGHUP: re-reading SLURM and polling the source now");
          loop.ConfirmWithdrawals();
          signals.async_wait(on_signal);
          return;
        }
        RTR42_LOG_INFO("%s: shutting down", signo == SIGINT ? "SIGINT" : "SIGTERM");
        server.Stop();
        if (http_server) http_server->Stop();
        io.stop();
      };
  signals.async_wait(on_signal);

  std::vector<std::thread> pool;
  for (int64_t i = 1; i < *threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : pool) t.join();
  loop.Stop();
  RTR42_LOG_INFO("rtr42d stopped");
  return 0;
}

}  // namespace
}  // namespace rtr42

int main(int argc, char** argv) {
  // A router vanishing mid-write must not kill the daemon.
  signal(SIGPIPE, SIG_IGN);
  return rtr42::Main(argc, argv);
}
