// nrtm4_irr: the NRTMv4 mirror at IRR scale (bench/nrtm4_irr.sh runs it).
//
//   nrtm4_irr generate FEED_DIR [OBJECTS ROUTES]
//       a synthetic IRR feed (source IRRBENCH): a gzip snapshot of OBJECTS
//       objects (default 4,000,000), ROUTES of them route/route6 (default
//       500,000; a fifth route6), the rest aut-num, mntner, person, inetnum
//       and inet6num; signed by FEED_DIR.key, whose public key is
//       FEED_DIR.pub.
//   nrtm4_irr delta FEED_DIR
//       appends the next delta: 1,000 route changes (500 objects edited, 250
//       new routes, 250 deleted), and re-signs the notification.
//   nrtm4_irr mirror URL FEED_DIR STATE_DIR CA_FILE DELTAS
//       mirrors URL into a fresh STATE_DIR and compiles it (the initial
//       mirror: time, peak RSS), then DELTAS times runs `delta` in a child
//       process and times poll + compile + confirm, with the RSS after each.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/file_util.h"
#include "base/log.h"
#include "nrtm4/files.h"
#include "nrtm4/mirror_source.h"
#include "nrtm4/signature.h"
#include "roa/compiler.h"

namespace rtr42::nrtm4 {
namespace {

namespace fs = std::filesystem;
constexpr char kSource[] = "IRRBENCH";
constexpr uint64_t kBaseRoutes = 500'000;  // generate's default, and what deltas touch

// The route object number `i`: IPv4 /24s from 1.0.0.0 for four in five,
// else IPv6 /48s under 2a00::/12.
std::string RouteObject(uint64_t i, uint64_t origin, uint64_t revision = 0) {
  std::string prefix, cls;
  if (i % 5 != 4) {
    uint64_t n = i - i / 5;  // the n-th IPv4 one
    cls = "route";
    prefix = absl::StrFormat("%d.%d.%d.0/24", 1 + (n >> 16) % 222, (n >> 8) & 255, n & 255);
  } else {
    uint64_t n = i / 5;
    cls = "route6";
    prefix = absl::StrFormat("2a00:%x:%x::/48", (n >> 16) & 0xfff, n & 0xffff);
  }
  return absl::StrCat(
      cls, ":", std::string(16 - cls.size() - 1, ' '), prefix,
      absl::StrFormat("\ndescr:          synthetic route %d revision %d\norigin:         AS%d\n"
                      "mnt-by:         MAINT-AS%d\ncreated:        2020-01-01T00:00:00Z\n"
                      "last-modified:  2026-01-01T00:00:00Z\nsource:         %s\n",
                      i, revision, origin, 64512 + i % 1000, kSource));
}

std::string OtherObject(uint64_t i) {
  switch (i % 5) {
    case 0:
      return absl::StrFormat(
          "aut-num:        AS%d\nas-name:        SYNTHETIC-%d\ndescr:          Synthetic AS\n"
          "import:         from AS%d accept ANY\nexport:         to AS%d announce AS%d\n"
          "admin-c:        P%d-BENCH\ntech-c:         P%d-BENCH\nmnt-by:         MAINT-AS%d\n"
          "source:         %s\n",
          100000 + i, i, 100001 + i, 100001 + i, 100000 + i, i, i, i, kSource);
    case 1:
      return absl::StrFormat(
          "mntner:         MAINT-X%d\ndescr:          synthetic maintainer\n"
          "admin-c:        P%d-BENCH\nupd-to:         noc@example.net\nauth:           "
          "PGPKEY-%08X\nmnt-by:         MAINT-X%d\nsource:         %s\n",
          i, i, static_cast<uint32_t>(i * 2654435761u), i, kSource);
    case 2:
      return absl::StrFormat(
          "person:         Synthetic Person %d\naddress:        Example Street %d\n"
          "phone:          +1 555 %07d\nnic-hdl:        P%d-BENCH\nmnt-by:         MAINT-X%d\n"
          "source:         %s\n",
          i, i % 997, i % 10000000, i, i, kSource);
    case 3:
      return absl::StrFormat(
          "inetnum:        100.%d.%d.0 - 100.%d.%d.255\nnetname:        NET-%d\n"
          "country:        NL\nadmin-c:        P%d-BENCH\nstatus:         ASSIGNED PA\n"
          "mnt-by:         MAINT-X%d\nsource:         %s\n",
          (i >> 8) & 255, i & 255, (i >> 8) & 255, i & 255, i, i, i, kSource);
    default:
      return absl::StrFormat(
          "inet6num:       2001:db8:%x::/48\nnetname:        NET6-%d\ncountry:        DE\n"
          "admin-c:        P%d-BENCH\nstatus:         ASSIGNED\nmnt-by:         MAINT-X%d\n"
          "source:         %s\n",
          i & 0xffff, i, i, i, kSource);
  }
}

std::string NotificationPath(const std::string& feed) {
  return feed + "/update-notification-file.jose";
}

absl::Status Sign(const std::string& feed, const Notification& n) {
  absl::StatusOr<std::string> key = ReadFile(feed + ".key");
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> jws = JwsSign(FormatNotification(n), *key);
  if (!jws.ok()) return jws.status();
  return WriteFileAtomically(NotificationPath(feed), *jws);
}

absl::Status Generate(const std::string& feed, uint64_t objects, uint64_t routes) {
  fs::remove_all(feed);
  KeyPair keys = *GenerateP256KeyPair();
  WriteFileAtomically(feed + ".key", keys.private_pem).IgnoreError();
  WriteFileAtomically(feed + ".pub", keys.public_pem).IgnoreError();
  Notification n;
  n.source = kSource;
  n.session_id = NewUuidV4();
  n.version = 1;
  n.timestamp = absl::Now();
  n.snapshot.version = 1;
  n.snapshot.url = absl::StrCat(n.session_id, "/nrtm-snapshot.1.json.gz");
  fs::create_directories(feed + "/" + n.session_id);
  std::string path = feed + "/" + n.snapshot.url;
  absl::StatusOr<std::unique_ptr<RecordWriter>> w = RecordWriter::Open(path, true);
  if (!w.ok()) return w.status();
  if (absl::Status s = (*w)->Write(MakeHeader("snapshot", n, 1)); !s.ok()) return s;
  // Route objects spread evenly through the other classes.
  uint64_t route = 0, other = 0;
  for (uint64_t i = 0; i < objects; ++i) {
    bool is_route = route < routes && route * objects <= i * routes;
    std::string text =
        is_route ? RouteObject(route, 4200000000u + route % 50000) : OtherObject(other);
    (is_route ? route : other)++;
    if (absl::Status s = (*w)->Write(nlohmann::json{{"object", text}}); !s.ok()) return s;
    if ((i + 1) % 1'000'000 == 0) std::fprintf(stderr, "generate: %lu objects\n", i + 1);
  }
  if (absl::Status s = (*w)->Close(); !s.ok()) return s;
  absl::StatusOr<std::string> hash = Sha256File(path);
  if (!hash.ok()) return hash.status();
  n.snapshot.hash = *hash;
  std::fprintf(stderr, "generate: %lu objects (%lu route/route6), snapshot %s, %.1f MB\n", objects,
               routes, path.c_str(), fs::file_size(path) / 1e6);
  return Sign(feed, n);
}

absl::Status AppendDelta(const std::string& feed) {
  absl::StatusOr<std::string> jws = ReadFile(NotificationPath(feed));
  absl::StatusOr<std::string> pub = ReadFile(feed + ".pub");
  if (!jws.ok() || !pub.ok()) return absl::NotFoundError(feed + ": no feed (run generate)");
  absl::StatusOr<std::string> payload = JwsVerify(*jws, *pub);
  if (!payload.ok()) return payload.status();
  absl::StatusOr<Notification> parsed = ParseNotification(*payload);
  if (!parsed.ok()) return parsed.status();
  Notification n = *parsed;
  uint64_t v = n.version + 1, k = v - 1;  // delta k of the run
  std::string url = absl::StrCat(n.session_id, "/nrtm-delta.", v, ".json.gz");
  std::string path = feed + "/" + url;
  absl::StatusOr<std::unique_ptr<RecordWriter>> w = RecordWriter::Open(path, true);
  if (!w.ok()) return w.status();
  if (absl::Status s = (*w)->Write(MakeHeader("delta", n, v)); !s.ok()) return s;
  auto add = [&](uint64_t i, uint64_t origin, uint64_t revision) {
    return (*w)->Write({{"action", "add_modify"}, {"object", RouteObject(i, origin, revision)}});
  };
  for (uint64_t j = 0; j < 500; ++j) {  // existing routes edited (same key)
    uint64_t i = (k * 500 + j) % (kBaseRoutes / 2);
    if (absl::Status s = add(i, 4200000000u + i % 50000, k); !s.ok()) return s;
  }
  for (uint64_t j = 0; j < 250; ++j) {  // new routes ...
    if (absl::Status s = add(10'000'000 + k * 250 + j, 4100000000u, 0); !s.ok()) return s;
  }
  for (uint64_t j = 0; j < 250; ++j) {  // ... and those of the delta before go
    uint64_t i = k == 1 ? kBaseRoutes - 1 - j : 10'000'000 + (k - 1) * 250 + j;
    absl::StatusOr<ObjectKey> key =
        KeyOf(RouteObject(i, k == 1 ? 4200000000u + i % 50000 : 4100000000u));
    if (!key.ok()) return key.status();
    if (absl::Status s = (*w)->Write({{"action", "delete"},
                                      {"object_class", key->object_class},
                                      {"primary_key", key->primary_key}});
        !s.ok())
      return s;
  }
  if (absl::Status s = (*w)->Close(); !s.ok()) return s;
  absl::StatusOr<std::string> hash = Sha256File(path);
  if (!hash.ok()) return hash.status();
  n.deltas.push_back({v, url, *hash});
  n.version = v;
  n.timestamp = absl::Now();
  return Sign(feed, n);
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}
double PeakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;
}
double RssMb() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1048576.0);
}

