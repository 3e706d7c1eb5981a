#include "rtr/history.h"

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace rtr42::rtr {
namespace {

using roa::Diff;
using roa::Vrp;
using roa::VrpDiff;
using roa::VrpSet;
using ::rtr42::testing::V;

std::shared_ptr<const VrpSet> SetOf(std::initializer_list<uint32_t> asns) {
  std::vector<Vrp> v;
  for (uint32_t asn : asns) v.push_back(V("172.20.0.0/24", 24, asn));
  return std::make_shared<const VrpSet>(std::move(v));
}

TEST(HistoryTest, SerialsCountUpAndUnchangedSetsAreNotNewSerials) {
  History h(7);
  auto u1 = h.Commit(SetOf({1}), "a");
  ASSERT_NE(u1, nullptr);
  EXPECT_EQ(u1->serial(), 1u);
  EXPECT_EQ(u1->session_id(), 7);
  EXPECT_EQ(h.Commit(SetOf({1}), "b"), nullptr);
  auto u2 = h.Commit(SetOf({1, 2}), "c");
  ASSERT_NE(u2, nullptr);
  EXPECT_EQ(u2->serial(), 2u);
  EXPECT_EQ(u2->revision(), "c");
  ASSERT_NE(u2->last_diff(), nullptr);
  EXPECT_EQ(u2->last_diff()->announced.size(), 1u);
}

TEST(HistoryTest, DiffFromAnyRetainedSerial) {
  History h(1);
  h.Commit(SetOf({1, 2}), "");
  h.Commit(SetOf({2, 3}), "");
  h.Commit(SetOf({1, 2, 3}), "");
  auto u = h.Commit(SetOf({3, 4}), "");
  ASSERT_EQ(u->serial(), 4u);
  std::optional<VrpDiff> d = u->DiffFrom(1);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(*d, (Diff(*SetOf({1, 2}), *SetOf({3, 4}))));
  EXPECT_TRUE(u->DiffFrom(4)->empty());
  EXPECT_FALSE(u->DiffFrom(5).has_value());
  EXPECT_FALSE(u->DiffFrom(0).has_value());
}

TEST(HistoryTest, SerialWrapsAt2To32) {
  History h(1, HistoryOptions{.first_serial = 0xfffffffeu});
  h.Commit(SetOf({1}), "");
  h.Commit(SetOf({2}), "");
  auto u = h.Commit(SetOf({3}), "");
  EXPECT_EQ(u->serial(), 0u);
  EXPECT_TRUE(u->HasSerial(0xfffffffeu));
  EXPECT_EQ(*u->DiffFrom(0xfffffffeu), Diff(*SetOf({1}), *SetOf({3})));
  EXPECT_FALSE(u->HasSerial(1));
}

TEST(HistoryTest, RetainsMinSerialsOrMinAgeWhicheverIsMore) {
  absl::Time t0 = absl::FromUnixSeconds(1700000000);
  History h(1, HistoryOptions{.min_serials = 3, .min_age = absl::Hours(1)});
  uint32_t asn = 0;
  // Ten serials within one hour: all are kept (younger than min_age).
  for (int i = 0; i < 10; ++i) h.Commit(SetOf({++asn}), "", t0 + absl::Minutes(i));
  EXPECT_EQ(h.current()->retained_serials(), 10u);
  // Two hours later: only the newest three steps remain.
  auto u = h.Commit(SetOf({++asn}), "", t0 + absl::Hours(3));
  EXPECT_EQ(u->retained_serials(), 4u);
  EXPECT_TRUE(u->HasSerial(u->serial() - 3));
  EXPECT_FALSE(u->HasSerial(u->serial() - 4));
}

TEST(HistoryTest, RandomSessionIdsDiffer) {
  std::set<uint16_t> ids;
  for (int i = 0; i < 20; ++i) ids.insert(RandomSessionId());
  EXPECT_GT(ids.size(), 15u);
}

}  // namespace
}  // namespace rtr42::rtr
