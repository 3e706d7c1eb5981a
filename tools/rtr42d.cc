// rtr42d: the RTR cache server. Reads VRPs from the dn42 registry (git or a
// directory), an NRTMv4 feed, a StayRTR/rpki-client JSON file or URL,
// another RTR cache, or the embedded sample — or several of them, merged —
// and serves them to routers over RTR versions 0-2. The options and their
// defaults are daemon/config.h and tools/source_options.h, read from the
// command line and --config (tools/rtr42d_options.h); this file is wiring.
#include <signal.h>

#include <filesystem>
#include <iostream>
#include <set>
#include <thread>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "base/args.h"
#include "base/file_util.h"
#include "base/log.h"
#include "daemon/config.h"
#include "daemon/endpoints.h"
#include "daemon/source_loop.h"
#include "http/server.h"
#include "rtr/history.h"
#include "rtr/server.h"
#include "rtr/state_file.h"
#include "ssh/server.h"
#include "tools/rtr42d_options.h"
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
  if (int stale = rtr::RemoveStaleTemporaries(path); stale > 0) {
    RTR42_LOG_INFO("removed %d temporary files of interrupted saves beside %s", stale, path);
  }
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

// The history restored from --state-dir, or a new session's.
absl::StatusOr<std::unique_ptr<rtr::History>> OpenHistory(const daemon::DaemonConfig& config) {
  rtr::HistoryOptions options = daemon::HistoryOptionsFrom(config);
  if (config.state_dir.empty()) {
    return std::make_unique<rtr::History>(rtr::RandomSessionId(), options);
  }
  if (absl::Status s = MakeStateDir(config.state_dir); !s.ok()) return s;
  std::shared_ptr<const rtr::Update> restored =
      RestoreState(daemon::SourceLoopOptionsFrom(config).state_path);
  if (restored) return std::make_unique<rtr::History>(restored, options);
  return std::make_unique<rtr::History>(rtr::RandomSessionId(), options);
}

// SIGHUP re-reads SLURM, the SSH authorized keys, and polls the sources, and
// reads the configuration
// file again: an invalid one is logged and the one in force stays; in a
// valid one, changed [source.NAME] tables and log-level apply at once
// (tools::PlanReload), other changes are logged as waiting for a restart;
// SIGUSR1
// confirms the sets the withdraw guards hold back (a reload never does);
// SIGINT and SIGTERM stop the server (version 2 sessions are sent
// `stop_notice` first, and given up to kDrainTime to read it), the HTTP
// server and the io_context.
class SignalHandler {
 public:
  static constexpr auto kDrainTime = std::chrono::seconds(3);

  SignalHandler(rtr::asio::io_context& io, daemon::SourceLoop* loop, rtr::Server* server,
                ssh::SshServer* ssh, rtr::asio::io_context* http_io, rtr::ErrorCode stop_notice,
                ConfigFile* config, std::set<std::string> on_command_line)
      : signals_(io, SIGINT, SIGTERM, SIGHUP),
        config_(config),
        on_command_line_(std::move(on_command_line)),
        confirm_signal_(io, SIGUSR1),
        drain_timer_(io),
        io_(io),
        loop_(loop),
        server_(server),
        ssh_(ssh),
        http_io_(http_io),
        stop_notice_(stop_notice) {
    Wait();
    WaitForConfirmation();
  }

