// rtr_load: load for an RTR cache (rtr42d, StayRTR, any other).
//
//   rtr_load --connect HOST:PORT --clients N
//       N concurrent connections each send a Reset Query and read to End of
//       Data; prints the time for all of them and checks they got the same
//       number of VRPs.
//   rtr_load --connect HOST:PORT --sessions N --wait-notify SECONDS
//       N sessions synchronise, then wait for a Serial Notify (trigger an
//       update from outside); prints how long after the first session the
//       last one was notified.
//   --hold SECONDS keeps the sessions open afterwards (to measure the
//   server's memory per session).
//
// PDUs are framed by their length field only, so one client thread can read
// far faster than a router would parse.
#include <sys/resource.h>

#include <chrono>
#include <iostream>
#include <thread>
#include <utility>

#include "absl/strings/str_format.h"
#include "base/args.h"
#include "base/file_util.h"
#include "rtr/asio.h"
#include "rtr/client.h"

namespace rtr42::bench {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Totals {
  size_t done = 0, failed = 0, notified = 0;
  Clock::time_point first_done{}, last_done{}, first_notify{}, last_notify{};
};

class LoadClient : public std::enable_shared_from_this<LoadClient> {
 public:
  LoadClient(asio::io_context& io, Totals& totals, uint8_t version, bool wait_notify)
      : socket_(io), totals_(totals), version_(version), wait_notify_(wait_notify) {}

  void Start(const tcp::resolver::results_type& endpoints) {
    asio::async_connect(socket_, endpoints, [self = shared_from_this()](auto ec, auto) {
      if (ec) return self->Fail("connect: " + ec.message());
      self->query_ = std::string{static_cast<char>(self->version_), 2, 0, 0, 0, 0, 0, 8};
      asio::async_write(self->socket_, asio::buffer(self->query_), [self](auto ec2, size_t) {
        if (ec2) return self->Fail("send: " + ec2.message());
        self->Read();
      });
    });
  }
  size_t prefixes() const { return prefixes_; }

 private:
  void Read() {
    socket_.async_read_some(asio::buffer(buffer_), [self = shared_from_this()](auto ec, size_t n) {
      if (ec) return self->Fail(ec == asio::error::eof ? "closed by the cache" : ec.message());
      if (self->Consume(n)) self->Read();
    });
  }

  // Frames PDUs; returns false when this client is finished.
  bool Consume(size_t n) {
    size_t pos = 0;
    while (pos < n) {
      if (skip_ > 0) {
        size_t k = std::min(skip_, n - pos);
        skip_ -= k;
        pos += k;
        continue;
      }
      size_t k = std::min<size_t>(8 - header_len_, n - pos);
      std::memcpy(header_ + header_len_, buffer_.data() + pos, k);
      header_len_ += k;
      pos += k;
      if (header_len_ < 8) break;
      header_len_ = 0;
      uint8_t type = uint8_t(header_[1]);
      uint32_t length = (uint32_t(uint8_t(header_[4])) << 24) |
                        (uint32_t(uint8_t(header_[5])) << 16) |
                        (uint32_t(uint8_t(header_[6])) << 8) | uint32_t(uint8_t(header_[7]));
      if (length < 8) return Fail("corrupt PDU length"), false;
      skip_ = length - 8;
      if (type == 4 || type == 6) ++prefixes_;
      if (type == 10) return Fail("cache sent an Error Report"), false;
      if (type == 7 && !synced_) {
        synced_ = true;
        auto now = Clock::now();
        if (totals_.done++ == 0) totals_.first_done = now;
        totals_.last_done = now;
        if (!wait_notify_) {
          socket_.close();
          return false;
        }
      } else if (type == 0 && synced_) {
        auto now = Clock::now();
        if (totals_.notified++ == 0) totals_.first_notify = now;
        totals_.last_notify = now;
      }
    }
    return true;
  }

