#include "roa/vrp_format.h"

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "tests/test_util.h"

namespace rtr42::roa {
namespace {

using ::rtr42::testing::V;
VrpSet Sample() {
  return VrpSet({V("172.20.0.0/24", 28, 4242420000), V("fd42::/48", 64, 4242420001)});
}

TEST(VrpFormatTest, JsonRoundTrips) {
  FormatOptions o;
  o.generated = 1700000000;
  o.commit = "abc";
  std::string json = FormatVrps(Sample(), OutputFormat::kJson, o);
  EXPECT_NE(json.find("\"counts\": 2"), std::string::npos);
  EXPECT_NE(json.find("\"generated\": 1700000000"), std::string::npos);
  EXPECT_NE(json.find("\"valid\": 1700086400"), std::string::npos);
  EXPECT_NE(json.find("\"commit\": \"abc\""), std::string::npos);
  EXPECT_NE(
      json.find("{\"prefix\": \"172.20.0.0/24\", \"maxLength\": 28, \"asn\": \"AS4242420000\"}"),
      std::string::npos);
  absl::StatusOr<VrpSet> back = ParseVrpJson(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, Sample());
}

TEST(VrpFormatTest, EmptySetIsValidJson) {
  std::string json = FormatVrps(VrpSet(), OutputFormat::kJson, {});
  absl::StatusOr<VrpSet> back = ParseVrpJson(json);
  ASSERT_TRUE(back.ok()) << back.status() << json;
  EXPECT_EQ(back->size(), 0u);
}

TEST(VrpFormatTest, BirdAndCsv) {
  EXPECT_EQ(FormatVrps(Sample(), OutputFormat::kBird2, {}),
            "route 172.20.0.0/24 max 28 as 4242420000;\nroute fd42::/48 max 64 as 4242420001;\n");
  EXPECT_EQ(FormatVrps(Sample(), OutputFormat::kBird1, {.family = Family::kIpv6}),
            "roa fd42::/48 max 64 as 4242420001;\n");
  EXPECT_EQ(FormatVrps(Sample(), OutputFormat::kCsv, {.family = Family::kIpv4}),
            "ASN,IP Prefix,Max Length,Trust Anchor\nAS4242420000,172.20.0.0/24,28,dn42\n");
}

TEST(VrpFormatTest, ParsesNumericAsnsAndMissingMaxLength) {
  absl::StatusOr<VrpSet> s = ParseVrpJson(
      R"({"metadata": {"x": [1, 2]}, "roas": [{"prefix": "10.0.0.0/8", "asn": 65000, "ta": "x"},
          {"prefix": "10.0.0.0/8", "maxLength": 24, "asn": "as65001", "expires": 1}]})");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ(s->vrps()[0].max_length, 8);
  EXPECT_EQ(s->vrps()[0].asn, 65000u);
  EXPECT_EQ(s->vrps()[1].asn, 65001u);
}

TEST(VrpFormatTest, RejectsBadEntriesWithTheirIndex) {
  struct Case {
    const char* json;
    const char* expect;
  } cases[] = {
      {R"({"roas": [{"prefix": "10.0.0.0/8", "asn": 1}, {"prefix": "10.0.0.1/8", "asn": 1}]})",
       "roas[1]"},
      {R"({"roas": [{"prefix": "10.0.0.0/8", "maxLength": 33, "asn": 1}]})", "roas[0]"},
      {R"({"roas": [{"prefix": "10.0.0.0/8", "maxLength": 7, "asn": 1}]})", "does not fit"},
      {R"({"roas": [{"prefix": "10.0.0.0/8", "asn": "ASx"}]})", "not an AS number"},
      {R"({"roas": [{"prefix": "10.0.0.0/8"}]})", "no asn"},
      {R"({"roas": [{"prefix": "10.0.0.0/8", "asn": 1})", "syntax error"},
      {R"({"vrps": []})", "no \"roas\""},
  };
  for (const Case& c : cases) {
    absl::StatusOr<VrpSet> s = ParseVrpJson(c.json);
    ASSERT_FALSE(s.ok()) << c.json;
    EXPECT_NE(s.status().message().find(c.expect), std::string::npos) << s.status();
  }
}

// The shape rpki-client writes: numeric customer_asid and providers, with
// an expiry the cache has no use for.
TEST(VrpFormatTest, ReadsAndWritesAspas) {
  absl::StatusOr<VrpSet> s = ParseVrpJson(R"({
    "roas": [{"prefix": "10.0.0.0/8", "maxLength": 8, "asn": "AS64496"}],
    "aspas": [
      {"customer_asid": 64500, "expires": 1700000000, "providers": [64502, 64501, 64501]},
      {"customer_asid": "AS64496", "expires": 1700000000, "providers": ["AS4242420000", 64497]}
    ]})");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->size(), 1u);
  EXPECT_EQ(s->aspas(), (std::vector<Aspa>{{64496, {64497, 4242420000}}, {64500, {64501, 64502}}}));
  std::string json = FormatVrps(*s, OutputFormat::kJson, {});
  EXPECT_NE(json.find("{\"customer_asid\": 64496, \"providers\": [64497, 4242420000]}"),
            std::string::npos)
      << json;
  absl::StatusOr<VrpSet> back = ParseVrpJson(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, *s);
  // No aspas member when there are none, as before.
  EXPECT_EQ(FormatVrps(Sample(), OutputFormat::kJson, {}).find("aspas"), std::string::npos);
}

