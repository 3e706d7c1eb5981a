// The payload of responses against draft-ietf-sidrops-8210bis-27: the order
// of section 11.2 (for a full set and for a diff with every kind of change),
// the ASPA rules of section 5.12, and the 65,535-byte limit of section 5.1.
#include "rtr/payload.h"

#include <gtest/gtest.h>

#include "rtr/payload_order.h"
#include "tests/test_util.h"

namespace rtr42::rtr {
namespace {

using ::rtr42::testing::V;

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s.push_back(static_cast<char>(x));
  return s;
}

std::vector<Pdu> Decode(const std::string& bytes) {
  std::vector<Pdu> out;
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t n = std::get<size_t>(FramePdu(absl::string_view(bytes).substr(pos)));
    out.push_back(std::get<Pdu>(DecodePdu(bytes.substr(pos, n))));
    pos += n;
  }
  return out;
}

// "+4 10.0.0.0/8-24 AS1" for the tests' expectations.
std::string Show(const Pdu& p) {
  std::string sign = p.announce ? "+" : "-";
  if (p.type == PduType::kAspa) return sign + p.aspa.ToString();
  return sign + p.vrp.ToString();
}
std::vector<std::string> Show(const std::vector<Pdu>& pdus) {
  std::vector<std::string> out;
  for (const Pdu& p : pdus) out.push_back(Show(p));
  return out;
}

void ExpectOrdered(const std::vector<Pdu>& pdus) {
  for (size_t i = 1; i < pdus.size(); ++i) {
    EXPECT_TRUE(PrecedesInResponse(pdus[i - 1], pdus[i]))
        << Show(pdus[i - 1]) << " before " << Show(pdus[i]);
  }
}

// Section 11.2.1: announcements by address, then max length, then prefix
// length, then ASN, all descending; IPv4 (type 4) before IPv6 (type 6);
// section 11.2.3: ASPA (type 11) last, by customer.
TEST(PayloadOrderTest, FullSetFollowsSection11_2) {
  roa::VrpSet set({V("10.0.0.0/8", 24, 1), V("10.0.0.0/16", 16, 1), V("10.0.0.0/8", 16, 2),
                   V("10.0.0.0/8", 16, 0), V("192.0.2.0/24", 24, 7), V("fd42::/48", 64, 5),
                   V("2001:db8::/32", 48, 9)},
                  {{64500, {64501}}, {64496, {64497, 64498}}});
  std::vector<Pdu> pdus = Decode(EncodeFullSet(2, set));
  EXPECT_EQ(Show(pdus), (std::vector<std::string>{
                            "+192.0.2.0/24-24 AS7",
                            "+10.0.0.0/8-24 AS1",   // same address: higher max length first
                            "+10.0.0.0/16-16 AS1",  // same max length: longer prefix first
                            "+10.0.0.0/8-16 AS2",   // same prefix: higher ASN first, AS 0 last
                            "+10.0.0.0/8-16 AS0",
                            "+fd42::/48-64 AS5",
                            "+2001:db8::/32-48 AS9",
                            "+AS64496 => AS64497, AS64498",
                            "+AS64500 => AS64501",
                        }));
  ExpectOrdered(pdus);
  // The same order in versions 0 and 1 (a SHOULD there), without ASPA.
  EXPECT_EQ(Decode(EncodeFullSet(1, set)).size(), 7u);
  EXPECT_EQ(Show(Decode(EncodeFullSet(0, set))[1]), "+10.0.0.0/8-24 AS1");
}

