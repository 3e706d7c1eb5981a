// SLURM (RFC 8416): parsing the RFC's example shape, applying filters and
// assertions, and rejecting invalid files with a reason.
#include "roa/slurm.h"

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace rtr42::roa {
namespace {

using ::rtr42::testing::V;

// The structure of RFC 8416 section 3.5's full example.
constexpr char kExample[] = R"({
  "slurmVersion": 1,
  "validationOutputFilters": {
    "prefixFilters": [
      {"prefix": "192.0.2.0/24", "comment": "All VRPs encompassed by prefix"},
      {"asn": 64496, "comment": "All VRPs matching ASN"},
      {"prefix": "198.51.100.0/24", "asn": 64497, "comment": "All VRPs encompassed by prefix, matching ASN"}
    ],
    "bgpsecFilters": [
      {"asn": 64496, "comment": "All keys for ASN"},
      {"SKI": "Zm9v", "comment": "Key matching Router SKI"}
    ]
  },
  "locallyAddedAssertions": {
    "prefixAssertions": [
      {"asn": 64496, "prefix": "198.51.100.0/24", "comment": "My other important route"},
      {"asn": 64496, "prefix": "2001:DB8::/32", "maxPrefixLength": 48, "comment": "My other important de-aggregated routes"}
    ],
    "bgpsecAssertions": [
      {"asn": 64496, "comment": "My known key for my important ASN", "SKI": "AAECAwQFBgcICQoLDA0ODxAREhM", "routerPublicKey": "YmFy"}
    ]
  }
})";

TEST(SlurmTest, ParsesTheRfcExample) {
  absl::StatusOr<Slurm> s = ParseSlurm(kExample, "local.slurm");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->prefix_filters.size(), 3u);
  EXPECT_EQ(s->prefix_filters[0].prefix->ToString(), "192.0.2.0/24");
  EXPECT_FALSE(s->prefix_filters[0].asn.has_value());
  EXPECT_EQ(*s->prefix_filters[1].asn, 64496u);
  ASSERT_EQ(s->bgpsec_filters.size(), 2u);
  EXPECT_EQ(s->bgpsec_filters[0].asn, 64496u);
  EXPECT_EQ(s->bgpsec_filters[1].ski, "foo");
  EXPECT_EQ(s->prefix_assertions,
            (std::vector<Vrp>{V("198.51.100.0/24", 24, 64496), V("2001:db8::/32", 48, 64496)}));
  ASSERT_EQ(s->bgpsec_assertions.size(), 1u);
  EXPECT_EQ(s->bgpsec_assertions[0].ski.size(), 20u);
  EXPECT_EQ(s->bgpsec_assertions[0].spki, "bar");
}

TEST(SlurmTest, AppliesFiltersThenAssertions) {
  Slurm s = *ParseSlurm(kExample, "local.slurm");
  VrpSet in({V("192.0.2.0/24", 24, 1), V("192.0.2.128/25", 25, 2),  // inside filter 1
             V("203.0.113.0/24", 24, 64496),                        // filter 2 (ASN)
             V("198.51.100.0/24", 24, 64497),                       // filter 3 (both)
             V("198.51.100.0/24", 24, 64498),                       // same prefix, other ASN: kept
             V("192.0.0.0/16", 16, 1)});  // covers filter 1, not inside: kept
  VrpSet out = ApplySlurm(in, s);
  EXPECT_EQ(out.vrps(),
            (std::vector<Vrp>{V("192.0.0.0/16", 16, 1), V("198.51.100.0/24", 24, 64496),
                              V("198.51.100.0/24", 24, 64498), V("2001:db8::/32", 48, 64496)}));
}

// ASPA members (draft-ietf-sidrops-aspa-slurm): a filter drops a customer's
// record, an assertion replaces it.
TEST(SlurmTest, AspaFiltersAndAssertions) {
  absl::StatusOr<Slurm> s = ParseSlurm(R"({
    "slurmVersion": 1,
    "validationOutputFilters": {"prefixFilters": [], "bgpsecFilters": [],
      "aspaFilters": [{"customerAsid": 64496, "comment": "drop"}]},
    "locallyAddedAssertions": {"prefixAssertions": [], "bgpsecAssertions": [],
      "aspaAssertions": [{"customerAsid": 64500, "providerSet": [64502, 64501]},
                         {"customerAsid": 64510, "providers": [64511]}]}
  })",
                                       "aspa.slurm");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->aspa_filters, (std::vector<uint32_t>{64496}));
  VrpSet in({V("10.0.0.0/8", 8, 1)}, {{64496, {1}}, {64497, {2}}, {64500, {3}}});
  VrpSet out = ApplySlurm(in, *s);
  EXPECT_EQ(out.aspas(),
            (std::vector<Aspa>{{64497, {2}}, {64500, {64501, 64502}}, {64510, {64511}}}));
  EXPECT_EQ(out.size(), 1u);
  absl::StatusOr<Slurm> bad = ParseSlurm(R"({
    "slurmVersion": 1,
    "validationOutputFilters": {"prefixFilters": [], "bgpsecFilters": []},
    "locallyAddedAssertions": {"prefixAssertions": [], "bgpsecAssertions": [],
      "aspaAssertions": [{"customerAsid": 64500, "providerSet": []}]}
  })",
                                         "aspa.slurm");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("aspaAssertions[0]"), std::string::npos) << bad.status();
}