// rpki-client and StayRTR write BGPsec keys as {"asn", "ski" (hex),
// "pubkey" (base64 DER)}.
TEST(VrpFormatTest, ReadsAndWritesRouterKeys) {
  absl::StatusOr<VrpSet> set = ParseVrpJson(R"({"roas": [],
    "bgpsec_keys": [{"asn": 64496, "ski": "0A0B0C0D0E0F101112131415161718191A1B1C1D",
                     "pubkey": "MBMGByqGSM49AgEGCCqGSM49AwEHA0IA", "expires": 1}]})");
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->router_keys().size(), 1u);
  const RouterKey& k = set->router_keys()[0];
  EXPECT_EQ(k.asn, 64496u);
  EXPECT_EQ(absl::BytesToHexString(k.ski), "0a0b0c0d0e0f101112131415161718191a1b1c1d");
  EXPECT_EQ(k.spki.size(), 24u);
  std::string json = FormatVrps(*set, OutputFormat::kJson, {});
  absl::StatusOr<VrpSet> again = ParseVrpJson(json);
  ASSERT_TRUE(again.ok()) << again.status() << json;
  EXPECT_EQ(*again, *set);
  for (
      const char* bad :
      {R"({"roas": [], "bgpsec_keys": [{"asn": 1, "ski": "0a0b", "pubkey": "MA"}]})",
       R"({"roas": [], "bgpsec_keys": [{"ski": "0A0B0C0D0E0F101112131415161718191A1B1C1D", "pubkey": "MA"}]})"}) {
    absl::StatusOr<VrpSet> b = ParseVrpJson(bad);
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_NE(b.status().message().find("bgpsec_keys[0]"), std::string::npos) << b.status();
  }
}

TEST(VrpFormatTest, RejectsBadAspasWithTheirIndex) {
  struct Case {
    const char* json;
    const char* expect;
  } cases[] = {
      {R"({"roas": [], "aspas": [{"customer_asid": 1, "providers": [2]}, {"providers": [2]}]})",
       "aspas[1]: no customer_asid"},
      {R"({"roas": [], "aspas": [{"customer_asid": 1, "providers": []}]})", "no providers"},
      {R"({"roas": [], "aspas": [{"customer_asid": 1, "providers": ["ASx"]}]})",
       "not an AS number"},
      {R"({"roas": [], "aspas": [{"customer_asid": 4294967296, "providers": [1]}]})",
       "out of range"},
      {R"({"roas": [], "aspas": [{"customer_asid": 1.5, "providers": [1]}]})", "not an integer"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<VrpSet> s = ParseVrpJson(c.json);
    ASSERT_FALSE(s.ok()) << c.json;
    EXPECT_NE(s.status().message().find(c.expect), std::string::npos) << s.status();
  }
}

TEST(VrpFormatTest, ReadsFilesInChunks) {
  rtr42::testing::TempDir dir;
  std::vector<Vrp> vrps;
  for (uint32_t i = 0; i < 20000; ++i) {  // several read chunks
    uint8_t b[4] = {10, uint8_t(i >> 8), uint8_t(i), 0};
    vrps.push_back(Vrp{*Prefix::FromBytes(Family::kIpv4, b, 24), 24, 64512 + i});
  }
  VrpSet set(vrps);
  std::string path = dir.path() + "/vrps.json";
  rtr42::testing::WriteFile(path, FormatVrps(set, OutputFormat::kJson, {}));
  absl::StatusOr<VrpSet> back = ReadVrpJsonFile(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, set);
  std::string text = FormatVrps(set, OutputFormat::kJson, {});
  rtr42::testing::WriteFile(path, text.substr(0, text.size() / 2));
  absl::StatusOr<VrpSet> cut = ReadVrpJsonFile(path);
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.status().message().find(path), std::string::npos);
  EXPECT_FALSE(ReadVrpJsonFile(dir.path() + "/missing.json").ok());
}

}  // namespace
}  // namespace rtr42::roa

namespace rtr42::roa {
namespace {

TEST(VrpJsonShapeTest, EntriesMustBeObjectsAndArraysAppearOnce) {
  struct Case {
    const char* json;
    const char* error;
  } cases[] = {
      {R"({"roas": [["172.20.0.0/24", 24, "AS1"]]})", "roas[0]: is an array, not an object"},
      {R"({"roas": [1, 2]})", "roas[0]: is not an object"},
      {R"({"roas": ["172.20.0.0/24"]})", "roas[0]: is not an object"},
      {R"({"roas": [], "roas": [{"prefix": "10.0.0.0/8", "asn": 1}]})", "\"roas\" twice"},
      {R"({"roas": [], "aspas": [7]})", "aspas[0]: is not an object"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<VrpSet> set = ParseVrpJson(c.json);
    ASSERT_FALSE(set.ok()) << c.json;
    EXPECT_NE(set.status().message().find(c.error), std::string::npos)
        << c.json << ": " << set.status();
  }
  EXPECT_TRUE(ParseVrpJson(R"({"roas": [{"prefix": "10.0.0.0/8", "asn": "AS1"}]})").ok());
}

}  // namespace
}  // namespace rtr42::roa
