#include "roa/compiler.h"

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace rtr42::roa {
namespace {

constexpr char kFilter4[] =
    "0001 deny 172.22.166.0/24 24 32\n1001 permit 172.20.0.0/24 28 32\n"
    "1100 permit 172.20.0.0/14 21 29\n9999 deny 0.0.0.0/0 0 32\n";
constexpr char kFilter6[] = "1001 permit fd00::/8 44 64\n9999 deny ::/0 0 128\n";

using ::rtr42::testing::V;

class CompilerTest : public ::testing::Test {
 protected:
  // Compiles one object (plus the filters) and returns its VRPs.
  std::vector<Vrp> Compile(const std::string& path, const std::string& text) {
    RegistryDelta delta;
    delta.full = true;
    delta.changes = {{kFilterPath, kFilter4}, {kFilter6Path, kFilter6}, {path, text}};
    EXPECT_TRUE(compiler_.Apply(delta).ok());
    return compiler_.BuildSet().vrps();
  }
  std::vector<Diagnostic> All() { return compiler_.Diagnostics(); }
  RegistryCompiler compiler_;
};

// Checks there is exactly one diagnostic, of `kind`, at `line`, whose reason holds `text`.
#define EXPECT_ONE_DIAGNOSTIC(k, line_no, text)                                      \
  do {                                                                               \
    std::vector<Diagnostic> found = All();                                           \
    ASSERT_EQ(found.size(), 1u) << (found.empty() ? "none" : found[0].ToString());   \
    EXPECT_EQ(found[0].kind, Diagnostic::Kind::k) << found[0].ToString();            \
    EXPECT_EQ(found[0].line, line_no) << found[0].ToString();                        \
    EXPECT_NE(found[0].reason.find(text), std::string::npos) << found[0].ToString(); \
  } while (0)

TEST_F(CompilerTest, AHugeObjectIsDroppedUnreadAndBadLinesAreCounted) {
  // 25,000 malformed lines after a valid key: over the size limit.
  std::string huge = "route: 172.20.1.0/24\norigin: AS4242420000\n";
  while (huge.size() <= kMaxRouteObjectBytes) huge += "this line is not an attribute\n";
  EXPECT_TRUE(Compile("data/route/172.20.1.0_24", huge).empty());
  EXPECT_ONE_DIAGNOSTIC(kDropped, 0, "KiB a route object may have");
  // Under the limit, many bad lines give kMaxLineDiagnostics diagnostics and one more.
  std::string noisy = "route: 172.20.1.0/24\norigin: AS4242420000\n";
  for (int i = 0; i < 500; ++i) noisy += "junk\n";
  EXPECT_EQ(Compile("data/route/172.20.1.0_24", noisy).size(), 1u);
  std::vector<Diagnostic> d = All();
  ASSERT_EQ(d.size(), kMaxLineDiagnostics + 1);
  EXPECT_NE(d.back().reason.find("and 490 more lines"), std::string::npos) << d.back().ToString();
}

TEST_F(CompilerTest, PlainObjectGetsRuleMaxLen) {
  EXPECT_EQ(Compile("data/route/172.20.1.0_24", "route: 172.20.1.0/24\norigin: AS4242420000\n"),
            std::vector<Vrp>{V("172.20.1.0/24", 29, 4242420000)});
  EXPECT_TRUE(All().empty());
}

TEST_F(CompilerTest, MaxLengthWithinRuleIsKept) {
  EXPECT_EQ(Compile("data/route/x", "route: 172.20.1.0/24\norigin: AS1\nmax-length: 26\n"),
            std::vector<Vrp>{V("172.20.1.0/24", 26, 1)});
  EXPECT_TRUE(All().empty());
}

TEST_F(CompilerTest, MaxLengthAboveRuleIsClamped) {
  EXPECT_EQ(Compile("data/route/x", "route: 172.20.1.0/24\norigin: AS1\nmax-length: 32\n"),
            std::vector<Vrp>{V("172.20.1.0/24", 29, 1)});
  EXPECT_ONE_DIAGNOSTIC(kAdjusted, 3, "clamped to 29");
}

TEST_F(CompilerTest, MaxLengthBelowPrefixIsRaised) {
  EXPECT_EQ(Compile("data/route/x", "route: 172.20.1.0/24\norigin: AS1\nmax-length: 21\n"),
            std::vector<Vrp>{V("172.20.1.0/24", 24, 1)});
  EXPECT_ONE_DIAGNOSTIC(kAdjusted, 3, "raised to 24");
}

TEST_F(CompilerTest, MaxLengthNotANumberGetsRuleMaxLen) {
  EXPECT_EQ(Compile("data/route/x", "route: 172.20.1.0/24\norigin: AS1\nmax-length: 2x\n"),
            std::vector<Vrp>{V("172.20.1.0/24", 29, 1)});
  EXPECT_ONE_DIAGNOSTIC(kAdjusted, 3, "not a number");
}

TEST_F(CompilerTest, HugeMaxLengthIsClamped) {
  EXPECT_EQ(Compile("data/route/x",
                    "route: 172.20.1.0/24\norigin: AS1\nmax-length: 99999999999999999999\n"),
            std::vector<Vrp>{V("172.20.1.0/24", 29, 1)});
  EXPECT_ONE_DIAGNOSTIC(kAdjusted, 3, "clamped");
}

TEST_F(CompilerTest, ShorterThanMinLenIsKept) {
  // /16 is shorter than MinLen 21 of rule 1100: kept, it covers allowed more-specifics.
  EXPECT_EQ(Compile("data/route/x", "route: 172.21.0.0/16\norigin: AS1\n"),
            std::vector<Vrp>{V("172.21.0.0/16", 29, 1)});
  EXPECT_TRUE(All().empty());
}

TEST_F(CompilerTest, LongerThanRuleMaxLenIsDropped) {
  EXPECT_TRUE(Compile("data/route/x", "route: 172.21.0.0/30\norigin: AS1\n").empty());
  EXPECT_ONE_DIAGNOSTIC(kDropped, 1, "longer than MaxLen 29 of rule 1100");
}

TEST_F(CompilerTest, DenyRuleDrops) {
  EXPECT_TRUE(Compile("data/route/x", "route: 172.22.166.0/24\norigin: AS1\n").empty());
  EXPECT_ONE_DIAGNOSTIC(kDropped, 1, "denied by rule 1 ");
}

TEST_F(CompilerTest, MoreSpecificRuleByNumberWins) {
  // Anycast rule 1001 (MaxLen 32) comes before 1100 (MaxLen 29).
  EXPECT_EQ(Compile("data/route/x", "route: 172.20.0.0/28\norigin: AS1\n"),
            std::vector<Vrp>{V("172.20.0.0/28", 32, 1)});
}

TEST_F(CompilerTest, RuleMustContainWholePrefix) {
  // 172.20.0.0/13 has the network address of rule 1100 but is not inside it.
  EXPECT_TRUE(Compile("data/route/x", "route: 172.16.0.0/12\norigin: AS1\n").empty());
  EXPECT_ONE_DIAGNOSTIC(kDropped, 1, "denied by rule 9999");
}

TEST_F(CompilerTest, NoRuleDrops) {
  RegistryDelta delta;
  delta.full = true;
  delta.changes = {{kFilterPath, "1 permit 10.0.0.0/8 8 24\n"},
                   {"data/route/x", "route: 172.20.0.0/24\norigin: AS1\n"}};
  ASSERT_TRUE(compiler_.Apply(delta).ok());
  EXPECT_EQ(compiler_.BuildSet().size(), 0u);
  EXPECT_ONE_DIAGNOSTIC(kDropped, 1, "no rule in data/filter.txt covers 172.20.0.0/24");
}

TEST_F(CompilerTest, OneVrpPerOriginDeduplicated) {
  EXPECT_EQ(
      Compile("data/route/x", "route: 172.20.1.0/24\norigin: AS2\norigin: as1\norigin: AS2\n"),
      (std::vector<Vrp>{V("172.20.1.0/24", 29, 1), V("172.20.1.0/24", 29, 2)}));
  EXPECT_ONE_DIAGNOSTIC(kAdjusted, 4, "repeated");
}

TEST_F(CompilerTest, BadOriginDroppedOthersKept) {
  EXPECT_EQ(Compile("data/route/x", "route: 172.20.1.0/24\norigin: AS4294967296\norigin: AS7\n"),
            std::vector<Vrp>{V("172.20.1.0/24", 29, 7)});
  EXPECT_ONE_DIAGNOSTIC(kDropped, 2, "AS4294967296");
}

TEST_F(CompilerTest, LargestAsnAccepted) {
  EXPECT_EQ(Compile("data/route/x", "route: 172.20.1.0/24\norigin: AS4294967295\n"),
            std::vector<Vrp>{V("172.20.1.0/24", 29, 4294967295u)});
}

TEST_F(CompilerTest, NoValidOriginDropsObject) {
  EXPECT_TRUE(Compile("data/route/x", "route: 172.20.1.0/24\norigin: 4242420000\n").empty());
  std::vector<Diagnostic> d = All();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_NE(d[1].reason.find("no valid origin"), std::string::npos);
  EXPECT_TRUE(Compile("data/route/x", "route: 172.20.1.0/24\n").empty());
  EXPECT_ONE_DIAGNOSTIC(kDropped, 1, "no origin");
}

TEST_F(CompilerTest, HostBitsDrop) {
  EXPECT_TRUE(Compile("data/route/x", "route: 172.20.1.1/24\norigin: AS1\n").empty());
  EXPECT_ONE_DIAGNOSTIC(kDropped, 1, "host bits");
}

TEST_F(CompilerTest, UnparsablePrefixDrops) {
  EXPECT_TRUE(Compile("data/route/x", "route: 172.20.1/24\norigin: AS1\n").empty());
  EXPECT_ONE_DIAGNOSTIC(kDropped, 1, "not a prefix");
}

TEST_F(CompilerTest, WrongFamilyValueDrops) {
  EXPECT_TRUE(Compile("data/route/x", "route: fd00::/48\norigin: AS1\n").empty());
  EXPECT_ONE_DIAGNOSTIC(kDropped, 1, "is not an IPv4 prefix");
  EXPECT_TRUE(Compile("data/route6/x", "route6: 172.20.0.0/24\norigin: AS1\n").empty());
  EXPECT_ONE_DIAGNOSTIC(kDropped, 1, "is not an IPv6 prefix");
}

TEST_F(CompilerTest, WrongKeyForDirectoryDrops) {
  EXPECT_TRUE(Compile("data/route6/x", "route: 172.20.0.0/24\norigin: AS1\n").empty());
  EXPECT_ONE_DIAGNOSTIC(kDropped, 1, "route: object in data/route6/");
  EXPECT_TRUE(Compile("data/route/x", "route6: fd00::/48\norigin: AS1\n").empty());
  EXPECT_ONE_DIAGNOSTIC(kDropped, 1, "route6: object in data/route/");
}

TEST_F(CompilerTest, TwoKeysDrop) {
  EXPECT_TRUE(
      Compile("data/route/x", "route: 172.20.0.0/24\nroute: 172.20.1.0/24\norigin: AS1\n").empty());
  EXPECT_ONE_DIAGNOSTIC(kDropped, 2, "more than one route:");
}

TEST_F(CompilerTest, ContinuationTextIsNeverAnAttribute) {
  EXPECT_EQ(Compile("data/route6/x",
                    "route6: fd42:1::/48\nremarks: see\n  max-length: 48\norigin: AS1\n"),
            std::vector<Vrp>{V("fd42:1::/48", 64, 1)});
  EXPECT_TRUE(All().empty());
}

TEST_F(CompilerTest, Ipv6LeadingZerosAreCanonical) {
  std::vector<Vrp> v = Compile("data/route6/x", "route6: fd42:0001:0000::/48\norigin: AS1\n");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].prefix.ToString(), "fd42:1::/48");
}

