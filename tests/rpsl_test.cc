#include "roa/rpsl.h"

#include <gtest/gtest.h>

namespace rtr42::roa {
namespace {

TEST(RpslTest, ParsesAttributesWithLines) {
  RpslObject o = ParseRpsl("route:   172.20.0.0/24\norigin:  AS4242420000\n");
  ASSERT_EQ(o.attributes.size(), 2u);
  EXPECT_EQ(o.attributes[0].name, "route");
  EXPECT_EQ(o.attributes[0].value, "172.20.0.0/24");
  EXPECT_EQ(o.attributes[0].line, 1);
  EXPECT_EQ(o.attributes[1].line, 2);
}

TEST(RpslTest, HandlesCrlfCommentsOddSpacingAndCase) {
  RpslObject o = ParseRpsl(
      "% comment\r\n# another\r\nRoute:\t172.20.0.0/24  \r\n\r\nORIGIN:AS1\r\norigin :AS2\r\n");
  ASSERT_EQ(o.attributes.size(), 2u);
  EXPECT_EQ(o.attributes[0].name, "route");
  EXPECT_EQ(o.attributes[0].value, "172.20.0.0/24");
  EXPECT_EQ(o.attributes[0].line, 3);
  EXPECT_EQ(o.attributes[1].name, "origin");
  EXPECT_EQ(o.attributes[1].value, "AS1");
  // "origin :AS2" has a space before the colon: not an attribute.
  EXPECT_EQ(o.bad_lines, std::vector<int>{6});
}

TEST(RpslTest, ContinuationLinesAreNeverAttributes) {
  RpslObject o = ParseRpsl(
      "route: 172.20.0.0/24\nremarks: first\n  max-length: 48\n\tsecond\n+\norigin: AS1\n");
  ASSERT_EQ(o.attributes.size(), 3u);
  EXPECT_EQ(o.First("max-length"), nullptr);
  EXPECT_EQ(o.attributes[1].continuation,
            (std::vector<std::string>{"max-length: 48", "second", ""}));
  EXPECT_EQ(o.attributes[2].line, 6);
}

TEST(RpslTest, KeepsNonUtf8Bytes) {
  RpslObject o = ParseRpsl("descr: caf\xe9 \xff\nroute: 10.0.0.0/8\n");
  ASSERT_EQ(o.attributes.size(), 2u);
  EXPECT_EQ(o.attributes[0].value, "caf\xe9 \xff");
}

TEST(RpslTest, LeadingContinuationIsABadLine) {
  RpslObject o = ParseRpsl("  stray\nroute: 10.0.0.0/8\n");
  EXPECT_EQ(o.bad_lines, std::vector<int>{1});
  EXPECT_EQ(o.attributes.size(), 1u);
}

TEST(RpslTest, SingleToken) {
  RpslObject o =
      ParseRpsl("origin: AS1 # note\norigin: AS1 AS2\norigin: AS3\n  more\nmax-length:\n");
  EXPECT_EQ(SingleToken(o.attributes[0]), "AS1");
  EXPECT_EQ(SingleToken(o.attributes[1]), "");
  EXPECT_EQ(SingleToken(o.attributes[2]), "");
  EXPECT_EQ(SingleToken(o.attributes[3]), "");
}

}  // namespace
}  // namespace rtr42::roa
