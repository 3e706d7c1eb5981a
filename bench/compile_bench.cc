// Compiling the real dn42 registry (../shared/data/dn42-registry-2023H1.bundle)
// from git: a full compile at the last commit, and one incremental commit.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_split.h"
#include "roa/compiler.h"
#include "sources/git_source.h"

namespace rtr42::sources {
namespace {

std::string Capture(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  pclose(pipe);
  return out;
}

// A clone of the bundle (made once per run), or "" when ../shared is absent.
const std::string& Repo() {
  static const std::string repo = []() -> std::string {
    const char* env = std::getenv("RTR42_SHARED_DIR");
    std::string bundle = std::string(env && *env ? env : RTR42_SOURCE_DIR "/../shared") +
                         "/data/dn42-registry-2023H1.bundle";
    if (!std::filesystem::exists(bundle)) return "";
    std::string dir = std::filesystem::temp_directory_path().string() + "/rtr42-bench-registry";
    std::filesystem::remove_all(dir);
    if (std::system(("git clone -q --bare " + bundle + " " + dir).c_str()) != 0) return "";
    return dir;
  }();
  return repo;
}

std::vector<std::string> Commits() {
  return absl::StrSplit(Capture("git -C " + Repo() + " rev-list --reverse HEAD"), '\n',
                        absl::SkipEmpty());
}

void BM_FullCompileFromGit(benchmark::State& state) {
  if (Repo().empty())
    return state.SkipWithError("../shared/data/dn42-registry-2023H1.bundle is absent");
  size_t vrps = 0, objects = 0;
  for (auto _ : state) {
    auto source = sources::GitSource::Open({.location = Repo()});
    auto delta = (*source)->Poll();
    roa::RegistryCompiler compiler;
    if (!delta.ok() || !compiler.Apply(**delta).ok()) return state.SkipWithError("compile failed");
    roa::VrpSet set = compiler.BuildSet();
    vrps = set.size();
    objects = compiler.object_count();
    benchmark::DoNotOptimize(set);
  }
  state.counters["objects"] = static_cast<double>(objects);
  state.counters["vrps"] = static_cast<double>(vrps);
}
BENCHMARK(BM_FullCompileFromGit)->Unit(benchmark::kMillisecond);

// Each iteration applies the next real commit of the history (diffing two
// trees, reading the changed blobs, re-parsing them, rebuilding the set).
void BM_IncrementalCommitFromGit(benchmark::State& state) {
  if (Repo().empty())
    return state.SkipWithError("../shared/data/dn42-registry-2023H1.bundle is absent");
  std::vector<std::string> commits = Commits();
  auto source = sources::GitSource::Open({.location = Repo()});
  roa::RegistryCompiler compiler;
  size_t i = 0, files = 0;
  auto restart = [&] {
    compiler = roa::RegistryCompiler();
    (void)compiler.Apply(*(*source)->DeltaBetween("", commits[0]));
    i = 1;
  };
  restart();
  for (auto _ : state) {
    if (i == commits.size()) {
      state.PauseTiming();
      restart();
      state.ResumeTiming();
    }
    auto delta = (*source)->DeltaBetween(commits[i - 1], commits[i]);
    if (!delta.ok() || !compiler.Apply(*delta).ok()) return state.SkipWithError("apply failed");
    files += delta->changes.size();
    roa::VrpSet set = compiler.BuildSet();
    benchmark::DoNotOptimize(set);
    ++i;
  }
  state.counters["changed_files_per_commit"] =
      benchmark::Counter(static_cast<double>(files), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_IncrementalCommitFromGit)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace rtr42::sources

BENCHMARK_MAIN();
