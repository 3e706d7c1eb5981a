#include "roa/validity.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/test_util.h"

namespace rtr42::roa {
namespace {

using ::rtr42::testing::V;

Prefix P(const char* text) { return *Prefix::Parse(text); }

TEST(ValidityTest, Rfc6811States) {
  VrpSet set({V("172.20.0.0/16", 24, 4242420000), V("172.20.1.0/24", 24, 4242420001),
              V("fd42::/32", 48, 4242420000), V("10.0.0.0/8", 8, 0)});
  RouteValidity valid = ValidateRoute(set, 4242420000, P("172.20.1.0/24"));
  EXPECT_EQ(valid.state, RouteState::kValid);
  EXPECT_EQ(valid.matched, (std::vector<Vrp>{V("172.20.0.0/16", 24, 4242420000)}));
  EXPECT_EQ(valid.unmatched_as, (std::vector<Vrp>{V("172.20.1.0/24", 24, 4242420001)}));

  RouteValidity too_long = ValidateRoute(set, 4242420000, P("172.20.0.0/25"));
  EXPECT_EQ(too_long.state, RouteState::kInvalid);
  EXPECT_EQ(too_long.unmatched_length, (std::vector<Vrp>{V("172.20.0.0/16", 24, 4242420000)}));
  EXPECT_TRUE(too_long.unmatched_as.empty());

  EXPECT_EQ(ValidateRoute(set, 4242420002, P("172.20.2.0/24")).state, RouteState::kInvalid);
  EXPECT_EQ(ValidateRoute(set, 4242420000, P("172.21.0.0/24")).state, RouteState::kNotFound);
  // A less specific route than any VRP is not covered.
  EXPECT_EQ(ValidateRoute(set, 4242420000, P("172.0.0.0/8")).state, RouteState::kNotFound);
  EXPECT_EQ(ValidateRoute(set, 4242420000, P("fd42:0:1::/48")).state, RouteState::kValid);
  // Families do not mix: ::/0 does not cover IPv4.
  EXPECT_EQ(ValidateRoute(set, 4242420000, P("fd43::/48")).state, RouteState::kNotFound);
}

TEST(ValidityTest, AsZeroMatchesNothing) {
  VrpSet set({V("10.0.0.0/8", 32, 0), V("192.0.2.0/24", 24, 64496)});
  RouteValidity r = ValidateRoute(set, 0, P("10.1.0.0/16"));
  EXPECT_EQ(r.state, RouteState::kInvalid);
  EXPECT_EQ(r.unmatched_as.size(), 1u);
  // A route originated by AS 0 (or NONE) is never valid.
  EXPECT_EQ(ValidateRoute(set, 0, P("192.0.2.0/24")).state, RouteState::kInvalid);
  EXPECT_EQ(RouteStateName(RouteState::kNotFound), "not-found");
}

// The binary searches give what a scan of every VRP gives.
TEST(ValidityTest, EqualsAScan) {
  std::mt19937 rng(42);
  std::vector<Vrp> vrps;
  for (int i = 0; i < 3000; ++i) {
    uint8_t len = static_cast<uint8_t>(8 + rng() % 17);
    uint32_t addr = (0xac140000u | (rng() & 0xffff)) & ~((1ull << (32 - len)) - 1);
    uint8_t bytes[4] = {uint8_t(addr >> 24), uint8_t(addr >> 16), uint8_t(addr >> 8),
                        uint8_t(addr)};
    Prefix p = *Prefix::FromBytes(Family::kIpv4, bytes, len);
    vrps.push_back(
        {p, static_cast<uint8_t>(len + rng() % 4), static_cast<uint32_t>(64496 + rng() % 4)});
  }
  VrpSet set(vrps);
  for (int i = 0; i < 2000; ++i) {
    uint8_t len = static_cast<uint8_t>(8 + rng() % 25);
    uint32_t addr = (0xac140000u | (rng() & 0xffff)) & ~((1ull << (32 - len)) - 1);
    if (len == 32) addr = 0xac140000u | (rng() & 0xffff);
    uint8_t bytes[4] = {uint8_t(addr >> 24), uint8_t(addr >> 16), uint8_t(addr >> 8),
                        uint8_t(addr)};
    Prefix route = *Prefix::FromBytes(Family::kIpv4, bytes, len);
    uint32_t origin = static_cast<uint32_t>(64496 + rng() % 5);
    std::vector<Vrp> covering;
    bool matched = false;
    for (const Vrp& v : set.vrps()) {
      if (!v.prefix.Contains(route)) continue;
      covering.push_back(v);
      matched |= v.asn == origin && route.length() <= v.max_length;
    }
    RouteState want = matched            ? RouteState::kValid
                      : covering.empty() ? RouteState::kNotFound
                                         : RouteState::kInvalid;
    ASSERT_EQ(CoveringVrps(set, route), covering) << route.ToString();
    ASSERT_EQ(ValidateRoute(set, origin, route).state, want) << route.ToString();
  }
}

}  // namespace
}  // namespace rtr42::roa
