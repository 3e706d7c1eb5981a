// rtr_soak: keeps many RTR sessions churning against a cache for a bounded
// time, then checks that every live session holds exactly the current set.
//
//   rtr_soak --connect HOST:PORT --sessions 500 --duration 600 --pid PID
//
// Each session connects (RTR version 0, 1 or 2 at random), synchronises with
// a Reset Query, answers each Serial Notify with a Serial Query as a router
// does, and at random moments sends an unprompted Serial Query or hangs up
// and reconnects a little later. Sessions keep an order-independent
// fingerprint of their set (count and sum of VRP hashes), applying every
// announcement and withdrawal.
//
// At the end the churn stops, every session brings itself up to date, and a
// fresh Reset Query gives the reference: each session's serial and
// fingerprint must equal it. With --pid, the cache's resident memory and open
// descriptors are sampled every --sample-interval seconds; after all sessions
// close, its descriptors must be back where they were before the first one
// opened. Exit status 0 only if every check held.
#include <dirent.h>

#include <fstream>
#include <iostream>
#include <random>
#include <thread>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/args.h"
#include "base/file_util.h"
#include "rtr/asio.h"
#include "rtr/client.h"
#include "rtr/pdu.h"

namespace rtr42::bench {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using rtr::AppendResetQuery;
using rtr::AppendSerialQuery;
using rtr::DecodeError;
using rtr::DecodePdu;
using rtr::ErrorCode;
using rtr::FramePdu;
using rtr::Pdu;
using rtr::PduType;

// Count and sum of hashes: adding and removing commute, so any order of
// correct updates ends at the same value, and any wrong one shows.
struct Fingerprint {
  int64_t count = 0;
  uint64_t sum = 0;
  void Apply(const roa::Vrp& vrp, bool announce) {
    uint64_t h = absl::HashOf(vrp);
    count += announce ? 1 : -1;
    sum += announce ? h : -h;
  }
  friend bool operator==(const Fingerprint&, const Fingerprint&) = default;
};

struct Totals {
  uint64_t connects = 0, full_syncs = 0, serial_answers = 0, notifies = 0, cache_resets = 0;
  uint64_t hangups = 0, dropped_by_cache = 0, errors = 0;
};

class SoakSession : public std::enable_shared_from_this<SoakSession> {
 public:
  SoakSession(asio::io_context& io, tcp::endpoint cache, Totals& totals, uint32_t seed)
      : io_(io), cache_(cache), timer_(io), totals_(totals), random_(seed) {}

  // Connects now and churns until StopChurn().
  void Start() { Connect(); }
  // No more random hang-ups or queries; then Settle() brings it up to date.
  void StopChurn() { churning_ = false; }
  void Settle() {
    if (connected_ && synced_ && !in_query_) SendSerialQuery();
  }
  void Close() {
    churning_ = false;
    timer_.cancel();
    Disconnect();
  }

  bool connected() const { return connected_; }
  bool idle_and_synced() const { return connected_ && synced_ && !in_query_; }
  uint32_t serial() const { return serial_; }
  const Fingerprint& fingerprint() const { return fingerprint_; }
  uint8_t version() const { return version_; }

 private:
  // Handlers of an older connection see a different generation and stop.
  void Disconnect() {
    socket_.reset();
    ++generation_;
    connected_ = false;
  }

  void Connect() {
    Disconnect();
    socket_ = std::make_unique<tcp::socket>(io_);
    version_ = std::uniform_int_distribution<int>(0, 2)(random_);
    negotiated_ = false;
    synced_ = in_query_ = false;
    fingerprint_ = {};
    input_.clear();
    socket_->async_connect(cache_, [self = shared_from_this(), g = generation_](auto ec) {
      if (g != self->generation_) return;  // closed meanwhile
      if (ec) return self->Lost("connect: " + ec.message());
      ++self->totals_.connects;
      self->connected_ = true;
      self->Send([&](std::string* out) { AppendResetQuery(out, self->version_); });
      self->in_query_ = true;
      self->Read();
      self->ScheduleChurn();
    });
  }

  void Send(const std::function<void(std::string*)>& build) {
    auto bytes = std::make_shared<std::string>();
    build(bytes.get());
    asio::async_write(*socket_, asio::buffer(*bytes),
                      [self = shared_from_this(), bytes, g = generation_](auto ec, size_t) {
                        if (ec && g == self->generation_) self->Lost("write: " + ec.message());
                      });
  }

  void SendSerialQuery() {
    in_query_ = true;
    Send([&](std::string* out) { AppendSerialQuery(out, version_, session_id_, serial_); });
  }