TEST_F(CompilerTest, BadLineIsAnAdjustment) {
  EXPECT_EQ(Compile("data/route/x", "route: 172.20.1.0/24\nthis is junk\norigin: AS1\n").size(),
            1u);
  EXPECT_ONE_DIAGNOSTIC(kAdjusted, 2, "not an attribute");
}

TEST_F(CompilerTest, SecondMaxLengthIgnored) {
  EXPECT_EQ(Compile("data/route/x",
                    "route: 172.20.1.0/24\norigin: AS1\nmax-length: 25\nmax-length: 28\n"),
            std::vector<Vrp>{V("172.20.1.0/24", 25, 1)});
  EXPECT_ONE_DIAGNOSTIC(kAdjusted, 4, "more than one max-length");
}

TEST_F(CompilerTest, DiagnosticToStringNamesFileLineAndObject) {
  Compile("data/route/172.21.0.0_30", "route: 172.21.0.0/30\norigin: AS1\n");
  EXPECT_EQ(All()[0].ToString().substr(0, 50),
            "data/route/172.21.0.0_30:1: dropped: 172.21.0.0/30");
}

TEST_F(CompilerTest, NoFilterFileMeansNoPolicy) {
  RegistryDelta delta;
  delta.full = true;
  delta.changes = {{"data/route/a", "route: 192.0.2.0/24\norigin: AS1\n"},
                   {"data/route/b", "route: 198.51.100.0/24\norigin: AS1\nmax-length: 26\n"}};
  ASSERT_TRUE(compiler_.Apply(delta).ok());
  EXPECT_EQ(compiler_.BuildSet().vrps(),
            (std::vector<Vrp>{V("192.0.2.0/24", 24, 1), V("198.51.100.0/24", 26, 1)}));
}

