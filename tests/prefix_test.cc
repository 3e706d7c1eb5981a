#include "roa/prefix.h"

#include <gtest/gtest.h>

namespace rtr42::roa {
namespace {

TEST(PrefixTest, ParsesIpv4) {
  absl::StatusOr<Prefix> p = Prefix::Parse("172.20.0.0/14");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->family(), Family::kIpv4);
  EXPECT_EQ(p->length(), 14);
  EXPECT_EQ(p->ToString(), "172.20.0.0/14");
}

TEST(PrefixTest, CanonicalisesIpv6) {
  absl::StatusOr<Prefix> p = Prefix::Parse("fdc8:0042:0000:0000::/48");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->ToString(), "fdc8:42::/48");
  EXPECT_EQ(Prefix::Parse("FD00::/8")->ToString(), "fd00::/8");
}

TEST(PrefixTest, RejectsHostBits) {
  absl::StatusOr<Prefix> p = Prefix::Parse("172.20.0.1/24");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("host bits"), std::string::npos);
  EXPECT_FALSE(Prefix::Parse("fd00::1/64").ok());
  EXPECT_TRUE(Prefix::Parse("172.20.0.1/32").ok());
}

TEST(PrefixTest, RejectsMalformed) {
  for (const char* bad :
       {"", "172.20.0.0", "172.20.0.0/", "172.20.0.0/33", "fd00::/129", "172.20.0/24",
        "172.20.0.0/2a", "172.20.0.0/-1", "zz::/8", "172.20.0.0/24 ", "172.20.0.0/0024"}) {
    EXPECT_FALSE(Prefix::Parse(bad).ok()) << bad;
  }
}

TEST(PrefixTest, Contains) {
  Prefix net = *Prefix::Parse("172.20.0.0/14");
  EXPECT_TRUE(net.Contains(*Prefix::Parse("172.23.255.0/24")));
  EXPECT_TRUE(net.Contains(net));
  EXPECT_FALSE(net.Contains(*Prefix::Parse("172.24.0.0/24")));
  EXPECT_FALSE(net.Contains(*Prefix::Parse("172.16.0.0/12")));  // shorter: not wholly inside
  EXPECT_FALSE(net.Contains(*Prefix::Parse("fd00::/8")));
  EXPECT_TRUE(Prefix::Parse("0.0.0.0/0")->Contains(net));
  EXPECT_TRUE(Prefix::Parse("fd00::/8")->Contains(*Prefix::Parse("fdff:1::/48")));
}

TEST(PrefixTest, OrdersIpv4BeforeIpv6ThenByAddressAndLength) {
  Prefix a = *Prefix::Parse("10.0.0.0/8"), b = *Prefix::Parse("10.0.0.0/16"),
         c = *Prefix::Parse("172.20.0.0/14"), d = *Prefix::Parse("::/0");
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_LT(c, d);
}

TEST(PrefixTest, FromBytes) {
  uint8_t bytes[4] = {172, 20, 0, 0};
  EXPECT_EQ(Prefix::FromBytes(Family::kIpv4, bytes, 16)->ToString(), "172.20.0.0/16");
  EXPECT_FALSE(Prefix::FromBytes(Family::kIpv4, bytes, 33).ok());
  EXPECT_FALSE(Prefix::FromBytes(Family::kIpv4, bytes, 8).ok());  // host bits
}

}  // namespace
}  // namespace rtr42::roa