  void Read() {
    socket_->async_read_some(
        asio::buffer(buffer_), [self = shared_from_this(), g = generation_](auto ec, size_t n) {
          if (g != self->generation_) return;
          if (ec) return self->Lost(ec == asio::error::eof ? "closed by the cache" : ec.message());
          self->input_.append(self->buffer_.data(), n);
          if (self->Consume()) self->Read();
        });
  }

  // Handles every whole PDU in input_; false if the session ended.
  bool Consume() {
    size_t pos = 0;
    while (true) {
      absl::string_view rest(input_.data() + pos, input_.size() - pos);
      std::variant<size_t, DecodeError> framed = FramePdu(rest);
      if (auto* e = std::get_if<DecodeError>(&framed)) return Error(e->message);
      size_t size = std::get<size_t>(framed);
      if (size == 0) break;
      std::variant<Pdu, DecodeError> decoded = DecodePdu(rest.substr(0, size));
      pos += size;
      if (auto* e = std::get_if<DecodeError>(&decoded)) return Error(e->message);
      if (!Handle(std::get<Pdu>(decoded))) return false;
    }
    input_.erase(0, pos);
    return true;
  }

  bool Handle(const Pdu& pdu) {
    if (!negotiated_) {
      // A cache may answer a newer version with an older one (RFC 8210 7).
      if (pdu.type == PduType::kErrorReport &&
          pdu.error_code == ErrorCode::kUnsupportedProtocolVersion && version_ > 0) {
        --version_;
        Send([&](std::string* out) { AppendResetQuery(out, version_); });
        return true;
      }
      negotiated_ = true;
    }
    switch (pdu.type) {
      case PduType::kCacheResponse:
        if (!in_query_) return Error("Cache Response without a query");
        session_id_ = pdu.session_id;
        if (!synced_) fingerprint_ = {};
        return true;
      case PduType::kIpv4Prefix:
      case PduType::kIpv6Prefix:
        fingerprint_.Apply(pdu.vrp, pdu.announce);
        return true;
      case PduType::kAspa:
        return true;  // not part of the fingerprint (dn42 has none)
      case PduType::kEndOfData:
        if (!in_query_) return Error("End of Data without a query");
        ++(synced_ ? totals_.serial_answers : totals_.full_syncs);
        serial_ = pdu.serial;
        synced_ = true;
        in_query_ = false;
        if (notified_serial_ && *notified_serial_ != serial_) SendSerialQuery();
        notified_serial_.reset();
        return true;
      case PduType::kSerialNotify:
        ++totals_.notifies;
        if (!synced_ || in_query_) {
          notified_serial_ = pdu.serial;
        } else if (pdu.serial != serial_) {
          SendSerialQuery();
        }
        return true;
      case PduType::kCacheReset:
        ++totals_.cache_resets;
        synced_ = false;
        fingerprint_ = {};
        in_query_ = true;
        Send([&](std::string* out) { AppendResetQuery(out, version_); });
        return true;
      case PduType::kErrorReport:
        return Error(absl::StrCat("cache sent Error Report ", ErrorCodeName(pdu.error_code), ": ",
                                  pdu.error_text));
      default:
        return Error(absl::StrCat("unexpected ", PduTypeName(pdu.type)));
    }
  }

  // A random action every 1-20 s while churning.
  void ScheduleChurn() {
    if (!churning_) return;
    timer_.expires_after(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(1000, 20000)(random_)));
    timer_.async_wait([self = shared_from_this()](auto ec) {
      if (ec || !self->churning_) return;
      int dice = std::uniform_int_distribution<int>(0, 99)(self->random_);
      if (dice < 30) {  // hang up, come back in 0-2 s
        ++self->totals_.hangups;
        self->Reconnect(std::uniform_int_distribution<int>(0, 2000)(self->random_));
        return;
      }
      if (dice < 70 && self->idle_and_synced()) self->SendSerialQuery();
      self->ScheduleChurn();
    });
  }

  void Reconnect(int delay_ms) {
    Disconnect();
    timer_.expires_after(std::chrono::milliseconds(delay_ms));
    timer_.async_wait([self = shared_from_this()](auto ec) {
      if (!ec) self->Connect();
    });
  }

  void Lost(const std::string& why) {
    ++totals_.dropped_by_cache;
    if (totals_.dropped_by_cache <= 5) std::cerr << "rtr_soak: session lost: " << why << "\n";
    if (churning_) {
      Reconnect(1000);
    } else {
      Disconnect();
    }
  }

  bool Error(const std::string& why) {
    ++totals_.errors;
    if (totals_.errors <= 5) std::cerr << "rtr_soak: protocol error: " << why << "\n";
    Lost(why);
    return false;
  }

