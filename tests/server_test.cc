// The server over real TCP on 127.0.0.1: queries, Serial Notify, error paths
// that end one session while others go on, and every limit: connections,
// slow readers, queued bytes, silent and idle sessions, reset connections.
#include "rtr/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "rtr/client.h"
#include "tests/test_util.h"
#include "tests/tls_test_server.h"

namespace rtr42::rtr {
namespace {

using ::rtr42::testing::V;

// A raw TCP connection to the test server, for what RtrClient never sends.
int RawConnect(const std::string& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(std::stoi(port)));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

class ServerTest : public ::testing::Test {
 protected:
  void StartServer(ServerOptions options = {}) {
    options.listen = {tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
    server_ = std::make_unique<Server>(io_, options);
    ASSERT_TRUE(server_->Start().ok());
    port_ = std::to_string(server_->bound_endpoints().at(0).port());
    work_.emplace(io_.get_executor());
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  void TearDown() override {
    if (server_) server_->Stop();
    work_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
  }
  void Publish(std::vector<roa::Vrp> vrps) {
    server_->Publish(history_.Commit(std::make_shared<const roa::VrpSet>(std::move(vrps)), ""));
  }
  std::unique_ptr<RtrClient> Client(uint8_t version = 1) {
    RtrClient::Options o{.host = "127.0.0.1", .port = port_, .version = version};
    o.timeout = absl::Seconds(10);
    auto c = RtrClient::Connect(o);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? std::move(*c) : nullptr;
  }
  // Waits until the server has `n` sessions.
  bool SessionsBecome(size_t n) {
    absl::Time deadline = absl::Now() + absl::Seconds(30);  // sanitizer builds under load
    while (server_->session_count() != n) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return true;
  }

  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  std::unique_ptr<Server> server_;
  std::string port_;
  rtr::History history_{777};
};

TEST_F(ServerTest, NoDataThenFullSetThenNotifyAndDiff) {
  StartServer();
  auto client = Client();
  auto early = client->Reset();
  ASSERT_FALSE(early.ok());
  EXPECT_NE(early.status().message().find("No Data Available"), std::string::npos);

  Publish({V("172.20.0.0/24", 28, 1), V("fd42::/48", 64, 2)});
  auto reset = client->Reset();
  ASSERT_TRUE(reset.ok()) << reset.status();
  EXPECT_EQ(client->size(), 2u);
  EXPECT_EQ(client->session_id(), 777);
  EXPECT_EQ(client->serial(), 1u);
  ASSERT_TRUE(client->timers().has_value());
  EXPECT_EQ(client->timers()->refresh, 3600u);

  Publish({V("172.20.0.0/24", 28, 1), V("172.21.0.0/24", 29, 3)});
  auto notified = client->WaitForNotify(absl::Seconds(5));
  ASSERT_TRUE(notified.ok() && *notified);
  auto diff = client->Refresh(true);
  ASSERT_TRUE(diff.ok()) << diff.status();
  EXPECT_FALSE(diff->reset);
  EXPECT_EQ(diff->announced, 1u);
  EXPECT_EQ(diff->withdrawn, 1u);
  EXPECT_EQ(client->serial(), 2u);
  EXPECT_EQ(client->set(), history_.current()->set());
  EXPECT_EQ(server_->stats().serial_queries.load(), 1u);
}

TEST_F(ServerTest, SessionsTellWhatEachRouterHolds) {
  StartServer();
  Publish({V("172.20.0.0/24", 28, 1)});
  auto v2 = Client(2);
  auto v0 = Client(0);
  ASSERT_TRUE(v2->Reset().ok());
  ASSERT_TRUE(SessionsBecome(2));
  // The count of bytes sent follows the write's completion, which may come
  // after the router has read them.
  std::vector<SessionInfo> sessions;
  for (absl::Time deadline = absl::Now() + absl::Seconds(10); absl::Now() < deadline;) {
    sessions = server_->Sessions();
    if (sessions.size() == 2 && sessions[0].bytes_sent > 0) break;
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_EQ(sessions.size(), 2u);
  EXPECT_LT(sessions[0].id, sessions[1].id);  // in the order they connected
  EXPECT_EQ(sessions[0].version, 2);
  EXPECT_EQ(sessions[0].serial, 1u);
  EXPECT_EQ(sessions[0].queries, 1u);
  EXPECT_STREQ(sessions[0].last_query_kind, "Reset Query");
  EXPECT_GT(sessions[0].bytes_sent, 0u);
  EXPECT_TRUE(absl::StartsWith(sessions[0].peer, "127.0.0.1:"));
  EXPECT_EQ(sessions[0].transport, Transport::kTcp);
  EXPECT_FALSE(sessions[1].version.has_value());  // no query yet
  EXPECT_FALSE(sessions[1].serial.has_value());

  Publish({V("172.20.0.0/24", 28, 1), V("172.21.0.0/24", 28, 2)});
  ASSERT_TRUE(v2->Refresh(true).ok());
  ASSERT_TRUE(v0->Reset().ok());
  sessions = server_->Sessions();
  ASSERT_EQ(sessions.size(), 2u);
  EXPECT_EQ(sessions[0].serial, 2u);
  EXPECT_STREQ(sessions[0].last_query_kind, "Serial Query");
  EXPECT_EQ(sessions[1].version, 0);
  EXPECT_EQ(sessions[1].serial, 2u);
}

TEST_F(ServerTest, Version0Session) {
  StartServer();
  Publish({V("172.20.0.0/24", 28, 1)});
  auto client = Client(0);
  ASSERT_TRUE(client->Reset().ok());
  EXPECT_EQ(client->version(), 0);
  EXPECT_FALSE(client->timers().has_value());
  EXPECT_EQ(client->size(), 1u);
}

TEST_F(ServerTest, VersionTwoRouterFallsBackWhereOnlyOneIsOffered) {
  StartServer({.max_version = 1});
  Publish({V("172.20.0.0/24", 28, 1)});
  RtrClient::Options o{.host = "127.0.0.1", .port = port_, .version = 2};
  auto client = RtrClient::Connect(o);
  ASSERT_TRUE(client.ok());
  auto sync = (*client)->Reset();
  ASSERT_TRUE(sync.ok()) << sync.status();
  EXPECT_EQ((*client)->version(), 1);
  EXPECT_EQ((*client)->size(), 1u);
}

TEST_F(ServerTest, Version2ClientFollowsAspaRecordsAcrossUpdates) {
  StartServer();
  auto publish = [&](std::vector<roa::Aspa> aspas) {
    server_->Publish(
        history_.Commit(std::make_shared<const roa::VrpSet>(
                            std::vector<roa::Vrp>{V("172.20.0.0/24", 28, 1)}, std::move(aspas)),
                        ""));
  };
  publish({{64496, {64497}}, {64500, {64501}}});
  auto v2 = Client(2);
  auto v1 = Client(1);
  ASSERT_TRUE(v2->Reset().ok());
  ASSERT_TRUE(v1->Reset().ok());
  EXPECT_EQ(v2->version(), 2);
  EXPECT_EQ(v2->aspa_count(), 2u);
  EXPECT_EQ(v1->aspa_count(), 0u);
  publish({{64496, {64497, 64498}}, {64510, {64511}}});
  ASSERT_TRUE(*v2->WaitForNotify(absl::Seconds(5)));
  auto sync = v2->Refresh(/*record_diff=*/true);
  ASSERT_TRUE(sync.ok()) << sync.status();
  EXPECT_FALSE(sync->reset);
  roa::VrpSet want(std::vector<roa::Vrp>{V("172.20.0.0/24", 28, 1)},
                   {{64496, {64497, 64498}}, {64510, {64511}}});
  EXPECT_EQ(v2->set(), want);
  EXPECT_EQ(sync->diff.aspa_withdrawn.size(), 2u);
  EXPECT_EQ(sync->diff.aspa_announced.size(), 2u);
  ASSERT_TRUE(*v1->WaitForNotify(absl::Seconds(5)));
  sync = v1->Refresh(true);
  ASSERT_TRUE(sync.ok()) << sync.status();
  EXPECT_TRUE(sync->diff.empty());
  EXPECT_TRUE(v1->set().aspas().empty());
}

// RFC 8210 section 5.10: Router Keys go to version 1 and 2 sessions, in full
// sets and in diffs; version 0 has no such PDU.
TEST_F(ServerTest, RouterKeysReachVersion1And2SessionsOnly) {
  ServerOptions options;
  options.notify_interval = absl::ZeroDuration();
  StartServer(options);
  roa::RouterKey a{std::string(20, 'a'), 64496, "\x30\x01"},
      b{std::string(20, 'b'), 64497, "\x30\x02"};
  auto publish = [&](std::vector<roa::RouterKey> keys) {
    server_->Publish(history_.Commit(
        std::make_shared<const roa::VrpSet>(std::vector<roa::Vrp>{V("172.20.0.0/24", 28, 1)},
                                            std::vector<roa::Aspa>{}, std::move(keys)),
        ""));
  };
  publish({a});
  auto v0 = Client(0), v1 = Client(1), v2 = Client(2);
  for (auto* c : {v0.get(), v1.get(), v2.get()}) ASSERT_TRUE(c->Reset().ok());
  EXPECT_EQ(v0->router_key_count(), 0u);
  EXPECT_EQ(v1->router_key_count(), 1u);
  EXPECT_EQ(v2->router_key_count(), 1u);
  publish({b});
  for (auto* c : {v1.get(), v2.get()}) {
    ASSERT_TRUE(*c->WaitForNotify(absl::Seconds(5)));
    auto sync = c->Refresh(/*record_diff=*/true);
    ASSERT_TRUE(sync.ok()) << sync.status();
    EXPECT_EQ(sync->diff.key_announced, (std::vector<roa::RouterKey>{b}));
    EXPECT_EQ(sync->diff.key_withdrawn, (std::vector<roa::RouterKey>{a}));
    EXPECT_EQ(c->set(), history_.current()->set());
  }
  ASSERT_TRUE(v0->Refresh().ok());
  EXPECT_EQ(v0->router_key_count(), 0u);
}

TEST_F(ServerTest, ForeignSessionIdGetsCacheResetThenTheFullSet) {
  StartServer();
  Publish({V("172.20.0.0/24", 28, 1)});
  auto client = Client();
  ASSERT_TRUE(client->Reset().ok());
  // The cache restarts as another session (id 778) serving more.
  rtr::History other(778);
  server_->Publish(other.Commit(std::make_shared<const roa::VrpSet>(std::vector<roa::Vrp>{
                                    V("172.20.0.0/24", 28, 1), V("10.0.0.0/8", 24, 5)}),
                                ""));
  // On the old connection, which was told 777, the mismatch is Corrupt Data.
  auto same = client->Refresh();
  ASSERT_FALSE(same.ok());
  EXPECT_NE(same.status().message().find("Corrupt Data"), std::string::npos) << same.status();
  // A router reconnecting with its old session id gets Cache Reset, then the set.
  std::string q;
  AppendSerialQuery(&q, 1, 777, 1);
  auto fresh = Client();
  ASSERT_TRUE(fresh->SendBytes(q).ok());
  auto pdu = fresh->ReadPdu(absl::Seconds(5));
  ASSERT_TRUE(pdu.ok()) << pdu.status();
  EXPECT_EQ(pdu->type, PduType::kCacheReset);
  ASSERT_TRUE(fresh->Reset().ok());
  EXPECT_EQ(fresh->session_id(), 778);
  EXPECT_EQ(fresh->size(), 2u);
  EXPECT_EQ(server_->stats().cache_resets.load(), 1u);
}

TEST_F(ServerTest, MalformedPduEndsOnlyThatSession) {
  StartServer();
  Publish({V("172.20.0.0/24", 28, 1)});
  auto good = Client();
  ASSERT_TRUE(good->Reset().ok());
  auto bad = Client();
  ASSERT_TRUE(bad->SendBytes(std::string("\x01\x02\x00\x00\x00\x00\x00\x09", 8)).ok());
  auto report = bad->ReadPdu(absl::Seconds(5));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->type, PduType::kErrorReport);
  EXPECT_EQ(report->error_code, ErrorCode::kCorruptData);
  auto after = bad->ReadPdu(absl::Seconds(5));
  EXPECT_TRUE(absl::IsUnavailable(after.status())) << after.status();  // closed

  Publish({V("172.20.0.0/24", 28, 1), V("172.22.0.0/24", 28, 9)});
  auto notified = good->WaitForNotify(absl::Seconds(5));
  ASSERT_TRUE(notified.ok() && *notified);
  ASSERT_TRUE(good->Refresh().ok());
  EXPECT_EQ(good->size(), 2u);
  EXPECT_EQ(server_->stats().error_reports_sent.load(), 1u);
}

TEST_F(ServerTest, EachErrorPathOverTheWire) {
  StartServer();
  Publish({V("172.20.0.0/24", 28, 1)});
  struct Case {
    std::string bytes;
    ErrorCode code;
  } cases[] = {
      {std::string("\x01\x05\0\0\0\0\0\x08", 8), ErrorCode::kUnsupportedPduType},
      {std::string("\x01\x03\0\0\0\0\0\x08", 8), ErrorCode::kInvalidRequest},
      {std::string("\x01\x02\0\0\0\0\x10\x00", 8), ErrorCode::kCorruptData},
      {std::string("\x00\x09\0\0\0\0\0\x20", 8) + std::string(24, '\0'),
       ErrorCode::kUnsupportedPduType},
  };
  for (const Case& c : cases) {
    auto client = Client();
    ASSERT_TRUE(client->SendBytes(c.bytes).ok());
    auto pdu = client->ReadPdu(absl::Seconds(5));
    ASSERT_TRUE(pdu.ok()) << pdu.status();
    EXPECT_EQ(pdu->error_code, c.code) << ErrorCodeName(pdu->error_code);
    EXPECT_TRUE(absl::IsUnavailable(client->ReadPdu(absl::Seconds(5)).status()));
  }
  // Unexpected Protocol Version after negotiation.
  auto client = Client();
  ASSERT_TRUE(client->Reset().ok());
  std::string v0;
  AppendResetQuery(&v0, 0);
  ASSERT_TRUE(client->SendBytes(v0).ok());
  auto pdu = client->ReadPdu(absl::Seconds(5));
  ASSERT_TRUE(pdu.ok());
  EXPECT_EQ(pdu->error_code, ErrorCode::kUnexpectedProtocolVersion);
}

TEST_F(ServerTest, ConnectionLimitIsEnforced) {
  testing::LogCapture log;
  StartServer(ServerOptions{.max_connections = 2});
  Publish({V("172.20.0.0/24", 28, 1)});
  auto a = Client(), b = Client();
  ASSERT_TRUE(SessionsBecome(2));
  auto c = Client();
  auto refused = c->Reset();
  EXPECT_FALSE(refused.ok());
  EXPECT_TRUE(a->Reset().ok());
  auto d = Client();
  EXPECT_FALSE(d->Reset().ok());
  EXPECT_EQ(server_->stats().connections_refused.load(), 2u);
  // One line when the limit is reached, not one per refused connection.
  EXPECT_EQ(log.Count(LogLevel::kWarning, "connection limit of 2 reached"), 1) << log.All();
  a.reset();
  ASSERT_TRUE(SessionsBecome(1));
  EXPECT_TRUE(Client()->Reset().ok());
  EXPECT_EQ(log.Count(LogLevel::kInfo, "2 connections were refused"), 1) << log.All();
}

// Out of descriptors, accept() fails: the server pauses and says so once,
// instead of spinning and logging without end, and accepts again after.
TEST_F(ServerTest, AcceptFailingForLackOfDescriptorsPausesAndLogsOnce) {
#if defined(__SANITIZE_ADDRESS__) || defined(__has_feature)
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
  GTEST_SKIP() << "with descriptors exhausted the sanitizer runtime cannot work (it needs them "
                  "for its symbolizer); the plain build runs this test";
#endif
#endif
  testing::LogCapture log;
  StartServer(ServerOptions{.accept_retry = absl::Milliseconds(50)});
  Publish({V("172.20.0.0/24", 28, 1)});
  size_t open_now = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) open_now += e.exists();
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = open_now + 24;  // 20 clients, and room for 4 sessions
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  std::vector<int> clients;
  for (int i = 0; i < 20; ++i) {
    int fd = RawConnect(port_);
    if (fd < 0) break;  // the test's own descriptors ran out
    clients.push_back(fd);
  }
  absl::SleepFor(absl::Milliseconds(600));  // a dozen retries
  EXPECT_EQ(log.Count(LogLevel::kWarning, "accept failed: Too many open files"), 1) << log.All();
  for (int fd : clients) ::close(fd);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_TRUE(Client()->Reset().ok());  // served once descriptors are free again
  EXPECT_EQ(log.Count(LogLevel::kInfo, "accepting connections again"), 1) << log.All();
}

// TLS handshakes that never finish are bounded in number and in time.
TEST(ServerTlsTest, StalledHandshakesAreBoundedInNumberAndTime) {
  testing::TempDir dir;
  testing::MakeSelfSignedCertificate(dir.path() + "/c.pem", dir.path() + "/k.pem", "IP:127.0.0.1");
  testing::LogCapture log;
  asio::io_context io;
  ServerOptions o;
  o.tls_listen = {tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  o.tls_cert = dir.path() + "/c.pem";
  o.tls_key = dir.path() + "/k.pem";
  o.max_tls_handshakes = 2;
  o.tls_handshake_timeout = absl::Milliseconds(400);
  Server server(io, o);
  ASSERT_TRUE(server.Start().ok());
  std::thread t([&] { io.run(); });
  uint16_t port = server.bound_endpoints().at(0).port();
  auto connect = [port] {
    int fd = RawConnect(std::to_string(port));
    ::send(fd, "\x16\x03\x01", 3, 0);  // a ClientHello's first bytes, then nothing
    return fd;
  };
  // Closed by the server: read() returns 0 (or an error) within `wait`.
  auto closed_within = [](int fd, absl::Duration wait) {
    int64_t us = absl::ToInt64Microseconds(wait);
    timeval tv{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char c;
    ssize_t n = ::recv(fd, &c, 1, 0);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  };
  int a = connect(), b = connect();
  absl::SleepFor(absl::Milliseconds(100));
  int c = connect();  // the third while two are under way: refused at once
  EXPECT_TRUE(closed_within(c, absl::Milliseconds(300)));
  EXPECT_FALSE(closed_within(a, absl::Milliseconds(50)));
  EXPECT_TRUE(closed_within(a, absl::Seconds(2)));  // the handshake timeout
  EXPECT_TRUE(closed_within(b, absl::Seconds(2)));
  EXPECT_EQ(log.Count(LogLevel::kWarning, "2 TLS handshakes under way"), 1) << log.All();
  for (int fd : {a, b, c}) ::close(fd);
  server.Stop();
  io.stop();
  t.join();
}

// A set of thousands over TLS: the client must read what the TLS stream has
// taken from the socket but not yet decrypted (poll() does not see it; this
// hung rtr-dump --tls on the real registry until its timeout).
TEST(ServerTlsTest, ALargeSetArrivesWhole) {
  testing::TempDir dir;
  testing::MakeSelfSignedCertificate(dir.path() + "/c.pem", dir.path() + "/k.pem", "IP:127.0.0.1");
  asio::io_context io;
  ServerOptions o;
  o.tls_listen = {tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  o.tls_cert = dir.path() + "/c.pem";
  o.tls_key = dir.path() + "/k.pem";
  Server server(io, o);
  ASSERT_TRUE(server.Start().ok());
  std::vector<roa::Vrp> vrps;
  for (uint32_t i = 0; i < 20000; ++i) {
    vrps.push_back(roa::Vrp{*roa::Prefix::Parse(absl::StrFormat("10.%d.%d.0/24", i / 256, i % 256)),
                            24, 64496 + i});
  }
  History history(uint16_t{9});
  server.Publish(history.Commit(std::make_shared<const roa::VrpSet>(std::move(vrps)), ""));
  std::thread t([&] { io.run(); });
  RtrClient::Options c{.host = "127.0.0.1",
                       .port = std::to_string(server.bound_endpoints().at(0).port())};
  c.tls = true;
  c.tls_ca = dir.path() + "/c.pem";
  c.timeout = absl::Seconds(5);
  auto client = RtrClient::Connect(c);
  ASSERT_TRUE(client.ok()) << client.status();
  absl::StatusOr<RtrClient::SyncResult> sync = (*client)->Reset();
  ASSERT_TRUE(sync.ok()) << sync.status();
  EXPECT_EQ((*client)->size(), 20000u);
  client->reset();
  server.Stop();
  io.stop();
  t.join();
}

// Reads until `want` bytes came, the peer closed, or 5 s of silence.
size_t ReadUpTo(int fd, size_t want) {
  size_t got = 0;
  char buf[1 << 16];
  while (got < want) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  return got;
}

TEST_F(ServerTest, NineThousandPipelinedQueriesAreAllAnswered) {
  StartServer();
  Publish({V("172.20.0.0/24", 28, 1)});
  int fd = RawConnect(port_);
  ASSERT_GE(fd, 0);
  // Serial Queries for a serial the cache never had: each is answered with
  // a Cache Reset (8 bytes). 9,000 of them is 108 KB: more than the input
  // the session buffers, so reading must pause and go on.
  std::string queries;
  for (int i = 0; i < 9000; ++i) {
    queries += std::string("\x01\x01\x03\x09\x00\x00\x00\x0c\x00\x00\x00\x00", 12);
  }
  ASSERT_EQ(::send(fd, queries.data(), queries.size(), 0), static_cast<ssize_t>(queries.size()));
  EXPECT_EQ(ReadUpTo(fd, 9000 * 8), 9000u * 8);
  ::close(fd);
}

TEST_F(ServerTest, AByteAtATimeDoesNotHoldASlotPastTheFirstQueryLimit) {
  testing::LogCapture log;
  StartServer(ServerOptions{.first_query_timeout = absl::Milliseconds(500)});
  Publish({V("172.20.0.0/24", 28, 1)});
  int fd = RawConnect(port_);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SessionsBecome(1));
  // Seven bytes of a Reset Query, 100 ms apart: never a whole PDU.
  for (int i = 0; i < 7; ++i) {
    ::send(fd, "\x01", 1, MSG_NOSIGNAL);
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_TRUE(SessionsBecome(0));
  EXPECT_EQ(log.Count(LogLevel::kWarning, "no PDU within 500ms of connecting"), 1) << log.All();
  ::close(fd);
}

TEST_F(ServerTest, SessionsPerAddressAreLimited) {
  testing::LogCapture log;
  StartServer(ServerOptions{.max_connections_per_address = 3});
  Publish({V("172.20.0.0/24", 28, 1)});
  std::vector<std::unique_ptr<RtrClient>> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(Client());
  ASSERT_TRUE(SessionsBecome(3));
  auto fourth = Client();
  EXPECT_FALSE(fourth->Reset().ok());
  EXPECT_FALSE(Client()->Reset().ok());
  EXPECT_EQ(log.Count(LogLevel::kWarning, "127.0.0.1 already has 3 sessions"), 1) << log.All();
  clients.pop_back();
  ASSERT_TRUE(SessionsBecome(2));
  EXPECT_TRUE(Client()->Reset().ok());
}

TEST(ServerListenTest, TheIpv6WildcardTakesIpv4Too) {
  asio::io_context io;
  ServerOptions o;
  o.listen = {tcp::endpoint(asio::ip::make_address("::"), 0)};
  Server server(io, o);
  if (!server.Start().ok()) GTEST_SKIP() << "no IPv6 on this host";
  std::thread t([&] { io.run(); });
  RtrClient::Options c{.host = "127.0.0.1",
                       .port = std::to_string(server.bound_endpoints().at(0).port())};
  c.timeout = absl::Seconds(5);
  absl::StatusOr<std::unique_ptr<RtrClient>> client = RtrClient::Connect(c);
  EXPECT_TRUE(client.ok()) << client.status();
  client = absl::UnavailableError("closed");
  server.Stop();
  io.stop();
  t.join();
}

TEST_F(ServerTest, NotifyReachesEverySessionAndIsCoalesced) {
  StartServer();
  Publish({V("172.20.0.0/24", 28, 1)});
  std::vector<std::unique_ptr<RtrClient>> clients;
  for (int i = 0; i < 20; ++i) {
    clients.push_back(Client());
    ASSERT_TRUE(clients.back()->Reset().ok());
  }
  for (uint32_t asn = 2; asn < 7; ++asn) Publish({V("172.20.0.0/24", 28, asn)});
  for (auto& c : clients) {
    auto n = c->WaitForNotify(absl::Seconds(5));
    ASSERT_TRUE(n.ok() && *n);
    ASSERT_TRUE(c->Refresh().ok());
    EXPECT_EQ(c->serial(), 6u);
    EXPECT_EQ(c->set(), history_.current()->set());
  }
  // Five updates gave each session one notify (the later ones fall within
  // the minute after it, and are coalesced).
  EXPECT_EQ(server_->stats().notifies_sent.load(), 20u);
}

// RFC 8210 section 8.2: at most one Serial Notify a minute per session. The
// first change after a quiet interval is notified at once; the changes of
// the next interval give exactly one notify, of the newest serial, when it
// ends. (A 1.5 s interval stands for the minute.)
TEST_F(ServerTest, SerialNotifyAtMostOncePerIntervalAndCoalescedToItsEnd) {
  ServerOptions options;
  options.notify_interval = absl::Milliseconds(1500);
  StartServer(options);
  Publish({V("172.20.0.0/24", 28, 1)});
  auto client = Client();
  ASSERT_TRUE(client->Reset().ok());
  absl::Time published = absl::Now();
  Publish({V("172.20.0.0/24", 28, 2)});
  auto first = client->ReadPdu(absl::Seconds(5));
  ASSERT_TRUE(first.ok()) << first.status();
  absl::Time first_at = absl::Now();
  EXPECT_EQ(first->type, PduType::kSerialNotify);
  EXPECT_EQ(first->serial, 2u);
  EXPECT_LT(first_at - published, absl::Milliseconds(500));  // at once
  Publish({V("172.20.0.0/24", 28, 3)});
  Publish({V("172.20.0.0/24", 28, 4)});
  auto second = client->ReadPdu(absl::Seconds(5));
  ASSERT_TRUE(second.ok()) << second.status();
  absl::Time second_at = absl::Now();
  EXPECT_EQ(second->type, PduType::kSerialNotify);
  EXPECT_EQ(second->serial, 4u);  // one notify for both changes
  EXPECT_GE(second_at - first_at, absl::Milliseconds(1450));
  EXPECT_LT(second_at - first_at, absl::Milliseconds(2500));
  EXPECT_TRUE(absl::IsDeadlineExceeded(client->ReadPdu(absl::Milliseconds(1800)).status()));
  // A router that polls gets every change at once meanwhile.
  Publish({V("172.20.0.0/24", 28, 5)});
  ASSERT_TRUE(client->Refresh().ok());
  EXPECT_EQ(client->serial(), 5u);
}

// draft-ietf-sidrops-8210bis-27 sections 8.5 and 8.6: a stopping cache tells
// version 2 routers Cache Restart (or Cache Shutdown) first; versions 0 and 1
// have no such code, so those sessions just close.
TEST_F(ServerTest, StopSendsCacheRestartToVersion2SessionsOnly) {
  StartServer();
  Publish({V("172.20.0.0/24", 28, 1)});
  auto v2 = Client(2);
  auto v1 = Client(1);
  ASSERT_TRUE(v2->Reset().ok());
  ASSERT_TRUE(v1->Reset().ok());
  server_->Stop(ErrorCode::kCacheRestart, "restarting");
  auto report = v2->ReadPdu(absl::Seconds(5));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->type, PduType::kErrorReport);
  EXPECT_EQ(report->version, 2);
  EXPECT_EQ(report->error_code, ErrorCode::kCacheRestart);
  EXPECT_EQ(report->error_text, "restarting");
  EXPECT_TRUE(absl::IsUnavailable(v2->ReadPdu(absl::Seconds(5)).status()));
  auto closed = v1->ReadPdu(absl::Seconds(5));
  EXPECT_TRUE(absl::IsUnavailable(closed.status())) << closed.status();
  EXPECT_TRUE(SessionsBecome(0));
  EXPECT_EQ(server_->stats().error_reports_by_code[12].load(), 1u);
}

TEST_F(ServerTest, NotifyNeverInsideAResponseAndCoalesced) {
  StartServer();
  std::vector<roa::Vrp> many;
  for (uint32_t i = 0; i < 400000; ++i) {
    uint8_t bytes[4] = {10, uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i)};
    many.push_back({*roa::Prefix::FromBytes(roa::Family::kIpv4, bytes, 32), 32, 64512});
  }
  Publish(many);
  auto client = Client();
  std::string q;
  AppendResetQuery(&q, 1);
  ASSERT_TRUE(client->SendBytes(q).ok());
  // 8 MB of response cannot all sit in socket buffers: the server is still
  // writing it while five new serials are published.
  absl::SleepFor(absl::Milliseconds(200));
  for (uint32_t asn = 1; asn <= 5; ++asn) {
    std::vector<roa::Vrp> next = many;
    next.push_back(V("172.20.0.0/24", 28, asn));
    Publish(std::move(next));
  }
  size_t prefixes = 0;
  std::vector<PduType> others;
  while (true) {
    auto pdu = client->ReadPdu(absl::Seconds(10));
    ASSERT_TRUE(pdu.ok()) << pdu.status();
    if (pdu->type == PduType::kIpv4Prefix) {
      ++prefixes;
      continue;
    }
    others.push_back(pdu->type);
    if (pdu->type == PduType::kEndOfData) {
      EXPECT_EQ(pdu->serial, 1u);
      break;
    }
  }
  EXPECT_EQ(others, (std::vector<PduType>{PduType::kCacheResponse, PduType::kEndOfData}));
  EXPECT_EQ(prefixes, 400000u);
  auto notify = client->ReadPdu(absl::Seconds(5));
  ASSERT_TRUE(notify.ok()) << notify.status();
  EXPECT_EQ(notify->type, PduType::kSerialNotify);
  EXPECT_EQ(notify->serial, 6u);
  EXPECT_TRUE(absl::IsDeadlineExceeded(client->ReadPdu(absl::Milliseconds(300)).status()));
}

// /32s in 10.0.0.0/8: a set whose full response is several MB.
std::vector<roa::Vrp> ManyVrps(uint32_t n) {
  std::vector<roa::Vrp> many;
  for (uint32_t i = 0; i < n; ++i) {
    uint8_t bytes[4] = {10, uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i)};
    many.push_back({*roa::Prefix::FromBytes(roa::Family::kIpv4, bytes, 32), 32, 64512});
  }
  return many;
}

TEST_F(ServerTest, SlowReaderIsClosed) {
  // (Long enough for the reader below to parse 600,000 PDUs between reads,
  // also in the sanitizer build.)
  StartServer(ServerOptions{.write_stall_timeout = absl::Seconds(2)});
  Publish(ManyVrps(600000));
  auto reader = Client();
  auto stalled = Client();
  std::string q;
  AppendResetQuery(&q, 1);
  ASSERT_TRUE(stalled->SendBytes(q).ok());  // and never reads
  ASSERT_TRUE(SessionsBecome(1)) << "the stalled session was not closed";
  EXPECT_TRUE(reader->Reset().ok());
  EXPECT_EQ(reader->size(), 600000u);
}

// draft-ietf-sidrops-8210bis-27 section 9: a stalled version 2 session is
// sent Transport Failure (10) after the response it is stuck in, and closed.
TEST_F(ServerTest, StalledVersion2SessionGetsTransportFailure) {
  StartServer(ServerOptions{.write_stall_timeout = absl::Seconds(2)});
  Publish(ManyVrps(600000));
  auto stalled = Client(2);
  std::string q;
  AppendResetQuery(&q, 2);
  ASSERT_TRUE(stalled->SendBytes(q).ok());
  // Not reading until the stall limit has passed and the report is queued;
  // then reading at once, within the interval it is given.
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (server_->stats().error_reports_by_code[10].load() == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  size_t prefixes = 0;
  std::optional<Pdu> last;
  while (true) {
    absl::StatusOr<Pdu> pdu = stalled->ReadPdu(absl::Seconds(10));
    if (!pdu.ok()) break;  // closed
    if (pdu->type == PduType::kIpv4Prefix) ++prefixes;
    last = *pdu;
  }
  EXPECT_EQ(prefixes, 600000u);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->type, PduType::kErrorReport);
  EXPECT_EQ(last->error_code, ErrorCode::kTransportFailure);
  EXPECT_EQ(last->version, 2);
  EXPECT_EQ(server_->stats().error_reports_by_code[10].load(), 1u);
  EXPECT_EQ(server_->stats().closed_by_limit[0].load(), 1u);
}

TEST_F(ServerTest, SlowReaderNeverStallsOthers) {
  // The stall limit must outlast the test (22 to 35 s under ASan on a loaded
  // 2-core machine): what is checked is that no session waits on another's.
  StartServer(ServerOptions{.write_stall_timeout = absl::Seconds(120)});
  Publish(ManyVrps(600000));
  // Five sessions ask for 12 MB each and never read.
  std::vector<std::unique_ptr<RtrClient>> stalled;
  std::string q;
  AppendResetQuery(&q, 1);
  for (int i = 0; i < 5; ++i) {
    stalled.push_back(Client());
    ASSERT_TRUE(stalled.back()->SendBytes(q).ok());
  }
  ASSERT_TRUE(SessionsBecome(5));
  absl::SleepFor(absl::Milliseconds(200));  // their socket buffers fill
  // Others are served in full meanwhile, including after a new serial.
  for (int i = 0; i < 3; ++i) {
    auto reader = Client();
    ASSERT_TRUE(reader->Reset().ok());
    EXPECT_EQ(reader->size(), 600000u);
  }
  std::vector<roa::Vrp> next = ManyVrps(600000);
  next.push_back(V("172.20.0.0/24", 28, 1));
  auto follower = Client();
  ASSERT_TRUE(follower->Reset().ok());
  Publish(std::move(next));
  auto notified = follower->WaitForNotify(absl::Seconds(10));
  ASSERT_TRUE(notified.ok() && *notified);
  ASSERT_TRUE(follower->Refresh().ok());
  EXPECT_EQ(follower->size(), 600001u);
  // The stalled ones are still there, waiting on their own sockets only.
  EXPECT_EQ(server_->session_count(), 6u);
  EXPECT_EQ(server_->stats().closed_by_limit[size_t(CloseReason::kSlowReader)].load(), 0u);
}

TEST_F(ServerTest, QueuedBytesLimitClosesTheSession) {
  testing::LogCapture log;
  StartServer(ServerOptions{.max_queued_bytes = 100000});
  Publish(ManyVrps(10000));  // a full response of 200 kB
  auto big = Client();
  EXPECT_FALSE(big->Reset().ok());
  ASSERT_TRUE(SessionsBecome(0));
  EXPECT_EQ(server_->stats().closed_by_limit[size_t(CloseReason::kBacklog)].load(), 1u);
  EXPECT_EQ(log.Count(LogLevel::kWarning, "is over the limit of 100000"), 1) << log.All();
  // A diff that fits is sent.
  Publish({V("172.20.0.0/24", 28, 1)});
  auto small = Client();
  EXPECT_TRUE(small->Reset().ok());
  EXPECT_EQ(small->size(), 1u);
}

TEST_F(ServerTest, SilentConnectionIsClosed) {
  testing::LogCapture log;
  StartServer(ServerOptions{.first_query_timeout = absl::Milliseconds(300)});
  Publish({V("172.20.0.0/24", 28, 1)});
  auto silent = Client();
  ASSERT_TRUE(SessionsBecome(1));
  ASSERT_TRUE(SessionsBecome(0));
  EXPECT_EQ(server_->stats().closed_by_limit[size_t(CloseReason::kNoQuery)].load(), 1u);
  EXPECT_EQ(log.Count(LogLevel::kWarning, "no PDU within 300ms of connecting"), 1) << log.All();
}

TEST_F(ServerTest, IdleSessionIsClosedActiveOneStays) {
  StartServer(ServerOptions{.idle_timeout = absl::Milliseconds(500)});
  Publish({V("172.20.0.0/24", 28, 1)});
  auto idle = Client();
  auto active = Client();
  ASSERT_TRUE(idle->Reset().ok());
  ASSERT_TRUE(active->Reset().ok());
  for (int i = 0; i < 12; ++i) {  // 1.2 s of queries every 100 ms
    absl::SleepFor(absl::Milliseconds(100));
    ASSERT_TRUE(active->Refresh().ok()) << i;
  }
  ASSERT_TRUE(SessionsBecome(1));
  EXPECT_TRUE(active->Refresh().ok());
  EXPECT_EQ(server_->stats().closed_by_limit[size_t(CloseReason::kIdle)].load(), 1u);
}

TEST_F(ServerTest, NoIdleLimitKeepsAQuietSession) {
  StartServer(ServerOptions{.first_query_timeout = absl::Milliseconds(300),
                            .idle_timeout = absl::InfiniteDuration()});
  Publish({V("172.20.0.0/24", 28, 1)});
  auto quiet = Client();
  ASSERT_TRUE(quiet->Reset().ok());
  absl::SleepFor(absl::Milliseconds(800));  // past the first-query limit
  EXPECT_EQ(server_->session_count(), 1u);
  EXPECT_TRUE(quiet->Refresh().ok());
}

TEST_F(ServerTest, ResetConnectionsAreReaped) {
  StartServer();
  Publish(ManyVrps(200000));
  for (int i = 0; i < 10; ++i) {
    asio::io_context io;
    tcp::socket socket(io);
    socket.connect(server_->bound_endpoints().at(0));
    std::string q;
    AppendResetQuery(&q, 1);
    asio::write(socket, asio::buffer(q));
    char some[100];
    asio::read(socket, asio::buffer(some));
    // Close with an RST in the middle of the 4 MB answer.
    socket.set_option(asio::socket_base::linger(true, 0));
    socket.close();
  }
  ASSERT_TRUE(SessionsBecome(0)) << server_->session_count() << " sessions left";
  EXPECT_TRUE(Client()->Reset().ok());
}

TEST_F(ServerTest, AcceptedConnectionsProbeWithKeepalive) {
  // A peer that vanishes without FIN or RST (power loss, a dropped link) is
  // found by keepalive probes; ss(8) shows the kernel's keepalive timer.
  if (testing::RunCommand("command -v ss >/dev/null") != 0) GTEST_SKIP() << "ss (iproute2) missing";
  StartServer(ServerOptions{.keepalive_idle = absl::Seconds(30)});
  Publish({V("172.20.0.0/24", 28, 1)});
  auto client = Client();
  ASSERT_TRUE(client->Reset().ok());
  std::string out;
  ASSERT_EQ(testing::RunCommand("ss -tnoH state established '( sport = :" + port_ + " )'", &out),
            0);
  EXPECT_NE(out.find("timer:(keepalive,"), std::string::npos) << out;
}

TEST(ServerStartTest, UnbindableAddressIsFatalOnlyWhenRequired) {
  asio::io_context io;
  // 192.0.2.1 (TEST-NET-1) is not an address of this host: bind fails.
  std::vector<tcp::endpoint> listen = {tcp::endpoint(asio::ip::make_address("192.0.2.1"), 0),
                                       tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  Server strict(io, ServerOptions{.listen = listen});
  EXPECT_FALSE(strict.Start().ok());
  Server lenient(io, ServerOptions{.listen = listen, .require_every_listener = false});
  EXPECT_TRUE(lenient.Start().ok());
  EXPECT_EQ(lenient.bound_endpoints().size(), 1u);
  Server none(io, ServerOptions{.listen = {listen[0]}, .require_every_listener = false});
  EXPECT_FALSE(none.Start().ok());
}

TEST(ListenAddressTest, Parses) {
  EXPECT_EQ(ParseListenAddress("127.0.0.1:8282")->port(), 8282);
  EXPECT_TRUE(ParseListenAddress("[::1]:323")->address().is_v6());
  EXPECT_TRUE(ParseListenAddress(":8282")->address().is_v6());
  EXPECT_FALSE(ParseListenAddress("127.0.0.1").ok());
  EXPECT_FALSE(ParseListenAddress("127.0.0.1:70000").ok());
  EXPECT_FALSE(ParseListenAddress("host.example:1").ok());
}

}  // namespace
}  // namespace rtr42::rtr
