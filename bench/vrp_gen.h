// Synthetic VRP sets with an Internet-like mix, for benchmarks and load tests:
// about 75% IPv4 (mostly /24), 25% IPv6 (mostly /48 and /32), and about one
// in seven with a max length above the prefix length. Deterministic per seed.
#ifndef RTR42_BENCH_VRP_GEN_H_
#define RTR42_BENCH_VRP_GEN_H_

#include <cstdint>
#include <random>
#include <vector>

#include "roa/vrp.h"

namespace rtr42::bench {

inline std::vector<roa::Vrp> GenerateVrps(size_t count, uint32_t seed = 1) {
  std::mt19937_64 rng(seed);
  std::vector<roa::Vrp> out;
  out.reserve(count);
  auto pick = [&](std::initializer_list<std::pair<int, int>> weighted) {
    int total = 0;
    for (auto [len, w] : weighted) total += w;
    int r = static_cast<int>(rng() % static_cast<uint64_t>(total));
    for (auto [len, w] : weighted) {
      if ((r -= w) < 0) return len;
    }
    return weighted.begin()->first;
  };
  while (out.size() < count) {
    bool v4 = rng() % 4 != 0;
    uint8_t bytes[16] = {};
    int len;
    if (v4) {
      len =
          pick({{24, 70}, {23, 6}, {22, 8}, {21, 3}, {20, 4}, {19, 2}, {16, 4}, {18, 2}, {17, 1}});
      uint32_t addr = static_cast<uint32_t>(rng());
      addr = (addr % 0xdf000000u) + 0x01000000u;  // 1.0.0.0 .. 223.255.255.255
      addr &= len == 0 ? 0 : ~uint32_t(0) << (32 - len);
      for (int i = 0; i < 4; ++i) bytes[i] = uint8_t(addr >> (24 - 8 * i));
    } else {
      len = pick({{48, 60}, {32, 15}, {44, 6}, {40, 5}, {36, 3}, {29, 3}, {56, 4}, {64, 4}});
      uint64_t hi = (rng() & 0x1fffffffffffffffULL) | 0x2000000000000000ULL;  // 2000::/3
      uint64_t lo = rng();
      if (len < 64) {
        hi &= ~uint64_t(0) << (64 - len);
        lo = 0;
      }
      for (int i = 0; i < 8; ++i) bytes[i] = uint8_t(hi >> (56 - 8 * i));
      for (int i = 0; i < 8; ++i) bytes[8 + i] = uint8_t(lo >> (56 - 8 * i));
    }
    roa::Family family = v4 ? roa::Family::kIpv4 : roa::Family::kIpv6;
    auto prefix = roa::Prefix::FromBytes(family, bytes, static_cast<uint8_t>(len));
    if (!prefix.ok()) continue;
    int max_len = len;
    if (rng() % 7 == 0) max_len = std::min<int>(roa::MaxLength(family), len + 1 + int(rng() % 8));
    uint32_t asn = 1 + static_cast<uint32_t>(rng() % 400000);
    out.push_back(roa::Vrp{*prefix, static_cast<uint8_t>(max_len), asn});
  }
  return out;
}

}  // namespace rtr42::bench

#endif  // RTR42_BENCH_VRP_GEN_H_
