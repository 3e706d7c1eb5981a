// The costs behind a new serial with an Internet-sized set: sorting a
// VrpSet, diffing two sets, encoding the full set as PDUs, reading a VRP JSON
// file, and saving and loading the --state-dir file.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include "bench/vrp_gen.h"
#include "roa/vrp_format.h"
#include "rtr/payload.h"
#include "rtr/state_file.h"

namespace rtr42::bench {
namespace {

const std::vector<roa::Vrp>& Vrps(size_t n) {
  static std::map<size_t, std::vector<roa::Vrp>> cache;
  auto it = cache.find(n);
  if (it == cache.end()) it = cache.emplace(n, GenerateVrps(n)).first;
  return it->second;
}

void BM_BuildVrpSet(benchmark::State& state) {
  const auto& vrps = Vrps(state.range(0));
  for (auto _ : state) {
    roa::VrpSet set(vrps);
    benchmark::DoNotOptimize(set);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_BuildVrpSet)->Arg(1000000)->Unit(benchmark::kMillisecond);

void BM_DiffOnePercent(benchmark::State& state) {
  roa::VrpSet a(Vrps(state.range(0)));
  std::vector<roa::Vrp> changed = Vrps(state.range(0));
  for (size_t i = 0; i < changed.size(); i += 100) changed[i].asn += 1;
  roa::VrpSet b(std::move(changed));
  for (auto _ : state) {
    roa::VrpDiff d = roa::Diff(a, b);
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_DiffOnePercent)->Arg(1000000)->Unit(benchmark::kMillisecond);

void BM_EncodeFullSet(benchmark::State& state) {
  auto set = std::make_shared<const roa::VrpSet>(Vrps(state.range(0)));
  rtr::History history(1);
  auto update = history.Commit(set, "");
  size_t bytes = 0;
  for (auto _ : state) {
    rtr::EncodedUpdate encoded(update, rtr::Timers{});
    bytes = rtr::ResponseSize(encoded.FullResponse(1));
  }
  state.SetBytesProcessed(state.iterations() * bytes);
  state.counters["payload_MB"] = bytes / 1e6;
}
BENCHMARK(BM_EncodeFullSet)->Arg(1000000)->Unit(benchmark::kMillisecond);

void BM_ParseVrpJson(benchmark::State& state) {
  roa::VrpSet set(Vrps(state.range(0)));
  std::string json = roa::FormatVrps(set, roa::OutputFormat::kJson, {});
  for (auto _ : state) {
    auto parsed = roa::ParseVrpJson(json);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetBytesProcessed(state.iterations() * json.size());
}
BENCHMARK(BM_ParseVrpJson)->Arg(1000000)->Unit(benchmark::kMillisecond);

// A set with 100 retained serials of 1% changes each, as rtr42d saves it.
std::shared_ptr<const rtr::Update> UpdateWithHistory(size_t n) {
  static rtr::History* history = [n] {
    auto* h = new rtr::History(1);
    std::vector<roa::Vrp> vrps = Vrps(n);
    h->Commit(std::make_shared<const roa::VrpSet>(vrps), "0");
    for (int step = 1; step <= 100; ++step) {
      for (size_t i = step; i < vrps.size(); i += 100) vrps[i].asn += 1;
      h->Commit(std::make_shared<const roa::VrpSet>(vrps), std::to_string(step));
    }
    return h;
  }();
  return history->current();
}

// Encode, write, fsync, rename (the disk is this machine's).
void BM_SaveStateFile(benchmark::State& state) {
  auto update = UpdateWithHistory(state.range(0));
  std::string path = "/tmp/rtr42-bench-state-" + std::to_string(::getpid());
  for (auto _ : state) {
    absl::Status s = rtr::SaveStateFile(*update, path);
    if (!s.ok()) state.SkipWithError(std::string(s.message()).c_str());
  }
  state.counters["file_MB"] = rtr::EncodeStateFile(*update).size() / 1e6;
  ::unlink(path.c_str());
}
BENCHMARK(BM_SaveStateFile)->Arg(1000000)->Unit(benchmark::kMillisecond);

void BM_LoadStateFile(benchmark::State& state) {
  std::string bytes = rtr::EncodeStateFile(*UpdateWithHistory(state.range(0)));
  for (auto _ : state) {
    auto loaded = rtr::DecodeStateFile(bytes, "bench");
    if (!loaded.ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(loaded);
  }
}
BENCHMARK(BM_LoadStateFile)->Arg(1000000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace rtr42::bench

BENCHMARK_MAIN();
