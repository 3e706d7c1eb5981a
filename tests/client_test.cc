// RtrClient against a scripted cache on 127.0.0.1: the version 2 checks of
// draft-ietf-sidrops-8210bis-27 (section 11.2 order: error 11; section 5.12
// provider lists: error 9), each answered with its Error Report.
#include "rtr/client.h"

#include <gtest/gtest.h>

#include <thread>

#include "rtr/asio.h"
#include "tests/test_util.h"

namespace rtr42::rtr {
namespace {

using ::rtr42::testing::V;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Accepts one connection, reads the query, writes `reply`, then reads what
// the client sends back until it closes.
class ScriptedCache {
 public:
  explicit ScriptedCache(std::string reply)
      : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        reply_(std::move(reply)) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedCache() { thread_.join(); }
  std::string port() const { return std::to_string(acceptor_.local_endpoint().port()); }
  // What the client sent after the reply (its Error Report), once it closed.
  std::string answer() {
    thread_.join();
    thread_ = std::thread([] {});
    return answer_;
  }

 private:
  void Serve() {
    tcp::socket socket(io_);
    acceptor_.accept(socket);
    char query[8];
    asio::read(socket, asio::buffer(query, 8));  // a Reset Query
    asio::write(socket, asio::buffer(reply_));
    boost::system::error_code ec;
    char buf[4096];
    while (true) {
      size_t n = socket.read_some(asio::buffer(buf), ec);
      if (ec) break;
      answer_.append(buf, n);
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::string reply_;
  std::string answer_;
  std::thread thread_;
};

std::string Response(const std::string& payload) {
  std::string out;
  AppendCacheResponse(&out, 2, 7);
  out += payload;
  AppendEndOfData(&out, 2, 7, 1, Timers{});
  return out;
}

ErrorCode ErrorSentBack(ScriptedCache& cache, absl::Status* status) {
  RtrClient::Options o{.host = "127.0.0.1", .port = cache.port(), .version = 2};
  o.timeout = absl::Seconds(5);
  auto client = RtrClient::Connect(o);
  EXPECT_TRUE(client.ok());
  auto sync = (*client)->Reset();
  *status = sync.status();
  EXPECT_EQ((*client)->state(), RtrClient::State::kFailed);
  client->reset();  // closes the connection
  std::string answer = cache.answer();
  auto pdu = DecodePdu(answer);
  EXPECT_TRUE(std::holds_alternative<Pdu>(pdu)) << answer.size();
  return std::holds_alternative<Pdu>(pdu) ? std::get<Pdu>(pdu).error_code
                                          : ErrorCode::kInternalError;
}

TEST(ClientTest, OrderingErrorForPayloadOutOfOrder) {
  std::string payload;
  AppendPrefix(&payload, 2, true, V("10.0.0.0/8", 8, 1));  // ascending: wrong for announcements
  AppendPrefix(&payload, 2, true, V("10.1.0.0/16", 16, 1));
  ScriptedCache cache(Response(payload));
  absl::Status status;
  EXPECT_EQ(ErrorSentBack(cache, &status), ErrorCode::kOrderingError);
  EXPECT_NE(status.message().find("error 11 (Ordering Error)"), std::string::npos) << status;
}

TEST(ClientTest, AspaProviderListErrors) {
  for (const roa::Aspa& bad : {roa::Aspa{64496, {0, 64497}}, roa::Aspa{64496, {64498, 64497}},
                               roa::Aspa{64496, {64497, 64497}}}) {
    std::string payload;
    AppendAspa(&payload, 2, true, bad);
    ScriptedCache cache(Response(payload));
    absl::Status status;
    EXPECT_EQ(ErrorSentBack(cache, &status), ErrorCode::kAspaProviderListError) << bad.ToString();
  }
  // An announcement without providers (a 12-byte PDU with the announce flag).
  std::string payload;
  AppendAspa(&payload, 2, false, {64496, {}});
  payload[2] = 1;
  ScriptedCache cache(Response(payload));
  absl::Status status;
  EXPECT_EQ(ErrorSentBack(cache, &status), ErrorCode::kAspaProviderListError);
}

TEST(ClientTest, OrderedStreamIsAccepted) {
  std::string payload;
  AppendPrefix(&payload, 2, true, V("10.1.0.0/16", 16, 1));
  AppendPrefix(&payload, 2, true, V("10.0.0.0/8", 8, 1));
  AppendPrefix(&payload, 2, true, V("fd42::/48", 48, 1));
  AppendAspa(&payload, 2, true, {64496, {0}});
  ScriptedCache cache(Response(payload));
  RtrClient::Options o{.host = "127.0.0.1", .port = cache.port(), .version = 2};
  auto client = RtrClient::Connect(o);
  ASSERT_TRUE(client.ok());
  auto sync = (*client)->Reset();
  ASSERT_TRUE(sync.ok()) << sync.status();
  EXPECT_EQ((*client)->size(), 3u);
  EXPECT_EQ((*client)->aspa_count(), 1u);
  EXPECT_EQ((*client)->state(), RtrClient::State::kIdle);
  client->reset();
  EXPECT_TRUE(cache.answer().empty());  // nothing to complain about
}

// A cache that closes a connection of a version it lacks without a word
// (StayRTR 0.6's Error Report races its close): the client tries one version
// lower on a new connection (when asked to), unless the version is fixed.
TEST(ClientTest, SilentCloseBeforeAnyPduFallsBackOneVersion) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::vector<int> versions_seen;
  std::thread cache([&] {
    for (int i = 0; i < 2; ++i) {
      tcp::socket socket(io);
      acceptor.accept(socket);
      char query[8];
      asio::read(socket, asio::buffer(query, 8));
      versions_seen.push_back(query[0]);
      if (query[0] == 1) {
        std::string reply;
        AppendCacheResponse(&reply, 1, 7);
        AppendEndOfData(&reply, 1, 7, 1, Timers{});
        asio::write(socket, asio::buffer(reply));
        boost::system::error_code ec;
        char buf[64];
        while (!ec) socket.read_some(asio::buffer(buf), ec);  // until the client closes
      }
      // Any other version: closed unanswered.
    }
  });
  std::string port = std::to_string(acceptor.local_endpoint().port());
  {
    RtrClient::Options o{.host = "127.0.0.1", .port = port, .version = 2};
    o.timeout = absl::Seconds(5);
    o.retry_v1_on_silent_close = true;
    auto client = RtrClient::Connect(o);
    ASSERT_TRUE(client.ok()) << client.status();
    auto sync = (*client)->Reset();
    ASSERT_TRUE(sync.ok()) << sync.status();
    EXPECT_EQ((*client)->version(), 1);
    EXPECT_EQ((*client)->session_id(), 7);
  }
  cache.join();
  EXPECT_EQ(versions_seen, (std::vector<int>{2, 1}));

  // A fixed version does not move (nor does a client not asked to retry).
  std::thread closer([&] {
    tcp::socket socket(io);
    acceptor.accept(socket);
    char query[8];
    asio::read(socket, asio::buffer(query, 8));
  });
  RtrClient::Options o{.host = "127.0.0.1", .port = port, .version = 2, .negotiate = false};
  o.timeout = absl::Seconds(5);
  o.retry_v1_on_silent_close = true;
  auto client = RtrClient::Connect(o);
  ASSERT_TRUE(client.ok());
  auto sync = (*client)->Reset();
  closer.join();
  EXPECT_TRUE(absl::IsUnavailable(sync.status())) << sync.status();
  EXPECT_EQ((*client)->version(), 2);
}

}  // namespace
}  // namespace rtr42::rtr