// Milliseconds spent in each step of one sync.
struct Steps {
  double poll = 0, apply = 0, build = 0, confirm = 0;
  double total() const { return poll + apply + build + confirm; }
};

// One poll through the compiler, as rtr42d's source loop does it.
absl::StatusOr<size_t> Sync(MirrorSource& mirror, roa::RegistryCompiler& compiler, size_t* changes,
                            Steps* steps) {
  auto t = std::chrono::steady_clock::now();
  auto lap = [&t](double* into) {
    *into = Seconds(t) * 1000;
    t = std::chrono::steady_clock::now();
  };
  absl::StatusOr<std::optional<sources::RegistryDelta>> d = mirror.Poll();
  if (!d.ok()) return d.status();
  if (!d->has_value()) return absl::FailedPreconditionError("nothing new");
  *changes = (*d)->changes.size();
  lap(&steps->poll);
  if (absl::Status s = compiler.Apply(std::move(**d)); !s.ok()) return s;
  d->reset();  // the delta's memory goes before the set is built
  lap(&steps->apply);
  size_t vrps = compiler.BuildSet().size();
  lap(&steps->build);
  mirror.Confirm();
  lap(&steps->confirm);
  return vrps;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int Mirror(const char* self, const std::string& url, const std::string& feed,
           const std::string& state, const std::string& ca, int deltas) {
  fs::remove_all(state);
  MirrorOptions o;
  o.url = url;
  o.source = kSource;
  o.key_file = feed + ".pub";
  o.ca_file = ca;
  o.state_dir = state;
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<MirrorSource>> mirror = MirrorSource::Open(o);
  if (!mirror.ok()) {
    std::fprintf(stderr, "nrtm4_irr: %s\n", std::string(mirror.status().message()).c_str());
    return 1;
  }
  roa::RegistryCompiler compiler;
  size_t changes = 0;
  Steps steps;
  absl::StatusOr<size_t> vrps = Sync(**mirror, compiler, &changes, &steps);
  if (!vrps.ok()) {
    std::fprintf(stderr, "nrtm4_irr: %s\n", std::string(vrps.status().message()).c_str());
    return 1;
  }
  std::printf(
      "initial mirror: %lu route objects, %lu VRPs in %.1f s (download, check and store %.1f s, "
      "compile %.1f s, build the set %.2f s, commit %.2f s), peak RSS %.0f MB (RSS now %.0f "
      "MB), database %.0f MB\n",
      (*mirror)->object_count(), *vrps, Seconds(start), steps.poll / 1000, steps.apply / 1000,
      steps.build / 1000, steps.confirm / 1000, PeakRssMb(), RssMb(),
      fs::file_size(state + "/" + kMirrorDatabase) / 1e6);
  std::fflush(stdout);
  std::vector<double> times, polls, applies, builds, confirms;
  std::vector<double> rss;
  for (int i = 0; i < deltas; ++i) {
    if (std::system(absl::StrCat(self, " delta ", feed).c_str()) != 0) return 1;
    auto t = std::chrono::steady_clock::now();
    vrps = Sync(**mirror, compiler, &changes, &steps);
    if (!vrps.ok()) {
      std::fprintf(stderr, "nrtm4_irr: delta %d: %s\n", i + 1,
                   std::string(vrps.status().message()).c_str());
      return 1;
    }
    times.push_back(Seconds(t) * 1000);
    if (times.back() > 100) {
      std::printf("  delta %d took %.1f ms: poll %.1f, compile %.1f, build %.1f, commit %.1f\n",
                  i + 1, times.back(), steps.poll, steps.apply, steps.build, steps.confirm);
    }
    polls.push_back(steps.poll);
    applies.push_back(steps.apply);
    builds.push_back(steps.build);
    confirms.push_back(steps.confirm);
    rss.push_back(RssMb());
  }
  if (times.empty()) return 0;
  std::vector<double> sorted = times;
  std::sort(sorted.begin(), sorted.end());
  std::printf(
      "%d deltas of 1000 changes (%lu to the compiler each): poll + compile + confirm "
      "median %.1f ms, p90 %.1f ms, max %.1f ms; RSS after delta 1 %.0f MB, after "
      "delta %d %.0f MB; %lu VRPs, version %lu\n",
      deltas, changes, sorted[sorted.size() / 2], sorted[sorted.size() * 9 / 10], sorted.back(),
      rss.front(), deltas, rss.back(), *vrps, (*mirror)->version());
  std::printf(
      "  median by step: poll (HTTPS, verify, SQLite) %.1f ms, compile %.1f ms, build the set "
      "%.1f ms, commit %.1f ms\n",
      Median(polls), Median(applies), Median(builds), Median(confirms));
  // A restart: the confirmed state is read back and handed over once.
  mirror->reset();
  start = std::chrono::steady_clock::now();
  mirror = MirrorSource::Open(o);
  roa::RegistryCompiler again;
  if (!mirror.ok()) return 1;
  vrps = Sync(**mirror, again, &changes, &steps);
  if (!vrps.ok()) return 1;
  std::printf("restart: resumed at version %lu, %lu VRPs in %.1f s\n", (*mirror)->version(), *vrps,
              Seconds(start));
  return 0;
}

int Main(int argc, char** argv) {
  SetLogLevel(LogLevel::kWarning);
  std::string mode = argc > 1 ? argv[1] : "";
  absl::Status s;
  if (mode == "generate" && argc >= 3) {
    uint64_t objects = 4'000'000, routes = kBaseRoutes;
    if (argc >= 5 &&
        (!absl::SimpleAtoi(argv[3], &objects) || !absl::SimpleAtoi(argv[4], &routes))) {
      return 2;
    }
    s = Generate(argv[2], objects, routes);
  } else if (mode == "delta" && argc == 3) {
    s = AppendDelta(argv[2]);
  } else if (mode == "mirror" && argc == 7) {
    return Mirror(argv[0], argv[2], argv[3], argv[4], argv[5], std::atoi(argv[6]));
  } else {
    std::fprintf(stderr, "usage: see bench/nrtm4_irr.cc\n");
    return 2;
  }
  if (!s.ok()) std::fprintf(stderr, "nrtm4_irr: %s\n", std::string(s.message()).c_str());
  return s.ok() ? 0 : 1;
}

}  // namespace
}  // namespace rtr42::nrtm4

int main(int argc, char** argv) { return rtr42::nrtm4::Main(argc, argv); }
