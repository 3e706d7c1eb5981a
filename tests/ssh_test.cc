// RTR over SSH inside one process: ssh::SshServer bridging into a real
// rtr::Server on 127.0.0.1, reached with ssh::SshTunnel under RtrClient (the
// path rtr-dump --ssh takes). The authorized keys format and its refusals;
// the set arriving whole; a key not in the file, a changed host key; the
// rpki-rtr subsystem's first-query limit closing an SSH session as it does a
// TCP one; stalled handshakes bounded in number and in time.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "rtr/client.h"
#include "rtr/history.h"
#include "rtr/server.h"
#include "ssh/authorized_keys.h"
#include "ssh/key.h"
#include "ssh/server.h"
#include "ssh/tunnel.h"
#include "tests/test_util.h"

namespace rtr42::ssh {
namespace {

using ::rtr42::testing::TempDir;
using ::rtr42::testing::V;
using ::rtr42::testing::WriteFile;
namespace asio = boost::asio;

// A new key pair of `type` at `path` (private) and `path`.pub; returns the
// public line.
std::string MakeKey(const std::string& path, const std::string& comment,
                    const std::string& type = "ed25519") {
  EXPECT_EQ(::rtr42::testing::RunCommand(
                absl::StrCat("ssh-keygen -q -t ", type, " -N '' -C ", comment, " -f ", path)),
            0);
  std::string line;
  ::rtr42::testing::RunCommand("cat " + path + ".pub", &line);
  return line;
}

TEST(AuthorizedKeysTest, ReadsKeysWithHarmlessOptionsAndComments) {
  TempDir dir;
  std::string a = MakeKey(dir.path() + "/a", "router-a");
  std::string b = MakeKey(dir.path() + "/b", "router-b");
  std::string text = absl::StrCat("# routers\n\n", a, "restrict,no-pty ", b, "   \n");
  absl::StatusOr<std::vector<AuthorizedKey>> keys = ParseAuthorizedKeys(text, "keys");
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].comment, "router-a");
  EXPECT_EQ((*keys)[0].line, 3);
  EXPECT_EQ((*keys)[1].comment, "router-b");
  EXPECT_EQ((*keys)[1].line, 4);
  EXPECT_EQ((*keys)[1].fingerprint.rfind("SHA256:", 0), 0u);
}

TEST(AuthorizedKeysTest, RefusesWhatItCannotHonourNamingTheLine) {
  TempDir dir;
  std::string a = MakeKey(dir.path() + "/a", "router-a");
  struct Case {
    std::string text, error;
  } cases[] = {
      {absl::StrCat("\nfrom=\"10.0.0.0/8\" ", a), "keys:2: option 'from=\"10.0.0.0/8\"'"},
      {absl::StrCat("command=\"/bin/true\",restrict ", a), "keys:1: option 'command="},
      {"ssh-ed25519 !!!notbase64 x\n", "keys:1: the ssh-ed25519 key does not decode"},
      {"ssh-rsa\n", "keys:1: the ssh-rsa key does not decode"},
      {"hello world\n", "keys:1: option 'hello'"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::vector<AuthorizedKey>> keys = ParseAuthorizedKeys(c.text, "keys");
    ASSERT_FALSE(keys.ok()) << c.text;
    EXPECT_NE(keys.status().message().find(c.error), std::string::npos) << keys.status();
  }
}

TEST(HostKeyTest, MadeOnceThenKept) {
  TempDir dir;
  std::string path = dir.path() + "/host_key";
  absl::StatusOr<HostKey> made = LoadOrCreateHostKey(path);
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_TRUE(made->created);
  absl::StatusOr<HostKey> again = LoadOrCreateHostKey(path);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->created);
  EXPECT_EQ(Fingerprint(made->key.get()), Fingerprint(again->key.get()));
  WriteFile(path, "not a key\n");
  absl::StatusOr<HostKey> broken = LoadOrCreateHostKey(path);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find(path), std::string::npos);
}

