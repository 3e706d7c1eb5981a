// bird-rpki-lint on a large configuration: about 100,000 lines of filters,
// functions and protocols in the shapes real dn42 configurations use; and
// one filter of 40 sequential roa_check branches (path explosion bound).
#include <benchmark/benchmark.h>

#include "absl/strings/str_cat.h"
#include "lint/analyzer.h"
#include "lint/parser.h"
#include "lint/token.h"

namespace rtr42::lint {
namespace {

std::string LargeConfig(int peers) {
  std::string s =
      "router id 192.0.2.1;\nroa4 table dn42_roa;\nroa6 table dn42_roa_v6;\ndefine OWNAS = "
      "4242420000;\n";
  s += R"(
function dn42_valid() {
  return net ~ [ 172.20.0.0/14{21,29}, 172.20.0.0/24{28,32}, 10.0.0.0/8{15,24} ];
}
function update_latency(int link_latency) {
  bgp_community.add((64511, link_latency));
  if (64511, 9) ~ bgp_community then { bgp_community.delete([(64511, 1..8)]); return 9; }
  return link_latency;
}
)";
  for (int i = 0; i < peers; ++i) {
    absl::StrAppend(&s, "\nfilter peer", i, "_in\nint lat;\n{\n",
                    "  if !dn42_valid() then reject;\n",
                    "  if roa_check(dn42_roa, net, bgp_path.last) = ROA_INVALID then {\n",
                    "    print \"invalid from peer", i, ": \", net;\n    reject;\n  }\n",
                    "  case roa_check(dn42_roa, net, bgp_path.last) {\n",
                    "    ROA_VALID: bgp_local_pref = 200;\n    else: bgp_local_pref = 100;\n  }\n",
                    "  lat = update_latency(", i % 9 + 1, ");\n",
                    "  if bgp_path.len > 5 then bgp_large_community.add((OWNAS, 1, ", i, "));\n",
                    "  if roa_check(dn42_roa, net, bgp_path.last) = ROA_UNKNOWN then\n",
                    "    bgp_community.add((64512, ", i % 100, "));\n", "  accept;\n}\n",
                    "protocol bgp peer", i, " {\n  local as OWNAS;\n  neighbor 172.20.", i / 250,
                    ".", i % 250, " as ", 4242420000 + i, ";\n  ipv4 {\n    import filter peer", i,
                    "_in;\n", "    export where source = RTS_BGP;\n  };\n}\n");
  }
  return s;
}

void BM_Lint100kLines(benchmark::State& state) {
  std::string text = LargeConfig(static_cast<int>(state.range(0)));
  size_t lines = std::count(text.begin(), text.end(), '\n');
  size_t findings = 0;
  for (auto _ : state) {
    auto tokens = TokenizeText("large.conf", text);
    auto config = Parse(*tokens);
    if (!config.ok()) return state.SkipWithError(std::string(config.status().message()).c_str());
    Analysis a = Analyze(*config, *tokens);
    findings = a.findings.size();
  }
  state.counters["lines"] = static_cast<double>(lines);
  state.counters["findings"] = static_cast<double>(findings);
}
BENCHMARK(BM_Lint100kLines)->Arg(4000)->Unit(benchmark::kMillisecond);

// One filter with N sequential roa_check branches, each tagging differently
// and some rejecting: without merging equivalent paths this explodes.
void BM_SequentialRoaChecks(benchmark::State& state) {
  std::string text = "roa4 table r4;\nfilter many {\n";
  for (int i = 0; i < state.range(0); ++i) {
    const char* checked = i % 3 == 0 ? "ROA_VALID" : i % 3 == 1 ? "ROA_UNKNOWN" : "ROA_INVALID";
    absl::StrAppend(&text, "  if roa_check(r4, net, bgp_path.last) = ", checked,
                    " then bgp_large_community.add((64500, 1, ", i, "));\n", "  if bgp_path.len > ",
                    i, " then bgp_community.add((64500, ", i, "));\n");
    if (i % 10 == 9) absl::StrAppend(&text, "  if roa_check(r4) = ROA_INVALID then reject;\n");
  }
  text += "  accept;\n}\n";
  size_t findings = 0;
  for (auto _ : state) {
    auto tokens = TokenizeText("many.conf", text);
    auto config = Parse(*tokens);
    if (!config.ok()) return state.SkipWithError(std::string(config.status().message()).c_str());
    findings = Analyze(*config, *tokens).findings.size();
  }
  state.counters["findings"] = static_cast<double>(findings);
}
BENCHMARK(BM_SequentialRoaChecks)->Arg(40)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace rtr42::lint

BENCHMARK_MAIN();