 private:
  void WaitForConfirmation() {
    confirm_signal_.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      RTR42_LOG_INFO("SIGUSR1: confirming the withdrawals the guard holds back");
      loop_->ConfirmWithdrawals();
      WaitForConfirmation();
    });
  }
  void Wait() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
      if (!ec) OnSignal(signo);
    });
  }
  void OnSignal(int signo) {
    if (signo == SIGHUP) {
      RTR42_LOG_INFO("SIGHUP: re-reading SLURM and polling the sources now");
      if (config_) CheckConfig();
      if (ssh_) ssh_->ReloadKeys();
      loop_->Reload();
      Wait();
      return;
    }
    RTR42_LOG_INFO("%s: shutting down; version 2 sessions are sent %s",
                   signo == SIGINT ? "SIGINT" : "SIGTERM", rtr::ErrorCodeName(stop_notice_));
    server_->Stop(stop_notice_, stop_notice_ == rtr::ErrorCode::kCacheRestart
                                    ? "rtr42d is restarting"
                                    : "rtr42d is shutting down");
    if (http_io_) http_io_->stop();  // thread-safe; its thread ends
    drain_deadline_ = std::chrono::steady_clock::now() + kDrainTime;
    Drain();
  }
  // SIGHUP with --config: the file again; what changed is applied or named.
  void CheckConfig() {
    absl::StatusOr<ConfigFile> now = tools::CheckRtr42dConfig(config_->path);
    absl::StatusOr<tools::ConfigReload> plan =
        now.ok() ? tools::PlanReload(*config_, *now, on_command_line_)
                 : absl::StatusOr<tools::ConfigReload>(now.status());
    if (!plan.ok()) {
      RTR42_LOG_ERROR("SIGHUP: %s; the configuration in force stays", plan.status().message());
      return;
    }
    if (plan->log_level) {
      absl::StatusOr<LogLevel> level = ParseLogLevel(*plan->log_level);
      if (level.ok()) SetLogLevel(*level);
      RTR42_LOG_INFO("SIGHUP: %s: log-level %s", config_->path, *plan->log_level);
    }
    if (plan->sources_changed) {
      RTR42_LOG_INFO("SIGHUP: %s: the sources are now %s (%d opened anew)", config_->path,
                     absl::StrJoin(plan->names, ", "), plan->fresh.size());
      loop_->ReplaceSources(std::move(plan->names), std::move(plan->fresh));
    }
    if (!plan->at_restart.empty()) {
      RTR42_LOG_WARNING("SIGHUP: %s: these changes take effect at the next restart: %s",
                        config_->path, absl::StrJoin(plan->at_restart, "; "));
    }
    *config_ = std::move(*now);
  }
  // Stops the io_context once every session is gone, or at the deadline.
  void Drain() {
    if (server_->session_count() == 0 || std::chrono::steady_clock::now() >= drain_deadline_) {
      io_.stop();
      return;
    }
    drain_timer_.expires_after(std::chrono::milliseconds(20));
    drain_timer_.async_wait([this](const boost::system::error_code&) { Drain(); });
  }

  rtr::asio::signal_set signals_;
  ConfigFile* const config_;                     // the file in force, or null
  const std::set<std::string> on_command_line_;  // options the command line gave
  rtr::asio::signal_set confirm_signal_;
  rtr::asio::steady_timer drain_timer_;
  std::chrono::steady_clock::time_point drain_deadline_;
  rtr::asio::io_context& io_;
  daemon::SourceLoop* const loop_;
  rtr::Server* const server_;
  ssh::SshServer* const ssh_;  // or null
  rtr::asio::io_context* const http_io_;
  const rtr::ErrorCode stop_notice_;
};

// The names of the options on the command line ("--name" or "--name=v").
std::set<std::string> OptionsOnCommandLine(int argc, char** argv) {
  std::set<std::string> names;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) == 0) names.insert(arg.substr(2, arg.find('=') - 2));
  }
  return names;
}

void RunThreads(rtr::asio::io_context& io, int64_t threads) {
  std::vector<std::thread> pool;
  for (int64_t i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : pool) t.join();
}