  void Fail(const std::string& why) {
    if (!failed_) {
      failed_ = true;
      if (totals_.failed++ < 5) std::cerr << "rtr_load: " << why << "\n";
    }
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

  tcp::socket socket_;
  Totals& totals_;
  uint8_t version_;
  bool wait_notify_;
  std::string query_;
  std::array<char, 256 * 1024> buffer_;
  char header_[8];
  size_t header_len_ = 0;
  size_t skip_ = 0;
  size_t prefixes_ = 0;
  bool synced_ = false;
  bool failed_ = false;
};

int Main(int argc, char** argv) {
  Args args("rtr_load", "Load for an RTR cache: concurrent full resets, or Serial Notify fan-out.");
  args.AddOption("connect", "HOST:PORT", "the cache");
  args.AddOption("clients", "N", "concurrent full resets (default 1)");
  args.AddOption("sessions", "N", "sessions that synchronise, then wait for a Serial Notify");
  args.AddOption("wait-notify", "SECONDS", "with --sessions: how long to wait (default 60)");
  args.AddOption("hold", "SECONDS", "keep the sessions open this long at the end");
  args.AddOption("version", "0|1", "RTR version (default 1)");
  if (std::optional<int> exit = args.ParseCommandLine(argc, argv)) return *exit;
  if (!args.Has("connect")) {
    std::cerr << "rtr_load: --connect HOST:PORT is required\n";
    return 2;
  }
  std::string host, port;
  if (absl::Status s = rtr::SplitHostPort(args.Get("connect"), &host, &port); !s.ok()) {
    std::cerr << s.message() << "\n";
    return 2;
  }
  bool notify_mode = args.Has("sessions");
  size_t n = static_cast<size_t>(*args.GetInt(notify_mode ? "sessions" : "clients", 1, 1, 100000));
  uint8_t version = static_cast<uint8_t>(*args.GetInt("version", 1, 0, 1));
  int64_t wait = *args.GetInt("wait-notify", 60, 1, 3600);
  int64_t hold = *args.GetInt("hold", 0, 0, 86400);
  RaiseOpenFileLimit();

  asio::io_context io;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(host, port);
  Totals totals;
  std::vector<std::shared_ptr<LoadClient>> clients;
  auto start = Clock::now();
  for (size_t i = 0; i < n; ++i) {
    clients.push_back(std::make_shared<LoadClient>(io, totals, version, notify_mode));
    clients.back()->Start(endpoints);
  }
  auto ms = [](Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
  if (!notify_mode) {
    io.run();
    size_t first = clients.front()->prefixes();
    bool same = true;
    for (auto& c : clients) same &= c->prefixes() == first;
    std::cout << absl::StrFormat(
        "clients=%d done=%d failed=%d vrps_per_client=%d same=%s first_ms=%.1f all_ms=%.1f\n", n,
        totals.done, totals.failed, first, same ? "yes" : "NO", ms(totals.first_done - start),
        ms(totals.last_done - start));
    return totals.failed == 0 && same && totals.done == n ? 0 : 1;
  }
  // Notify mode: run until every session is notified or the wait is over.
  auto deadline = Clock::now() + std::chrono::seconds(wait);
  bool announced = false;
  while (Clock::now() < deadline && totals.notified + totals.failed < n) {
    io.run_for(std::chrono::milliseconds(50));
    if (!announced && totals.done + totals.failed == n) {
      std::cout << absl::StrFormat(
                       "synchronised %d sessions in %.1f ms; waiting for a Serial Notify\n",
                       totals.done, ms(totals.last_done - start))
                << std::flush;
      announced = true;
    }
  }
  std::cout << absl::StrFormat(
                   "sessions=%d synced=%d notified=%d failed=%d notify_spread_ms=%.1f\n", n,
                   totals.done, totals.notified, totals.failed,
                   totals.notified ? ms(totals.last_notify - totals.first_notify) : -1.0)
            << std::flush;
  if (hold > 0) io.run_for(std::chrono::seconds(hold));
  return totals.notified == n ? 0 : 1;
}

}  // namespace
}  // namespace rtr42::bench

int main(int argc, char** argv) { return rtr42::bench::Main(argc, argv); }
