// Serial Notify fan-out: the time from Server::Publish() until every one of
// N synchronised sessions has received its Serial Notify, over TCP on
// 127.0.0.1. The sessions are plain sockets read with epoll on the benchmark
// thread; the server runs on two network threads, as rtr42d does by default.
#include <benchmark/benchmark.h>
#include <sys/epoll.h>

#include <thread>

#include "base/file_util.h"
#include "base/log.h"
#include "rtr/server.h"

namespace rtr42::rtr {
namespace {

roa::Vrp Vrp(uint32_t i) {
  uint8_t b[4] = {10, uint8_t(i >> 8), uint8_t(i), 0};
  return roa::Vrp{*roa::Prefix::FromBytes(roa::Family::kIpv4, b, 24), 24, 64512};
}

// Reads from every socket until each has `bytes` more bytes.
void DrainAll(int epoll_fd, const std::vector<int>& fds, size_t bytes) {
  std::vector<size_t> got(fds.size(), 0);
  size_t complete = 0;
  std::vector<epoll_event> events(256);
  char buf[65536];
  while (complete < fds.size()) {
    int n = epoll_wait(epoll_fd, events.data(), static_cast<int>(events.size()), 5000);
    if (n <= 0) return;
    for (int e = 0; e < n; ++e) {
      size_t i = events[e].data.u32;
      ssize_t r = read(fds[i], buf, sizeof(buf));
      if (r <= 0) continue;
      bool was_short = got[i] < bytes;
      got[i] += static_cast<size_t>(r);
      if (was_short && got[i] >= bytes) ++complete;
    }
  }
}

void BM_SerialNotifyFanOut(benchmark::State& state) {
  RaiseOpenFileLimit();
  SetLogLevel(LogLevel::kWarning);
  const size_t sessions = static_cast<size_t>(state.range(0));
  asio::io_context io;
  ServerOptions options{.listen = {tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)},
                        .max_connections = sessions + 10};
  // The fan-out itself is measured: every iteration is a new serial, so the
  // once-a-minute pacing of a real daemon (NotifyPacer) is turned off here.
  options.notify_interval = absl::ZeroDuration();
  Server server(io, options);
  if (!server.Start().ok()) return state.SkipWithError("listen failed");
  auto work = asio::make_work_guard(io);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) threads.emplace_back([&io] { io.run(); });

  rtr::History history(1);
  uint32_t next = 0;
  auto publish = [&] {
    std::vector<roa::Vrp> v = {Vrp(next++)};
    server.Publish(history.Commit(std::make_shared<const roa::VrpSet>(std::move(v)), ""));
  };
  publish();

  // Connect and synchronise every session (Reset Query -> 8 + 20 + 24 bytes).
  int epoll_fd = epoll_create1(0);
  std::vector<int> fds;
  uint16_t port = server.bound_endpoints()[0].port();
  const char reset[8] = {1, 2, 0, 0, 0, 0, 0, 8};
  for (size_t i = 0; i < sessions; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        write(fd, reset, sizeof(reset)) != 8) {
      return state.SkipWithError("connect failed (open file limit?)");
    }
    epoll_event ev{EPOLLIN, {.u32 = static_cast<uint32_t>(i)}};
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
    fds.push_back(fd);
  }
  DrainAll(epoll_fd, fds, 8 + 20 + 24);

  for (auto _ : state) {
    publish();
    DrainAll(epoll_fd, fds, 12);  // one Serial Notify each
  }
  state.counters["sessions"] = static_cast<double>(server.session_count());
  state.counters["notifies"] = static_cast<double>(server.stats().notifies_sent.load());
  for (int fd : fds) close(fd);
  close(epoll_fd);
  server.Stop();
  work.reset();
  io.stop();
  for (auto& t : threads) t.join();
}
BENCHMARK(BM_SerialNotifyFanOut)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace rtr42::rtr

BENCHMARK_MAIN();
