#include "roa/vrp.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/test_util.h"

namespace rtr42::roa {
namespace {

using ::rtr42::testing::V;

TEST(VrpSetTest, SortsAndDeduplicates) {
  VrpSet set({V("fd00::/8", 64, 1), V("10.0.0.0/8", 24, 2), V("10.0.0.0/8", 24, 2),
              V("10.0.0.0/8", 16, 2)});
  ASSERT_EQ(set.size(), 3u);
  EXPECT_EQ(set.vrps()[0], V("10.0.0.0/8", 16, 2));
  EXPECT_EQ(set.vrps()[2], V("fd00::/8", 64, 1));
  EXPECT_EQ(set.ipv4_count(), 2u);
  EXPECT_EQ(set.ipv6_count(), 1u);
  EXPECT_TRUE(set.Contains(V("10.0.0.0/8", 24, 2)));
  EXPECT_FALSE(set.Contains(V("10.0.0.0/8", 24, 3)));
}

TEST(VrpSetTest, DiffFindsAnnouncedAndWithdrawn) {
  VrpSet a({V("10.0.0.0/8", 24, 1), V("10.1.0.0/16", 24, 1), V("fd00::/8", 64, 1)});
  VrpSet b({V("10.0.0.0/8", 24, 1), V("10.1.0.0/16", 28, 1), V("fd01::/16", 64, 2)});
  VrpDiff d = Diff(a, b);
  EXPECT_EQ(d.announced, (std::vector<Vrp>{V("10.1.0.0/16", 28, 1), V("fd01::/16", 64, 2)}));
  EXPECT_EQ(d.withdrawn, (std::vector<Vrp>{V("10.1.0.0/16", 24, 1), V("fd00::/8", 64, 1)}));
  EXPECT_TRUE(Diff(a, a).empty());
}

TEST(VrpSetTest, AspaRecordsAreMergedByCustomerAndDiffedWhole) {
  VrpSet a({}, {{64500, {3, 2}}, {64496, {7}}, {64500, {2, 1}}});
  EXPECT_EQ(a.aspas(), (std::vector<Aspa>{{64496, {7}}, {64500, {1, 2, 3}}}));
  VrpSet b({}, {{64496, {7, 8}}, {64500, {1, 2, 3}}, {64510, {1}}});
  VrpDiff d = Diff(a, b);
  EXPECT_EQ(d.aspa_withdrawn, (std::vector<Aspa>{{64496, {7}}}));
  EXPECT_EQ(d.aspa_announced, (std::vector<Aspa>{{64496, {7, 8}}, {64510, {1}}}));
  EXPECT_TRUE(d.announced.empty());
  EXPECT_EQ(a.aspas()[0].ToString(), "AS64496 => AS7");
}

// Applying a diff to its base gives the target.
VrpSet Apply(const VrpSet& base, const VrpDiff& diff) {
  std::vector<Vrp> out;
  for (const Vrp& v : base.vrps()) {
    if (!std::binary_search(diff.withdrawn.begin(), diff.withdrawn.end(), v)) out.push_back(v);
  }
  out.insert(out.end(), diff.announced.begin(), diff.announced.end());
  std::vector<Aspa> aspas;
  for (const Aspa& x : base.aspas()) {
    if (!std::binary_search(diff.aspa_withdrawn.begin(), diff.aspa_withdrawn.end(), x))
      aspas.push_back(x);
  }
  aspas.insert(aspas.end(), diff.aspa_announced.begin(), diff.aspa_announced.end());
  return VrpSet(std::move(out), std::move(aspas));
}

TEST(VrpSetTest, ComposeEqualsDirectDiffOnRandomChains) {
  std::mt19937 rng(42);
  for (int round = 0; round < 50; ++round) {
    std::vector<VrpSet> sets;
    for (int s = 0; s < 4; ++s) {
      std::vector<Vrp> vrps;
      for (int i = 0; i < 30; ++i) {
        if (rng() % 2) vrps.push_back(V("10.0.0.0/8", 8 + i % 17, 64500 + i));
      }
      std::vector<Aspa> aspas;
      for (uint32_t customer = 1; customer <= 5; ++customer) {
        if (rng() % 3) aspas.push_back({customer, {100 + static_cast<uint32_t>(rng() % 3)}});
      }
      sets.emplace_back(std::move(vrps), std::move(aspas));
    }
    VrpDiff composed = Diff(sets[0], sets[1]);
    for (int s = 2; s < 4; ++s) composed = Compose(composed, Diff(sets[s - 1], sets[s]));
    VrpDiff direct = Diff(sets[0], sets[3]);
    EXPECT_EQ(composed.announced, direct.announced);
    EXPECT_EQ(composed.withdrawn, direct.withdrawn);
    EXPECT_EQ(composed.aspa_announced, direct.aspa_announced);
    EXPECT_EQ(composed.aspa_withdrawn, direct.aspa_withdrawn);
    EXPECT_EQ(Apply(sets[0], composed), sets[3]);
  }
}

}  // namespace
}  // namespace rtr42::roa