  asio::io_context& io_;
  tcp::endpoint cache_;
  std::unique_ptr<tcp::socket> socket_;
  uint64_t generation_ = 0;
  asio::steady_timer timer_;
  Totals& totals_;
  std::mt19937 random_;
  std::array<char, 64 * 1024> buffer_;
  std::string input_;
  uint8_t version_ = 1;
  bool negotiated_ = false;
  bool churning_ = true;
  bool connected_ = false;
  bool synced_ = false;
  bool in_query_ = false;
  uint16_t session_id_ = 0;
  uint32_t serial_ = 0;
  std::optional<uint32_t> notified_serial_;
  Fingerprint fingerprint_;
};

// Resident memory (kB) and open descriptors of a process; -1 if unknown.
struct ProcessSample {
  int64_t rss_kb = -1;
  int64_t fds = -1;
};

ProcessSample SampleProcess(int64_t pid) {
  ProcessSample s;
  if (pid <= 0) return s;
  std::ifstream status(absl::StrFormat("/proc/%d/status", pid));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) s.rss_kb = std::strtoll(line.c_str() + 6, nullptr, 10);
  }
  if (DIR* dir = ::opendir(absl::StrFormat("/proc/%d/fd", pid).c_str())) {
    s.fds = 0;
    while (struct dirent* e = ::readdir(dir)) s.fds += e->d_name[0] != '.';
    ::closedir(dir);
  }
  return s;
}

