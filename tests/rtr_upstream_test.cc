// RtrUpstreamSource against a real rtr::Server on 127.0.0.1: the first set,
// a change pushed by Serial Notify (the wakeup is called and the diff is
// applied), a new upstream session (Cache Reset, then a Reset Query), the
// upstream gone (an error, the last set kept) and back (a reconnect).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "rtr/history.h"
#include "rtr/server.h"
#include "sources/rtr_upstream_source.h"
#include "tests/test_util.h"

namespace rtr42::sources {
namespace {

using ::rtr42::testing::V;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class Upstream {
 public:
  explicit Upstream(uint16_t port = 0, uint16_t session = 7) : history_(session) {
    rtr::ServerOptions options;
    options.listen = {tcp::endpoint(asio::ip::make_address("127.0.0.1"), port)};
    options.notify_interval = absl::Milliseconds(10);
    server_ = std::make_unique<rtr::Server>(io_, options);
    EXPECT_TRUE(server_->Start().ok());
    port_ = server_->bound_endpoints().at(0).port();
    work_.emplace(io_.get_executor());
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Upstream() {
    server_->Stop();
    work_.reset();
    io_.stop();
    thread_.join();
  }
  void Publish(std::vector<roa::Vrp> vrps, std::vector<roa::Aspa> aspas = {}) {
    server_->Publish(history_.Commit(
        std::make_shared<const roa::VrpSet>(std::move(vrps), std::move(aspas)), ""));
  }
  uint16_t port() const { return port_; }

 private:
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  rtr::History history_;
  std::unique_ptr<rtr::Server> server_;
  uint16_t port_ = 0;
  std::thread thread_;
};

rtr::RtrClient::Options To(uint16_t port) {
  rtr::RtrClient::Options o{.host = "127.0.0.1", .port = std::to_string(port)};
  o.timeout = absl::Seconds(10);
  return o;
}

// Polls until a set comes (10 s at most).
std::optional<VrpSnapshot> NextSet(RtrUpstreamSource& source, absl::Status* last = nullptr) {
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    absl::StatusOr<std::optional<VrpSnapshot>> s = source.Poll();
    if (last) *last = s.status();
    if (s.ok() && s->has_value()) return std::move(**s);
    absl::SleepFor(absl::Milliseconds(20));
  }
  return std::nullopt;
}

// Polls until Poll() fails (10 s at most); no set may come meanwhile.
absl::Status WaitForError(RtrUpstreamSource& source) {
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    absl::StatusOr<std::optional<VrpSnapshot>> s = source.Poll();
    if (!s.ok()) return s.status();
    EXPECT_FALSE(s->has_value());
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::OkStatus();
}

TEST(RtrUpstreamTest, FollowsTheUpstreamThroughNotifiesAndResets) {
  auto upstream = std::make_unique<Upstream>();
  upstream->Publish({V("172.20.0.0/24", 28, 4242420000), V("fd42::/48", 64, 4242420001)},
                    {roa::Aspa{4242420000, {4242420001}}});
  std::atomic<int> wakeups{0};
  RtrUpstreamSource source(To(upstream->port()));
  source.SetWakeup([&] { ++wakeups; });
  std::optional<VrpSnapshot> first = NextSet(source);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->set->size(), 2u);
  ASSERT_EQ(first->set->aspas().size(), 1u);  // version 2 with ASPA
  EXPECT_NE(first->revision.find("session 7 serial 1"), std::string::npos) << first->revision;
  EXPECT_GE(wakeups.load(), 1);

  // A change: Serial Notify, Serial Query, the diff; the source wakes us.
  int before = wakeups.load();
  upstream->Publish({V("172.20.0.0/24", 28, 4242420000), V("172.20.1.0/24", 24, 4242420002)});
  std::optional<VrpSnapshot> second = NextSet(source);
  ASSERT_TRUE(second);
  EXPECT_GT(wakeups.load(), before);
  EXPECT_TRUE(second->set->Contains(V("172.20.1.0/24", 24, 4242420002)));
  EXPECT_FALSE(second->set->Contains(V("fd42::/48", 64, 4242420001)));
  EXPECT_TRUE(second->set->aspas().empty());
  EXPECT_NE(second->revision.find("serial 2"), std::string::npos) << second->revision;
  EXPECT_TRUE(source.Expired().empty());

  // The upstream goes: an error, the last set is not reported again.
  uint16_t port = upstream->port();
  upstream.reset();
  absl::Status status = WaitForError(source);
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_NE(status.message().find("127.0.0.1:" + std::to_string(port)), std::string::npos)
      << status;
  EXPECT_TRUE(source.Expired().empty());  // not yet past its expire interval

  // It comes back with a new session and another set: a reconnect, a Reset
  // Query, the whole new set.
  upstream = std::make_unique<Upstream>(port, 8);
  upstream->Publish({V("10.0.0.0/8", 8, 64496)});
  std::optional<VrpSnapshot> third = NextSet(source);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->set->size(), 1u);
  EXPECT_NE(third->revision.find("session 8 serial 1"), std::string::npos) << third->revision;
  EXPECT_TRUE(source.Poll().ok());
}

TEST(RtrUpstreamTest, AnUpstreamThatIsNotThereIsAnErrorNamingIt) {
  // A port nobody listens on: take one and close it.
  uint16_t port;
  {
    asio::io_context io;
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }
  RtrUpstreamSource source(To(port));
  absl::Status status = WaitForError(source);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find(absl::StrCat("127.0.0.1:", port)), std::string::npos) << status;
}

}  // namespace
}  // namespace rtr42::sources