TEST_F(CompilerTest, IncrementalUpdateReparsesOnlyChangedFiles) {
  RegistryDelta full;
  full.full = true;
  full.changes = {{kFilterPath, kFilter4},
                  {"data/route/a", "route: 172.20.1.0/24\norigin: AS1\n"},
                  {"data/route/b", "route: 172.20.2.0/24\norigin: AS2\n"}};
  ASSERT_TRUE(compiler_.Apply(full).ok());
  EXPECT_EQ(compiler_.last_parsed(), 2u);
  RegistryDelta step;
  step.changes = {{"data/route/a", std::nullopt},
                  {"data/route/c", "route: 172.20.3.0/24\norigin: AS3\n"}};
  ASSERT_TRUE(compiler_.Apply(step).ok());
  EXPECT_EQ(compiler_.last_parsed(), 1u);
  EXPECT_EQ(compiler_.BuildSet().vrps(),
            (std::vector<Vrp>{V("172.20.2.0/24", 29, 2), V("172.20.3.0/24", 29, 3)}));
}

TEST_F(CompilerTest, ChangedFilterRecompilesEverything) {
  RegistryDelta full;
  full.full = true;
  full.changes = {{kFilterPath, kFilter4}, {"data/route/a", "route: 172.20.1.0/24\norigin: AS1\n"}};
  ASSERT_TRUE(compiler_.Apply(full).ok());
  RegistryDelta step;
  step.changes = {{kFilterPath, "1 permit 172.20.0.0/14 16 26\n"}};
  ASSERT_TRUE(compiler_.Apply(step).ok());
  EXPECT_EQ(compiler_.last_parsed(), 0u);
  EXPECT_EQ(compiler_.BuildSet().vrps(), std::vector<Vrp>{V("172.20.1.0/24", 26, 1)});
}

TEST_F(CompilerTest, BrokenFilterChangesNothing) {
  RegistryDelta full;
  full.full = true;
  full.changes = {{kFilterPath, kFilter4}, {"data/route/a", "route: 172.20.1.0/24\norigin: AS1\n"}};
  ASSERT_TRUE(compiler_.Apply(full).ok());
  VrpSet before = compiler_.BuildSet();
  RegistryDelta bad;
  bad.revision = "bad";
  bad.changes = {{kFilterPath, "1 permit 172.20.0.0/14 16\n"},
                 {"data/route/b", "route: 172.20.2.0/24\norigin: AS2\n"}};
  absl::Status s = compiler_.Apply(bad);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("data/filter.txt:1"), std::string::npos) << s;
  EXPECT_EQ(compiler_.BuildSet(), before);
  EXPECT_NE(compiler_.revision(), "bad");
}

TEST_F(CompilerTest, OtherPathsAreIgnored) {
  EXPECT_TRUE(
      Compile("data/inetnum/172.20.0.0_24", "inetnum: 172.20.0.0 - 172.20.0.255\n").empty());
  EXPECT_EQ(compiler_.object_count(), 0u);
}

}  // namespace
}  // namespace rtr42::roa