int Main(int argc, char** argv) {
  Args args("rtr42d", "RPKI-to-Router (RFC 8210, RFC 6810) cache server for dn42 ROAs.");
  daemon::DaemonConfig config;
  tools::DeclareRtr42dOptions(&args, &config);
  if (std::optional<int> exit = args.ParseCommandLine(argc, argv)) return *exit;
  std::optional<ConfigFile> file;
  if (args.Has("config")) {
    absl::StatusOr<ConfigFile> loaded = tools::LoadRtr42dConfig(args.Get("config"), &args);
    if (!loaded.ok()) return Fail(loaded.status());
    file = std::move(*loaded);
  }
  if (args.Has("check-config")) {
    // Everything that can be checked without opening a source.
    absl::Status checked = ParseLogLevel(config.log_level).status();
    if (checked.ok()) checked = daemon::ServerOptionsFrom(config).status();
    if (checked.ok()) checked = daemon::SshOptionsFrom(config, /*check=*/true).status();
    if (checked.ok()) checked = daemon::WebhookSecretFrom(config).status();
    if (!checked.ok()) return Fail(checked);
    std::cout << (file ? file->path : std::string("the command line")) << ": ok, "
              << (file && !file->sections.empty() && !tools::HasAnySource(args)
                      ? absl::StrCat(file->sections.size(), " source",
                                     file->sections.size() == 1 ? "" : "s")
                      : std::string("one source"))
              << "\n";
    return 0;
  }
  absl::StatusOr<LogLevel> level = ParseLogLevel(config.log_level);
  if (!level.ok()) return Fail(level.status());
  SetLogLevel(*level);

  absl::StatusOr<rtr::ServerOptions> options = daemon::ServerOptionsFrom(config);
  if (!options.ok()) return Fail(options.status());
  absl::StatusOr<std::optional<ssh::SshServerOptions>> ssh_options = daemon::SshOptionsFrom(config);
  if (!ssh_options.ok()) return Fail(ssh_options.status());
  if (uint64_t files = RaiseOpenFileLimit(); files < options->max_connections + 64) {
    RTR42_LOG_WARNING("open file limit %d is below --max-connections %d", files,
                      options->max_connections);
  }
  absl::StatusOr<std::vector<daemon::NamedSource>> sources =
      tools::OpenSources(args, file ? &*file : nullptr);
  if (!sources.ok()) return Fail(sources.status());
  absl::StatusOr<std::unique_ptr<rtr::History>> history = OpenHistory(config);
  if (!history.ok()) return Fail(history.status());

  rtr::asio::io_context io;
  rtr::Server server(io, *options);
  if (absl::Status s = server.Start(); !s.ok()) return Fail(s);
  // RTR over SSH: its own thread terminates SSH and hands each rpki-rtr
  // channel to `server` as a session like any other.
  std::unique_ptr<ssh::SshServer> ssh_server;
  if (*ssh_options) {
    ssh_server = std::make_unique<ssh::SshServer>(
        std::move(**ssh_options),
        [&server](int fd, const rtr::tcp::endpoint& peer, const std::string& user) {
          server.AdoptSsh(fd, peer, user);
        });
    if (absl::Status s = ssh_server->Start(); !s.ok()) return Fail(s);
  }
  // A restored set is served until the source has answered: routers keep
  // their serial and get diffs.
  if ((*history)->current()) server.Publish((*history)->current());
  std::vector<std::string> described;
  for (const daemon::NamedSource& s : *sources) {
    described.push_back(sources->size() == 1
                            ? s.source->Describe()
                            : absl::StrCat(s.name, " (", s.source->Describe(), ")"));
  }
  RTR42_LOG_INFO("rtr42d: %s %s, session id %d, refresh %d retry %d expire %d%s",
                 sources->size() == 1 ? "source" : "sources", absl::StrJoin(described, ", "),
                 (*history)->session_id(), options->timers.refresh, options->timers.retry,
                 options->timers.expire, file ? ", configuration " + file->path : "");
  daemon::SourceLoop loop(std::move(*sources), history->get(), &server,
                          daemon::SourceLoopOptionsFrom(config));
  // The HTTP endpoints have their own thread: building /rpki.json or
  // /diagnostics never delays an RTR session.
  rtr::asio::io_context http_io;
  std::unique_ptr<http::HttpServer> http_server;
  std::unique_ptr<daemon::Webhook> webhook;
  std::thread http_thread;
  absl::StatusOr<std::optional<std::string>> secret = daemon::WebhookSecretFrom(config);
  if (!secret.ok()) return Fail(secret.status());
  if (*secret) webhook = std::make_unique<daemon::Webhook>(**secret, [&loop] { loop.PollNow(); });
  if (!config.http.empty()) {
    absl::StatusOr<rtr::tcp::endpoint> e = rtr::ParseListenAddress(config.http);
    if (!e.ok()) return Fail(e.status());
    http_server = std::make_unique<http::HttpServer>(http_io, *e);
    daemon::RegisterEndpoints(http_server.get(), &loop, &server, ssh_server.get(), webhook.get(),
                              daemon::EndpointOptionsFrom(config));
    if (absl::Status s = http_server->Start(); !s.ok()) return Fail(s);
    http_thread = std::thread([&http_io] {
      auto work = rtr::asio::make_work_guard(http_io);
      http_io.run();
    });
  }
  loop.Start();
  SignalHandler signals(io, &loop, &server, ssh_server.get(), http_server ? &http_io : nullptr,
                        *daemon::StopNoticeFrom(config), file ? &*file : nullptr,
                        OptionsOnCommandLine(argc, argv));
  RunThreads(io, config.threads);
  if (ssh_server) ssh_server->Stop();  // after the drain: farewells cross the SSH bridges too
  http_io.stop();
  if (http_thread.joinable()) http_thread.join();
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
