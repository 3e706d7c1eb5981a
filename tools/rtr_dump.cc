// rtr-dump: an RTR client that dumps, watches and compares RTR caches, and
// monitors two side by side (monitor/cache_monitor.h).
#include <iostream>
#include <thread>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/args.h"
#include "base/file_util.h"
#include "http/server.h"
#include "monitor/cache_monitor.h"
#include "roa/validity.h"
#include "roa/vrp_format.h"
#include "rtr/client.h"
#include "rtr/server.h"
#include "ssh/tunnel.h"

namespace rtr42 {
namespace {

int Fail(const absl::Status& status) {
  std::cerr << "rtr-dump: " << status.message() << "\n";
  return 2;
}

// The client options for `address` from the command line. USER@HOST:PORT
// is RTR over SSH (RFC 8210 section 9.1) with --ssh-key.
absl::StatusOr<rtr::RtrClient::Options> ClientOptions(const std::string& address,
                                                      const Args& args) {
  rtr::RtrClient::Options options;
  if (address.find('@') != std::string::npos) {
    ssh::SshTunnelOptions ssh;
    if (absl::Status s = ssh::ParseSshTarget(address, &ssh); !s.ok()) return s;
    if (!args.Has("ssh-key")) {
      return absl::InvalidArgumentError(absl::StrCat(address, ": RTR over SSH needs --ssh-key"));
    }
    ssh.private_key = args.Get("ssh-key");
    ssh.known_hosts = args.Get("ssh-known-hosts");
    options.host = ssh.host;
    options.port = ssh.port;
    options.dial = ssh::DialRtr(ssh);
  } else if (absl::Status s = rtr::SplitHostPort(address, &options.host, &options.port); !s.ok()) {
    return s;
  }
  if (args.Has("version")) {
    std::string v = args.Get("version");
    if (v.size() != 1 || v[0] < '0' || v[0] > '0' + rtr::kMaxVersion)
      return absl::InvalidArgumentError("--version must be 0, 1 or 2");
    options.version = static_cast<uint8_t>(v[0] - '0');
    options.negotiate = false;
  }
  if (args.Has("md5-key-file")) {
    absl::StatusOr<std::string> key = ReadFile(args.Get("md5-key-file"));
    if (!key.ok()) return key.status();
    while (!key->empty() && (key->back() == '\n' || key->back() == '\r')) key->pop_back();
    options.md5_key = *key;
  }
  if (args.Has("md5-key")) options.md5_key = args.Get("md5-key");
  options.check_order = !args.Has("no-order-check");
  options.tls = args.Has("tls");
  options.tls_ca = args.Get("tls-ca");
  options.tls_insecure = args.Has("tls-insecure");
  options.tls_cert = args.Get("tls-cert");
  options.tls_key = args.Get("tls-key", options.tls_cert);
  absl::StatusOr<int64_t> timeout = args.GetInt("timeout", 30, 1, 3600);
  if (!timeout.ok()) return timeout.status();
  options.timeout = absl::Seconds(*timeout);
  return options;
}

absl::StatusOr<std::unique_ptr<rtr::RtrClient>> Dump(const std::string& address, const Args& args) {
  absl::StatusOr<rtr::RtrClient::Options> options = ClientOptions(address, args);
  if (!options.ok()) return options.status();
  absl::StatusOr<std::unique_ptr<rtr::RtrClient>> client = rtr::RtrClient::Connect(*options);
  if (!client.ok()) return client.status();
  absl::Time start = absl::Now();
  absl::StatusOr<rtr::RtrClient::SyncResult> sync = (*client)->Reset();
  if (!sync.ok())
    return absl::Status(sync.status().code(), absl::StrCat(address, ": ", sync.status().message()));
  std::cerr << absl::StrFormat(
      "rtr-dump: %s: RTR v%d, session %d, serial %d, %d VRPs, %d Router Keys, %d ASPAs in %.0f "
      "ms\n",
      address, (*client)->version(), (*client)->session_id(), (*client)->serial(),
      (*client)->size(), (*client)->router_key_count(), (*client)->aspa_count(),
      absl::ToDoubleMilliseconds(absl::Now() - start));
  return client;
}

// Prints what only one of two caches holds; exit 1 if anything.
int Compare(const rtr::RtrClient& client, const rtr::RtrClient& other, const std::string& address,
            const Args& args) {
  roa::VrpDiff diff = roa::Diff(other.set(), client.set());
  for (const roa::Vrp& v : diff.announced) std::cout << "< " << v.ToString() << "\n";
  for (const roa::Vrp& v : diff.withdrawn) std::cout << "> " << v.ToString() << "\n";
  for (const roa::RouterKey& k : diff.key_announced) std::cout << "< " << k.ToString() << "\n";
  for (const roa::RouterKey& k : diff.key_withdrawn) std::cout << "> " << k.ToString() << "\n";
  for (const roa::Aspa& a : diff.aspa_announced) std::cout << "< " << a.ToString() << "\n";
  for (const roa::Aspa& a : diff.aspa_withdrawn) std::cout << "> " << a.ToString() << "\n";
  std::cerr << absl::StrFormat("rtr-dump: %d records only in %s, %d only in %s\n",
                               diff.announced.size() + diff.aspa_announced.size(), address,
                               diff.withdrawn.size() + diff.aspa_withdrawn.size(),
                               args.Get("compare"));
  return diff.empty() ? 0 : 1;
}

// Exit statuses of --validate; an error is kValidateError.
constexpr int kValidateError = 3;

// --validate ASN PREFIX: the route's RFC 6811 state against the cache's set,
// with the VRPs that decide it; exit 0 valid, 1 invalid, 2 not found.
int Validate(const rtr::RtrClient& client, uint32_t origin, const roa::Prefix& prefix) {
  roa::RouteValidity v = roa::ValidateRoute(client.set(), origin, prefix);
  std::cout << absl::StrFormat("AS%d %s: %s\n", origin, prefix.ToString(),
                               roa::RouteStateName(v.state));
  auto list = [](const char* what, const std::vector<roa::Vrp>& vrps) {
    for (const roa::Vrp& vrp : vrps) std::cout << "  " << what << ": " << vrp.ToString() << "\n";
  };
  list("matched", v.matched);
  list("covering, another origin", v.unmatched_as);
  list("covering, route longer than max length", v.unmatched_length);
  switch (v.state) {
    case roa::RouteState::kValid:
      return 0;
    case roa::RouteState::kInvalid:
      return 1;
    case roa::RouteState::kNotFound:
      break;
  }
  return 2;
}

// Follows the cache's Serial Notifies (or its refresh timer) for ever,
// printing each serial's changes; returns only on an error.
int Watch(rtr::RtrClient* client) {
  absl::Duration refresh = absl::Seconds(client->timers() ? client->timers()->refresh : 3600);
  while (true) {
    absl::StatusOr<bool> notified = client->WaitForNotify(refresh);
    if (!notified.ok()) return Fail(notified.status());
    uint32_t before = client->serial();
    absl::StatusOr<rtr::RtrClient::SyncResult> sync = client->Refresh(/*record_diff=*/true);
    if (!sync.ok()) return Fail(sync.status());
    if (sync->reset) {
      std::cout << absl::StrFormat("# cache reset: serial %d, %d VRPs\n", client->serial(),
                                   client->size());
    } else if (client->serial() != before) {
      std::cout << absl::StrFormat("# serial %d -> %d: +%d -%d (%d VRPs)\n", before,
                                   client->serial(), sync->announced, sync->withdrawn,
                                   client->size());
      for (const roa::Vrp& v : sync->diff.withdrawn) std::cout << "- " << v.ToString() << "\n";
      for (const roa::Vrp& v : sync->diff.announced) std::cout << "+ " << v.ToString() << "\n";
      for (const roa::RouterKey& k : sync->diff.key_withdrawn) {
        std::cout << "- " << k.ToString() << "\n";
      }
      for (const roa::RouterKey& k : sync->diff.key_announced) {
        std::cout << "+ " << k.ToString() << "\n";
      }
      for (const roa::Aspa& a : sync->diff.aspa_withdrawn) {
        std::cout << "- " << a.ToString() << "\n";
      }
      for (const roa::Aspa& a : sync->diff.aspa_announced) {
        std::cout << "+ " << a.ToString() << "\n";
      }
    }
    std::cout << std::flush;
  }
}

// Follows two caches for ever, logging each change of their difference and
// serving it as Prometheus metrics on --http.
int Monitor(const Args& args) {
  if (args.positional().size() != 1) {
    return Fail(absl::InvalidArgumentError("--monitor A B: give the second cache after the first"));
  }
  absl::StatusOr<rtr::RtrClient::Options> a = ClientOptions(args.Get("monitor"), args);
  if (!a.ok()) return Fail(a.status());
  absl::StatusOr<rtr::RtrClient::Options> b = ClientOptions(args.positional()[0], args);
  if (!b.ok()) return Fail(b.status());
  monitor::CacheMonitor monitor(*a, *b);
  rtr::asio::io_context io;
  std::unique_ptr<http::HttpServer> http;
  std::thread http_thread;
  if (args.Has("http")) {
    absl::StatusOr<rtr::tcp::endpoint> e = rtr::ParseListenAddress(args.Get("http"));
    if (!e.ok()) return Fail(e.status());
    http = std::make_unique<http::HttpServer>(io, *e);
    http->Handle("/metrics", [&monitor](const http::Request& r) {
      return http::HttpServer::Make(r, boost::beast::http::status::ok,
                                    "text/plain; version=0.0.4; charset=utf-8",
                                    monitor.Metrics(absl::Now()));
    });
    if (absl::Status s = http->Start(); !s.ok()) return Fail(s);
    http_thread = std::thread([&io] { io.run(); });
    http_thread.detach();  // runs until the process ends
  }
  while (true) monitor.Compare(absl::Seconds(1));
}

void AddOptions(Args* args) {
  args->AddOption("connect", "HOST:PORT", "the cache to query");
  args->AddOption("ssh", "USER@HOST:PORT",
                  "the cache to query over SSH (RFC 8210 9.1); any cache address may be "
                  "USER@HOST:PORT");
  args->AddOption("ssh-key", "FILE", "for SSH: the private key to authenticate with");
  args->AddOption("ssh-known-hosts", "FILE",
                  "for SSH: the cache's host key must be in this file (default "
                  "~/.ssh/known_hosts)");
  args->AddOption("version", "0|1|2",
                  "RTR version, fixed (default: 2, falling back as the cache asks)");
  args->AddOption("format", "FMT", "json (default), csv or bird2");
  args->AddOption("output", "FILE", "write the dump here (atomically) instead of standard output");
  args->AddSwitch("watch", "stay connected and print each serial's changes");
  args->AddOption("compare", "HOST:PORT",
                  "dump this cache too and print the differences (exit 1 if any)");
  args->AddOption("validate", "ASN PREFIX",
                  "the RFC 6811 state of this route against the cache's set, and the VRPs that "
                  "decide it (exit 0 valid, 1 invalid, 2 not found, 3 error)");
  args->AddOption("timeout", "SECONDS", "give up on a silent cache after this long (default 30)");
  args->AddSwitch("tls", "RTR over TLS (RFC 8210 section 9.2)");
  args->AddOption("md5-key", "KEY", "TCP-MD5 (RFC 2385) key for the connection");
  args->AddOption("md5-key-file", "FILE",
                  "the same, read from a file (keeps it off the command line)");
  args->AddOption("tls-ca", "FILE", "with --tls: trust this CA (default: the system's)");
  args->AddSwitch("tls-insecure", "with --tls: do not check the cache's certificate");
  args->AddOption("tls-cert", "FILE", "with --tls: present this client certificate (PEM)");
  args->AddOption("tls-key", "FILE", "with --tls: its private key (default: in --tls-cert)");
  args->AddOption("monitor", "A B",
                  "stay connected to caches A and B and report how they differ, for ever");
  args->AddOption("http", "ADDR:PORT", "with --monitor: serve /metrics (Prometheus) here");
  args->AddSwitch("no-order-check",
                  "accept version 2 payload in any order (caches older than 8210bis section 11.2)");
}

int Main(int argc, char** argv) {
  Args args("rtr-dump",
            "Dumps, watches or compares the VRPs of RTR caches, or validates a route against one.");
  AddOptions(&args);
  if (std::optional<int> exit = args.ParseCommandLine(argc, argv, /*positional_allowed=*/true)) {
    return *exit;
  }
  if (args.Has("monitor")) return Monitor(args);
  std::optional<std::pair<uint32_t, roa::Prefix>> route;
  if (args.Has("validate")) {
    uint32_t origin = 0;
    if (args.positional().size() != 1 || !roa::ParseAsn(args.Get("validate"), &origin)) {
      Fail(
          absl::InvalidArgumentError("--validate ASN PREFIX: e.g. --validate AS4242420000 "
                                     "172.20.0.0/24"));
      return kValidateError;
    }
    absl::StatusOr<roa::Prefix> prefix = roa::Prefix::Parse(args.positional()[0]);
    if (!prefix.ok()) {
      Fail(prefix.status());
      return kValidateError;
    }
    route.emplace(origin, *prefix);
  } else if (!args.positional().empty()) {
    return Fail(absl::InvalidArgumentError("unexpected argument '" + args.positional()[0] + "'"));
  }
  if (args.Has("connect") == args.Has("ssh")) {
    return Fail(absl::InvalidArgumentError("give --connect HOST:PORT or --ssh USER@HOST:PORT"));
  }
  const std::string address = args.Has("ssh") ? args.Get("ssh") : args.Get("connect");
  absl::StatusOr<roa::OutputFormat> format = roa::ParseOutputFormat(args.Get("format", "json"));
  if (!format.ok()) return Fail(format.status());
  if (*format == roa::OutputFormat::kBird1) {
    return Fail(absl::InvalidArgumentError("use json, csv or bird2"));
  }
  absl::StatusOr<std::unique_ptr<rtr::RtrClient>> client = Dump(address, args);
  if (!client.ok()) {
    Fail(client.status());
    return route ? kValidateError : 2;
  }
  if (route) return Validate(**client, route->first, route->second);
  if (args.Has("compare")) {
    absl::StatusOr<std::unique_ptr<rtr::RtrClient>> other = Dump(args.Get("compare"), args);
    if (!other.ok()) return Fail(other.status());
    return Compare(**client, **other, address, args);
  }
  roa::FormatOptions options;
  options.generated = absl::ToUnixSeconds(absl::Now());
  std::string text = roa::FormatVrps((*client)->set(), *format, options);
  if (absl::Status s = WriteOutput(args.Get("output"), text); !s.ok()) return Fail(s);
  return args.Has("watch") ? Watch(client->get()) : 0;
}

}  // namespace
}  // namespace rtr42

int main(int argc, char** argv) { return rtr42::Main(argc, argv); }
