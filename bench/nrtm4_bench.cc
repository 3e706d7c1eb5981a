// NRTMv4 with the real dn42 registry (../shared/data/dn42-registry-2023H1.bundle):
// loading the full snapshot into the mirror client and compiling it, and
// applying one delta (a day of merges) on top, both from local feed files
// written once by the publisher (the HTTPS transfer is not measured).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "base/file_util.h"
#include "base/log.h"
#include "nrtm4/mirror_source.h"
#include "nrtm4/publisher.h"
#include "nrtm4/signature.h"
#include "roa/compiler.h"

namespace rtr42::nrtm4 {
namespace {

namespace fs = std::filesystem;

struct Feed {
  std::string dir;  // "" when ../shared is absent
  size_t delta_changes = 0;
};

// Clones the bundle, publishes it 20 first-parent commits back, then at the
// newest commit (one delta), and takes the mirror state after the snapshot.
const Feed& TheFeed() {
  static const Feed feed = []() -> Feed {
    const char* env = std::getenv("RTR42_SHARED_DIR");
    std::string bundle = std::string(env && *env ? env : RTR42_SOURCE_DIR "/../shared") +
                         "/data/dn42-registry-2023H1.bundle";
    if (!fs::exists(bundle)) return {};
    std::string dir = fs::temp_directory_path().string() + "/rtr42-bench-nrtm4";
    fs::remove_all(dir);
    fs::create_directories(dir);
    if (std::system(("git clone -q --bare " + bundle + " " + dir + "/reg").c_str()) != 0) return {};
    nrtm4::KeyPair keys = *nrtm4::GenerateP256KeyPair();
    (void)WriteFileAtomically(dir + "/k.key", keys.private_pem);
    (void)WriteFileAtomically(dir + "/k.pub", keys.public_pem);
    PublishOptions o;
    o.registry = dir + "/reg";
    o.feed_dir = dir + "/feed";
    o.private_key_file = dir + "/k.key";
    o.ref = "HEAD~20";
    if (!PublishNrtm4(o).ok()) return {};
    // The mirror state right after the snapshot.
    MirrorOptions c;
    c.url = dir + "/feed/update-notification-file.jose";
    c.source = "DN42";
    c.key_file = dir + "/k.pub";
    c.state_dir = dir + "/after-snapshot";
    auto source = MirrorSource::Open(c);
    if (!source.ok() || !(*source)->Poll().ok()) return {};
    (*source)->Confirm();
    std::string notification = dir + "/feed/update-notification-file.jose";
    fs::copy_file(notification, dir + "/v1.jose");
    o.ref = "HEAD";
    auto r = PublishNrtm4(o);
    if (!r.ok()) return {};
    fs::copy_file(notification, dir + "/v2.jose");
    return Feed{dir, r->changes};
  }();
  return feed;
}

absl::StatusOr<std::unique_ptr<MirrorSource>> Client(const std::string& state_dir) {
  MirrorOptions c;
  c.url = TheFeed().dir + "/feed/update-notification-file.jose";
  c.source = "DN42";
  c.key_file = TheFeed().dir + "/k.pub";
  c.state_dir = state_dir;
  return MirrorSource::Open(c);
}

void BM_SnapshotLoadAndCompile(benchmark::State& state) {
  if (TheFeed().dir.empty()) return state.SkipWithError("../shared registry bundle is absent");
  size_t vrps = 0;
  std::string dir = TheFeed().dir + "/fresh";
  for (auto _ : state) {
    state.PauseTiming();
    fs::remove_all(dir);
    state.ResumeTiming();
    auto source = Client(dir);
    auto delta = (*source)->Poll();
    roa::RegistryCompiler compiler;
    if (!delta.ok() || !compiler.Apply(**delta).ok()) return state.SkipWithError("load failed");
    (*source)->Confirm();
    vrps = compiler.BuildSet().size();
  }
  state.counters["vrps"] = static_cast<double>(vrps);
}
BENCHMARK(BM_SnapshotLoadAndCompile)->Unit(benchmark::kMillisecond);

void BM_DeltaApply(benchmark::State& state) {
  if (TheFeed().dir.empty()) return state.SkipWithError("../shared registry bundle is absent");
  const std::string& feed = TheFeed().dir;
  std::string dir = feed + "/delta";
  std::string notification = feed + "/feed/update-notification-file.jose";
  for (auto _ : state) {
    // A daemon that holds snapshot version 1 in its compiler...
    state.PauseTiming();
    fs::remove_all(dir);
    fs::copy(feed + "/after-snapshot", dir);
    fs::copy_file(feed + "/v1.jose", notification, fs::copy_options::overwrite_existing);
    auto source = Client(dir);
    auto full = (*source)->Poll();
    roa::RegistryCompiler compiler;
    if (!full.ok() || !compiler.Apply(**full).ok()) return state.SkipWithError("setup failed");
    (*source)->Confirm();
    fs::copy_file(feed + "/v2.jose", notification, fs::copy_options::overwrite_existing);
    state.ResumeTiming();
    // ...fetches version 2, applies the delta and builds the new set.
    auto delta = (*source)->Poll();
    if (!delta.ok() || !delta->has_value() || (*delta)->full || !compiler.Apply(**delta).ok())
      return state.SkipWithError("delta failed");
    (*source)->Confirm();
    benchmark::DoNotOptimize(compiler.BuildSet());
  }
  state.counters["delta_changes"] = static_cast<double>(TheFeed().delta_changes);
}
BENCHMARK(BM_DeltaApply)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace rtr42::nrtm4

int main(int argc, char** argv) {
  rtr42::SetLogLevel(rtr42::LogLevel::kError);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