int Main(int argc, char** argv) {
  Args args("rtr_soak", "Churns RTR sessions against a cache, then checks each holds its set.");
  args.AddOption("connect", "HOST:PORT", "the cache");
  args.AddOption("sessions", "N", "concurrent sessions (default 500)");
  args.AddOption("duration", "SECONDS", "how long to churn (default 600)");
  args.AddOption("pid", "PID", "the cache's process, to sample its memory and descriptors");
  args.AddOption("sample-interval", "SECONDS", "how often to sample and report (default 30)");
  args.AddOption("warmup", "SECONDS",
                 "memory is compared from this point on (default: a third of the duration)");
  args.AddOption("seed", "N", "random seed (default 1)");
  args.AddOption("max-rss-growth", "PERCENT",
                 "fail if the cache's memory grows more than this after warm-up (default 20)");
  if (std::optional<int> exit = args.ParseCommandLine(argc, argv)) return *exit;
  if (!args.Has("connect")) {
    std::cerr << "rtr_soak: --connect HOST:PORT is required\n";
    return 2;
  }
  std::string host, port;
  if (absl::Status s = rtr::SplitHostPort(args.Get("connect"), &host, &port); !s.ok()) {
    std::cerr << s.message() << "\n";
    return 2;
  }
  absl::StatusOr<int64_t> sessions = args.GetInt("sessions", 500, 1, 100000);
  absl::StatusOr<int64_t> duration = args.GetInt("duration", 600, 1, 86400 * 7);
  absl::StatusOr<int64_t> pid = args.GetInt("pid", 0, 0, 1 << 30);
  absl::StatusOr<int64_t> interval = args.GetInt("sample-interval", 30, 1, 3600);
  absl::StatusOr<int64_t> warmup =
      args.GetInt("warmup", duration.ok() ? *duration / 3 : 0, 0, 86400 * 7);
  absl::StatusOr<int64_t> seed = args.GetInt("seed", 1, 0, 1 << 30);
  absl::StatusOr<int64_t> max_growth = args.GetInt("max-rss-growth", 20, 0, 10000);
  for (const auto* v : {&sessions, &duration, &pid, &interval, &warmup, &seed, &max_growth}) {
    if (!v->ok()) {
      std::cerr << v->status().message() << "\n";
      return 2;
    }
  }
  RaiseOpenFileLimit();

  asio::io_context io;
  tcp::resolver resolver(io);
  tcp::endpoint cache = resolver.resolve(host, port).begin()->endpoint();
  Totals totals;
  ProcessSample before = SampleProcess(*pid);
  std::cout << absl::StrFormat("start: %d sessions for %d s; cache RSS %d kB, %d descriptors\n",
                               *sessions, *duration, before.rss_kb, before.fds)
            << std::flush;

  std::vector<std::shared_ptr<SoakSession>> all;
  for (int64_t i = 0; i < *sessions; ++i) {
    all.push_back(std::make_shared<SoakSession>(io, cache, totals, uint32_t(*seed * 100003 + i)));
    all.back()->Start();
  }
  auto start = Clock::now();
  auto seconds_since_start = [&] {
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  ProcessSample at_warmup, peak, last;
  double next_sample = double(*interval);
  while (seconds_since_start() < double(*duration)) {
    io.run_for(std::chrono::milliseconds(200));
    if (seconds_since_start() < next_sample) continue;
    next_sample += double(*interval);
    last = SampleProcess(*pid);
    if (at_warmup.rss_kb < 0 && seconds_since_start() >= double(*warmup)) at_warmup = last;
    peak.rss_kb = std::max(peak.rss_kb, last.rss_kb);
    peak.fds = std::max(peak.fds, last.fds);
    size_t live = 0;
    for (auto& s : all) live += s->connected();
    std::cout << absl::StrFormat(
                     "t=%4.0fs live=%d connects=%d full=%d serial=%d notifies=%d resets=%d "
                     "hangups=%d dropped=%d errors=%d rss=%dkB fds=%d\n",
                     seconds_since_start(), live, totals.connects, totals.full_syncs,
                     totals.serial_answers, totals.notifies, totals.cache_resets, totals.hangups,
                     totals.dropped_by_cache, totals.errors, last.rss_kb, last.fds)
              << std::flush;
  }

  // Settle: no more churn; every session brings itself up to date.
  for (auto& s : all) s->StopChurn();
  io.run_for(std::chrono::seconds(3));
  for (auto& s : all) s->Settle();
  auto settle_deadline = Clock::now() + std::chrono::seconds(30);
  auto all_idle = [&] {
    for (auto& s : all)
      if (s->connected() && !s->idle_and_synced()) return false;
    return true;
  };
  while (Clock::now() < settle_deadline && !all_idle()) io.run_for(std::chrono::milliseconds(100));

  // The reference: a fresh session's full set.
  rtr::RtrClient::Options o{.host = host, .port = port, .version = 1};
  absl::StatusOr<std::unique_ptr<rtr::RtrClient>> reference = rtr::RtrClient::Connect(o);
  if (!reference.ok() || !(*reference)->Reset().ok()) {
    std::cerr << "rtr_soak: reference Reset Query failed\n";
    return 1;
  }
  Fingerprint want;
  roa::VrpSet reference_set = (*reference)->set();
  for (const roa::Vrp& v : reference_set.vrps()) want.Apply(v, true);
  uint32_t want_serial = (*reference)->serial();
  reference->reset();
  size_t live = 0, right = 0;
  for (auto& s : all) {
    if (!s->connected()) continue;
    ++live;
    if (s->idle_and_synced() && s->serial() == want_serial && s->fingerprint() == want) {
      ++right;
    } else if (live - right <= 5) {
      std::cerr << absl::StrFormat(
          "rtr_soak: a v%d session holds serial %d with %d VRPs; the cache serves %d with %d\n",
          s->version(), s->serial(), s->fingerprint().count, want_serial, want.count);
    }
  }
  ProcessSample end_open = SampleProcess(*pid);
  for (auto& s : all) s->Close();
  io.run();  // the aborted handlers; then nothing is left to run
  // Wait (up to 10 s) for the cache to close its side of every session.
  ProcessSample after = SampleProcess(*pid);
  for (int i = 0; i < 50 && *pid > 0 && after.fds > before.fds; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    after = SampleProcess(*pid);
  }

  std::cout << absl::StrFormat(
      "end: %d live sessions, %d hold serial %d with exactly the cache's %d VRPs\n"
      "     %d connects, %d full syncs, %d Serial Query answers, %d Serial Notifies, %d Cache "
      "Resets, %d hang-ups, %d dropped by the cache, %d protocol errors\n",
      live, right, want_serial, want.count, totals.connects, totals.full_syncs,
      totals.serial_answers, totals.notifies, totals.cache_resets, totals.hangups,
      totals.dropped_by_cache, totals.errors);
  bool ok = live == right && live > 0 && totals.errors == 0;
  if (*pid > 0) {
    double growth = at_warmup.rss_kb > 0 ? 100.0 * double(end_open.rss_kb - at_warmup.rss_kb) /
                                               double(at_warmup.rss_kb)
                                         : 0.0;
    std::cout << absl::StrFormat(
        "     cache RSS: %d kB at start, %d kB after warm-up, %d kB peak, %d kB at the end "
        "(%+.1f%% "
        "since warm-up)\n"
        "     cache descriptors: %d before, %d with %d sessions open, %d after they closed\n",
        before.rss_kb, at_warmup.rss_kb, peak.rss_kb, end_open.rss_kb, growth, before.fds,
        end_open.fds, live, after.fds);
    ok = ok && after.fds <= before.fds && growth <= double(*max_growth);
  }
  std::cout << (ok ? "PASS\n" : "FAIL\n");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace rtr42::bench

int main(int argc, char** argv) { return rtr42::bench::Main(argc, argv); }