TEST(PayloadOrderTest, DiffWithEveryKindOfChange) {
  roa::VrpSet from({V("10.0.0.0/8", 16, 1), V("10.1.0.0/16", 24, 1), V("fd42::/48", 48, 5),
                    V("fd00::/16", 16, 5)},
                   {{64496, {64497}}, {64500, {64501}}, {64510, {64511}}});
  roa::VrpSet to({V("10.0.0.0/8", 24, 1), V("10.2.0.0/16", 16, 2), V("fd42::/48", 48, 5),
                  V("fd43::/48", 48, 6)},
                 {{64496, {64497, 64498}}, {64510, {64511}}, {64520, {0}}});
  std::vector<Pdu> pdus = Decode(EncodeDiff(2, roa::Diff(from, to)));
  EXPECT_EQ(Show(pdus), (std::vector<std::string>{
                            // IPv4: announcements descending, then withdrawals ascending.
                            "+10.2.0.0/16-16 AS2",
                            "+10.0.0.0/8-24 AS1",
                            "-10.0.0.0/8-16 AS1",
                            "-10.1.0.0/16-24 AS1",
                            // IPv6 after every IPv4 PDU.
                            "+fd43::/48-48 AS6",
                            "-fd00::/16-16 AS5",
                            // ASPA: a changed record is one announcement that replaces it;
                            // a new one; then the customer that is gone, withdrawn.
                            "+AS64496 => AS64497, AS64498",
                            "+AS64520 => AS0",
                            "-AS64500 =>",
                        }));
  ExpectOrdered(pdus);
  EXPECT_EQ(DiffPduCount(2, roa::Diff(from, to)), 9u);
  EXPECT_EQ(DiffPduCount(1, roa::Diff(from, to)), 6u);
  // The withdrawal is the customer alone: 12 bytes (section 5.12).
  std::string w;
  AppendAspa(&w, 2, false, {64500, {}});
  EXPECT_EQ(w, Bytes({2, 11, 0, 0, 0, 0, 0, 12, 0, 0, 0xfb, 0xf4}));
}

TEST(PayloadOrderTest, PrecedesInResponseIsTheSection11_2Order) {
  auto prefix = [](bool announce, roa::Vrp v) {
    Pdu p;
    p.type = v.prefix.is_ipv4() ? PduType::kIpv4Prefix : PduType::kIpv6Prefix;
    p.announce = announce;
    p.vrp = v;
    return p;
  };
  Pdu aspa;
  aspa.type = PduType::kAspa;
  aspa.announce = true;
  aspa.aspa = {1, {2}};
  // Type first: an IPv6 withdrawal precedes an IPv4 announcement nowhere.
  EXPECT_FALSE(PrecedesInResponse(prefix(false, V("fd42::/48", 48, 1)),
                                  prefix(true, V("10.0.0.0/8", 8, 1))));
  EXPECT_TRUE(PrecedesInResponse(prefix(false, V("10.0.0.0/8", 8, 1)),
                                 prefix(true, V("fd42::/48", 48, 1))));
  // Within a type: announcements first, descending; withdrawals ascending.
  EXPECT_TRUE(PrecedesInResponse(prefix(true, V("10.0.0.0/8", 8, 1)),
                                 prefix(false, V("10.0.0.0/8", 8, 1))));
  EXPECT_TRUE(PrecedesInResponse(prefix(true, V("10.1.0.0/16", 16, 1)),
                                 prefix(true, V("10.0.0.0/8", 8, 1))));
  EXPECT_FALSE(PrecedesInResponse(prefix(false, V("10.1.0.0/16", 16, 1)),
                                  prefix(false, V("10.0.0.0/8", 8, 1))));
  EXPECT_TRUE(PrecedesInResponse(prefix(true, V("fd42::/48", 48, 1)), aspa));
  EXPECT_FALSE(PrecedesInResponse(aspa, aspa));  // a total order: nothing precedes itself
}

