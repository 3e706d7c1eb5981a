#include "roa/filter_policy.h"

#include <gtest/gtest.h>

#include <random>

#include "absl/strings/str_cat.h"

namespace rtr42::roa {
namespace {

constexpr char kFilter[] = R"(# Nr Action Prefix MinLen MaxLen
1100  permit  172.20.0.0/14    21      29      # main
0001  deny    172.22.166.0/24  24      32      # listed after, numbered first
1001  permit  172.20.0.0/24    28      32      # anycast
9999  deny    0.0.0.0/0        0       32
)";

TEST(FilterPolicyTest, FirstRuleByNumberWins) {
  absl::StatusOr<FilterPolicy> p = FilterPolicy::Parse(kFilter, Family::kIpv4, "data/filter.txt");
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->rules().size(), 4u);
  EXPECT_EQ(p->rules()[0].number, 1);
  EXPECT_EQ(p->rules()[0].line, 3);
  const FilterRule* r = p->Match(*Prefix::Parse("172.22.166.0/24"));
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->number, 1);
  EXPECT_FALSE(r->permit);
  EXPECT_EQ(p->Match(*Prefix::Parse("172.20.0.0/26"))->number, 1001);
  EXPECT_EQ(p->Match(*Prefix::Parse("172.21.0.0/24"))->number, 1100);
  EXPECT_EQ(p->Match(*Prefix::Parse("192.168.0.0/16"))->number, 9999);
}

TEST(FilterPolicyTest, MatchNeedsTheWholePrefixInside) {
  // 172.20.0.0/13 starts inside 172.20.0.0/14 but is larger: rule 1100 does not match.
  absl::StatusOr<FilterPolicy> p = FilterPolicy::Parse(kFilter, Family::kIpv4, "f");
  EXPECT_EQ(p->Match(*Prefix::Parse("172.16.0.0/12"))->number, 9999);
}

TEST(FilterPolicyTest, NoRuleMatches) {
  absl::StatusOr<FilterPolicy> p =
      FilterPolicy::Parse("10 permit 10.0.0.0/8 8 24\n", Family::kIpv4, "f");
  EXPECT_EQ(p->Match(*Prefix::Parse("172.20.0.0/24")), nullptr);
}

TEST(FilterPolicyTest, ErrorsNameFileAndLine) {
  struct Case {
    const char* text;
    const char* expect;
  } cases[] = {
      {"1 permit 10.0.0.0/8 8\n", "data/filter.txt:1: expected 5 fields"},
      {"\n\nx permit 10.0.0.0/8 8 24\n", "data/filter.txt:3: rule number"},
      {"1 allow 10.0.0.0/8 8 24\n", "action 'allow'"},
      {"1 permit 10.0.0.1/8 8 24\n", "host bits"},
      {"1 permit fd00::/8 8 24\n", "is not an IPv4 prefix"},
      {"1 permit 10.0.0.0/8 8 33\n", "MaxLen '33'"},
      {"1 permit 10.0.0.0/8 25 24\n", "MinLen 25 is above MaxLen 24"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<FilterPolicy> p = FilterPolicy::Parse(c.text, Family::kIpv4, "data/filter.txt");
    ASSERT_FALSE(p.ok()) << c.text;
    EXPECT_NE(p.status().message().find(c.expect), std::string::npos) << p.status();
  }
}

TEST(FilterPolicyTest, Ipv6) {
  absl::StatusOr<FilterPolicy> p = FilterPolicy::Parse(
      "0010 deny fdd6:6302:7c04::/48 48 128\n1001 permit fd00::/8 44 64\n9999 deny ::/0 0 128\n",
      Family::kIpv6, "data/filter6.txt");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->Match(*Prefix::Parse("fdd6:6302:7c04::/48"))->number, 10);
  EXPECT_EQ(p->Match(*Prefix::Parse("fd42::/48"))->number, 1001);
}

}  // namespace
}  // namespace rtr42::roa

namespace rtr42::roa {
namespace {

// The indexed Match() gives what a scan of the rules in number order gives.
TEST(FilterPolicyIndexTest, MatchEqualsAScanOfTheRules) {
  std::mt19937 rng(42);
  std::string text;
  for (int i = 0; i < 3000; ++i) {
    int len = 8 + static_cast<int>(rng() % 17);
    uint32_t addr = (rng() & 0x00ffffff) | 0x0a000000;  // inside 10.0.0.0/8
    addr &= len == 0 ? 0 : ~uint32_t{0} << (32 - len);
    text += absl::StrCat(1 + rng() % 100000, rng() % 2 ? " permit " : " deny ", addr >> 24, ".",
                         (addr >> 16) & 255, ".", (addr >> 8) & 255, ".", addr & 255, "/", len, " ",
                         len, " 32\n");
  }
  absl::StatusOr<FilterPolicy> policy = FilterPolicy::Parse(text, Family::kIpv4, "f");
  ASSERT_TRUE(policy.ok()) << policy.status();
  int matched = 0;
  for (int i = 0; i < 5000; ++i) {
    int len = 16 + static_cast<int>(rng() % 17);
    uint32_t addr = ((rng() & 0x00ffffff) | 0x0a000000) & (~uint32_t{0} << (32 - len));
    Prefix p = *Prefix::Parse(absl::StrCat(addr >> 24, ".", (addr >> 16) & 255, ".",
                                           (addr >> 8) & 255, ".", addr & 255, "/", len));
    const FilterRule* scan = nullptr;
    for (const FilterRule& r : policy->rules()) {
      if (r.network.Contains(p)) {
        scan = &r;
        break;
      }
    }
    EXPECT_EQ(policy->Match(p), scan) << p.ToString();
    matched += scan != nullptr;
  }
  EXPECT_GT(matched, 500);  // the test exercises matches, not only misses
}

}  // namespace
}  // namespace rtr42::roa