// An rtr::Server with a small set and an SshServer in front of it.
class SshServerTest : public ::testing::Test {
 protected:
  void Start(rtr::ServerOptions rtr_options = {}, SshServerOptions ssh_options = {}) {
    router_key_line_ = MakeKey(dir_.path() + "/router", "router1");
    MakeKey(dir_.path() + "/stranger", "stranger");
    WriteFile(dir_.path() + "/authorized_keys", router_key_line_);
    rtr_options.listen = {rtr::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
    server_ = std::make_unique<rtr::Server>(io_, rtr_options);
    ASSERT_TRUE(server_->Start().ok());
    server_->Publish(history_.Commit(std::make_shared<const roa::VrpSet>(vrps_), ""));
    work_.emplace(io_.get_executor());
    thread_ = std::thread([this] { io_.run(); });
    ssh_options.listen = {rtr::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
    ssh_options.host_key = dir_.path() + "/host_key";
    ssh_options.authorized_keys = dir_.path() + "/authorized_keys";
    ssh_ = std::make_unique<SshServer>(
        ssh_options, [this](int fd, const rtr::tcp::endpoint& peer, const std::string& user) {
          server_->AdoptSsh(fd, peer, user);
        });
    ASSERT_TRUE(ssh_->Start().ok());
    port_ = ssh_->bound_endpoints().at(0).port();
    WriteFile(dir_.path() + "/known_hosts",
              absl::StrCat("[127.0.0.1]:", port_, " ", ssh_->host_key_line(), "\n"));
  }
  void TearDown() override {
    if (ssh_) ssh_->Stop();
    if (server_) server_->Stop();
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
  SshTunnelOptions Tunnel(const std::string& key = "router") {
    SshTunnelOptions o;
    o.user = "bird";
    o.host = "127.0.0.1";
    o.port = std::to_string(port_);
    o.private_key = dir_.path() + "/" + key;
    o.known_hosts = dir_.path() + "/known_hosts";
    o.timeout = absl::Seconds(10);
    return o;
  }
  rtr::RtrClient::Options Client(const std::string& key = "router") {
    rtr::RtrClient::Options o;
    o.host = "127.0.0.1";
    o.timeout = absl::Seconds(10);
    o.dial = DialRtr(Tunnel(key));
    return o;
  }
  // Waits up to 10 s for `predicate`.
  template <typename F>
  bool WaitFor(F predicate) {
    absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      if (predicate()) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return predicate();
  }

  TempDir dir_;
  std::vector<roa::Vrp> vrps_ = {V("172.20.0.0/24", 28, 4242420000),
                                 V("fd42:d42:d42::/48", 64, 4242420001)};
  std::string router_key_line_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  rtr::History history_{7};
  std::unique_ptr<rtr::Server> server_;
  std::unique_ptr<SshServer> ssh_;
  std::thread thread_;
  uint16_t port_ = 0;
};

TEST_F(SshServerTest, AnAuthorizedKeyGetsTheSetOverTheSubsystem) {
  Start();
  absl::StatusOr<std::unique_ptr<rtr::RtrClient>> client = rtr::RtrClient::Connect(Client());
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE((*client)->Reset().ok());
  EXPECT_EQ((*client)->size(), 2u);
  EXPECT_EQ((*client)->session_id(), 7);
  EXPECT_EQ((*client)->version(), rtr::kMaxVersion);
  EXPECT_EQ(ssh_->stats().sessions.load(), 1u);
  EXPECT_EQ(server_->stats().sessions_by_transport[static_cast<size_t>(rtr::Transport::kSsh)], 1);
  // A change reaches it as a diff, announced by Serial Notify over SSH.
  vrps_.push_back(V("172.20.1.0/24", 24, 4242420002));
  server_->Publish(history_.Commit(std::make_shared<const roa::VrpSet>(vrps_), ""));
  absl::StatusOr<bool> notified = (*client)->WaitForNotify(absl::Seconds(70));
  ASSERT_TRUE(notified.ok() && *notified) << notified.status();
  absl::StatusOr<rtr::RtrClient::SyncResult> sync = (*client)->Refresh();
  ASSERT_TRUE(sync.ok()) << sync.status();
  EXPECT_FALSE(sync->reset);
  EXPECT_EQ(sync->announced, 1u);
  EXPECT_EQ((*client)->size(), 3u);
}

// RFC 8210 section 9.1: caches MUST accept RSA and SHOULD accept ECDSA.
TEST_F(SshServerTest, RsaAndEcdsaKeysAreAccepted) {
  Start();
  std::string rsa = MakeKey(dir_.path() + "/rsa", "rsa-router", "rsa");
  std::string ecdsa = MakeKey(dir_.path() + "/ecdsa", "ecdsa-router", "ecdsa");
  absl::SleepFor(absl::Milliseconds(1100));  // a new modification time
  WriteFile(dir_.path() + "/authorized_keys", router_key_line_ + rsa + ecdsa);
  for (const char* key : {"rsa", "ecdsa"}) {
    absl::StatusOr<std::unique_ptr<rtr::RtrClient>> client = rtr::RtrClient::Connect(Client(key));
    ASSERT_TRUE(client.ok()) << key << ": " << client.status();
    ASSERT_TRUE((*client)->Reset().ok()) << key;
    EXPECT_EQ((*client)->size(), 2u) << key;
  }
}

TEST_F(SshServerTest, ALargeSetArrivesWhole) {
  for (uint32_t i = 0; i < 50000; ++i) {
    vrps_.push_back(V(absl::StrCat("10.", i / 256, ".", i % 256, ".0/24").c_str(), 24, 64496 + i));
  }
  Start();
  absl::StatusOr<std::unique_ptr<rtr::RtrClient>> client = rtr::RtrClient::Connect(Client());
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE((*client)->Reset().ok());
  EXPECT_EQ((*client)->size(), vrps_.size());
}

TEST_F(SshServerTest, AKeyNotInTheFileNeverGetsASession) {
  ::rtr42::testing::LogCapture log;
  Start();
  absl::StatusOr<std::unique_ptr<SshTunnel>> tunnel = SshTunnel::Open(Tunnel("stranger"));
  ASSERT_FALSE(tunnel.ok());
  EXPECT_NE(tunnel.status().message().find("was not accepted"), std::string::npos);
  EXPECT_GE(ssh_->stats().auth_failures.load(), 1u);
  EXPECT_EQ(ssh_->stats().sessions.load(), 0u);
  EXPECT_EQ(log.Count(LogLevel::kWarning, "authentication failed: user bird: key"), 1);
  // Added to the file, the same key is honoured (the file is re-read).
  absl::SleepFor(absl::Milliseconds(1100));
  std::string stranger;
  ::rtr42::testing::RunCommand("cat " + dir_.path() + "/stranger.pub", &stranger);
  WriteFile(dir_.path() + "/authorized_keys", router_key_line_ + stranger);
  EXPECT_TRUE(SshTunnel::Open(Tunnel("stranger")).ok());
}

TEST_F(SshServerTest, AChangedHostKeyIsRefusedByTheClient) {
  Start();
  WriteFile(dir_.path() + "/known_hosts",
            absl::StrCat("[127.0.0.1]:", port_, " ", router_key_line_));
  absl::StatusOr<std::unique_ptr<SshTunnel>> tunnel = SshTunnel::Open(Tunnel());
  ASSERT_FALSE(tunnel.ok());
  EXPECT_NE(tunnel.status().message().find("not the one"), std::string::npos) << tunnel.status();
  EXPECT_EQ(ssh_->stats().sessions.load(), 0u);
}

TEST_F(SshServerTest, TheFirstQueryLimitClosesASilentSshSession) {
  rtr::ServerOptions options;
  options.first_query_timeout = absl::Milliseconds(500);
  Start(options);
  absl::StatusOr<std::unique_ptr<SshTunnel>> tunnel = SshTunnel::Open(Tunnel());
  ASSERT_TRUE(tunnel.ok()) << tunnel.status();
  int fd = (*tunnel)->TakeClientFd();
  char byte;
  EXPECT_EQ(::read(fd, &byte, 1), 0);  // the cache ended the session
  ::close(fd);
  EXPECT_EQ(server_->stats().closed_by_limit[static_cast<size_t>(rtr::CloseReason::kNoQuery)], 1u);
  EXPECT_TRUE(WaitFor([&] {
    return server_->stats().sessions_by_transport[static_cast<size_t>(rtr::Transport::kSsh)] == 0;
  }));
}

TEST_F(SshServerTest, ARouterThatStopsReadingMeetsTheWriteStallLimit) {
  for (uint32_t i = 0; i < 400000; ++i) {
    vrps_.push_back(
        V(absl::StrCat(10 + i / 65536, ".", i / 256 % 256, ".", i % 256, ".0/24").c_str(), 24,
          64496));
  }
  rtr::ServerOptions options;
  options.write_stall_timeout = absl::Seconds(1);
  Start(options);
  absl::StatusOr<std::unique_ptr<SshTunnel>> tunnel = SshTunnel::Open(Tunnel());
  ASSERT_TRUE(tunnel.ok()) << tunnel.status();
  int fd = (*tunnel)->TakeClientFd();
  const char reset_query[] = {1, 2, 0, 0, 0, 0, 0, 8};  // version 1 Reset Query
  ASSERT_EQ(::write(fd, reset_query, sizeof reset_query), 8);
  // 8 MB of answer, never read: the channel window closes, the bridge stops
  // reading the server, and the server's write stalls.
  EXPECT_TRUE(WaitFor([&] {
    return server_->stats().closed_by_limit[static_cast<size_t>(rtr::CloseReason::kSlowReader)] ==
           1;
  }));
  EXPECT_LT(server_->stats().bytes_sent.load(), 8000000u);
  // The router still does not read: its SSH connection is dropped anyway,
  // within the two seconds the end of a session is given.
  EXPECT_TRUE(WaitFor([&] { return ssh_->stats().open.load() == 0; }));
  ::close(fd);
}

TEST_F(SshServerTest, StalledHandshakesAreBoundedInNumberAndTime) {
  SshServerOptions options;
  options.max_handshakes = 4;
  options.handshake_timeout = absl::Milliseconds(800);
  Start({}, options);
  std::vector<int> sockets;
  for (int i = 0; i < 10; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port_);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
    sockets.push_back(fd);  // and never a byte sent
  }
  ASSERT_TRUE(WaitFor([&] { return ssh_->stats().connections.load() == 10; }));
  EXPECT_EQ(ssh_->stats().handshakes_refused.load(), 6u);
  EXPECT_LE(ssh_->stats().handshaking.load(), 4);
  ASSERT_TRUE(WaitFor([&] { return ssh_->stats().handshakes_timed_out.load() == 4; }));
  EXPECT_EQ(ssh_->stats().handshaking.load(), 0);
  // Every one of them was closed by the server.
  for (int fd : sockets) {
    char buffer[256];
    ssize_t n;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0) {
    }
    EXPECT_EQ(n, 0);
    ::close(fd);
  }
  // And a real client gets in afterwards.
  absl::StatusOr<std::unique_ptr<rtr::RtrClient>> client = rtr::RtrClient::Connect(Client());
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_TRUE((*client)->Reset().ok());
}

}  // namespace
}  // namespace rtr42::ssh