// Section 5.12: AS 0 never among other providers; section 5.1: a PDU is at
// most 65,535 bytes, so a record is never cut but dropped whole.
TEST(PayloadAspaTest, As0AndThe65535ByteLimit) {
  roa::VrpSet set({}, {{1, {0, 5, 3, 5}}, {2, {0}}});
  ASSERT_EQ(set.aspas().size(), 2u);
  EXPECT_EQ(set.aspas()[0], (roa::Aspa{1, {3, 5}}));
  EXPECT_EQ(set.aspas()[1], (roa::Aspa{2, {0}}));  // AS 0 alone stays: "no provider"

  std::vector<uint32_t> fits, too_many;
  for (uint32_t p = 1; p <= 16380; ++p) fits.push_back(p);
  too_many = fits;
  too_many.push_back(16381);
  roa::VrpSet big({}, {{10, fits}, {11, too_many}});
  ASSERT_EQ(big.aspas().size(), 1u);
  EXPECT_EQ(big.aspas()[0].customer, 10u);
  EXPECT_EQ(big.oversized_aspas(), (std::vector<uint32_t>{11}));
  std::string pdu;
  AppendAspa(&pdu, 2, true, big.aspas()[0]);
  EXPECT_EQ(pdu.size(), 65532u);
  EXPECT_EQ(std::get<size_t>(FramePdu(pdu)), 65532u);
}

// RFC 8210 section 5.10 (and 8210bis-27 section 5.11): version, type 9,
// flags, zero, length, SKI (20 bytes), ASN, SPKI; none in version 0; in a
// response after the IPv6 prefixes and before ASPA (section 11.2.2).
TEST(PayloadRouterKeyTest, LayoutOrderAndVersions) {
  roa::RouterKey key{std::string(20, '\x0a'), 64496, "\x30\x13spki"};
  std::string pdu;
  AppendRouterKey(&pdu, 1, true, key);
  EXPECT_EQ(pdu, Bytes({1,  9,  1,  0,  0,    0,    0,    38,   10,  10,  10,  10, 10,
                        10, 10, 10, 10, 10,   10,   10,   10,   10,  10,  10,  10, 10,
                        10, 10, 0,  0,  0xfb, 0xf0, 0x30, 0x13, 's', 'p', 'k', 'i'}));
  Pdu decoded = Decode(pdu)[0];
  EXPECT_EQ(decoded.router_key(), key);
  EXPECT_TRUE(decoded.announce);

  roa::RouterKey other{std::string(20, '\x01'), 64497, "\x30\x00"};
  roa::VrpSet set({V("10.0.0.0/8", 8, 1), V("fd42::/48", 48, 2)}, {{64496, {64497}}}, {key, other});
  std::vector<Pdu> v2 = Decode(EncodeFullSet(2, set));
  ASSERT_EQ(v2.size(), 5u);
  EXPECT_EQ(v2[2].type, PduType::kRouterKey);
  EXPECT_EQ(v2[2].router_key(), other);  // lower SKI first
  EXPECT_EQ(v2[3].router_key(), key);
  EXPECT_EQ(v2[4].type, PduType::kAspa);
  ExpectOrdered(v2);
  EXPECT_EQ(Decode(EncodeFullSet(1, set)).size(), 4u);
  for (const Pdu& p : Decode(EncodeFullSet(0, set))) EXPECT_NE(p.type, PduType::kRouterKey);
  // A diff: the new key announced, the old one withdrawn.
  roa::VrpSet next({V("10.0.0.0/8", 8, 1), V("fd42::/48", 48, 2)}, {{64496, {64497}}},
                   {key, {std::string(20, '\x02'), 64498, "\x30\x01"}});
  std::vector<Pdu> diff = Decode(EncodeDiff(1, roa::Diff(set, next)));
  ASSERT_EQ(diff.size(), 2u);
  EXPECT_TRUE(diff[0].announce);
  EXPECT_EQ(diff[0].router_key().asn, 64498u);
  EXPECT_FALSE(diff[1].announce);
  EXPECT_EQ(diff[1].router_key(), other);
  EXPECT_EQ(DiffPduCount(0, roa::Diff(set, next)), 0u);
}

}  // namespace
}  // namespace rtr42::rtr