// RFC 8416 sections 3.3.2 and 3.4.2 applied to Router Keys: filters by ASN
// and/or SKI, assertions added.
TEST(SlurmTest, BgpsecFiltersAndAssertions) {
  absl::StatusOr<Slurm> s = ParseSlurm(kExample, "example.slurm");
  ASSERT_TRUE(s.ok()) << s.status();
  std::string ski20(20, 'k');
  VrpSet in({}, {},
            {{ski20, 64496, "key-a"},
             {std::string(20, 'x'), 64499, "key-b"},
             {"foo" + std::string(17, '\0'), 64500, "key-c"}});
  VrpSet out = ApplySlurm(in, *s);
  std::vector<std::string> spkis;
  for (const RouterKey& k : out.router_keys()) spkis.push_back(k.spki);
  // AS64496's key is filtered by ASN; the asserted key (AS64496, "bar") is added.
  EXPECT_EQ(spkis, (std::vector<std::string>{"bar", "key-c", "key-b"}));
}

// The version 2 form of draft-ietf-sidrops-aspa-slurm, as NLnet Labs'
// rpki-rs 0.19 reads it: customerAsn and providerAsns.
TEST(SlurmTest, Version2AspaForm) {
  absl::StatusOr<Slurm> s = ParseSlurm(R"({
    "slurmVersion": 2,
    "validationOutputFilters": {"prefixFilters": [], "bgpsecFilters": [],
      "aspaFilters": [{"customerAsn": 64496, "comment": "drop"}]},
    "locallyAddedAssertions": {"prefixAssertions": [], "bgpsecAssertions": [],
      "aspaAssertions": [{"customerAsn": 64500, "providerAsns": [64502, 64501],
                          "comment": "ours"}]}
  })",
                                       "v2.slurm");
  ASSERT_TRUE(s.ok()) << s.status();
  VrpSet out = ApplySlurm(VrpSet({}, {{64496, {1}}, {64500, {3}}}), *s);
  EXPECT_EQ(out.aspas(), (std::vector<Aspa>{{64500, {64501, 64502}}}));
}

TEST(SlurmTest, RejectsInvalidFilesWithAReason) {
  struct Case {
    const char* json;
    const char* expect;
  } cases[] = {
      {"{", "not valid JSON"},
      {R"({"slurmVersion": 3, "validationOutputFilters": {}, "locallyAddedAssertions": {}})",
       "slurmVersion"},
      {R"({"slurmVersion": 2, "validationOutputFilters": {"prefixFilters": [], "bgpsecFilters": [],
           "aspaFilters": [{"providerAsns": [65001]}]},
           "locallyAddedAssertions": {"prefixAssertions": [], "bgpsecAssertions": []}})",
       "aspaFilters[0]"},
      {R"({"slurmVersion": 1, "locallyAddedAssertions": {}})", "validationOutputFilters"},
      {R"({"slurmVersion": 1, "validationOutputFilters": {"bgpsecFilters": []},
           "locallyAddedAssertions": {"prefixAssertions": [], "bgpsecAssertions": []}})",
       "prefixFilters"},
      {R"({"slurmVersion": 1, "validationOutputFilters": {"prefixFilters": [{"comment": "x"}], "bgpsecFilters": []},
           "locallyAddedAssertions": {"prefixAssertions": [], "bgpsecAssertions": []}})",
       "prefixFilters[0]"},
      {R"({"slurmVersion": 1, "validationOutputFilters": {"prefixFilters": [], "bgpsecFilters": []},
           "locallyAddedAssertions": {"prefixAssertions": [{"asn": 1, "prefix": "10.0.0.0/8", "maxPrefixLength": 7}],
           "bgpsecAssertions": []}})",
       "maxPrefixLength"},
      {R"({"slurmVersion": 1, "validationOutputFilters": {"prefixFilters": [{"prefix": "10.0.0.1/8"}], "bgpsecFilters": []},
           "locallyAddedAssertions": {"prefixAssertions": [], "bgpsecAssertions": []}})",
       "host bits"},
      {R"({"slurmVersion": 1, "validationOutputFilters": {"prefixFilters": [{"asn": 4294967296}], "bgpsecFilters": []},
           "locallyAddedAssertions": {"prefixAssertions": [], "bgpsecAssertions": []}})",
       "AS number"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Slurm> s = ParseSlurm(c.json, "x.slurm");
    ASSERT_FALSE(s.ok()) << c.json;
    EXPECT_NE(s.status().message().find(c.expect), std::string::npos) << s.status();
    EXPECT_EQ(s.status().message().substr(0, 8), "x.slurm:");
  }
}

}  // namespace
}  // namespace rtr42::roa
