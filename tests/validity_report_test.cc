// daemon::ValidityReport over a compiled registry: each VRP names the route
// object and filter rule behind it, and dropped objects are listed; and
// daemon::RenderStatusPage over the same; daemon::Webhook's signatures (RFC 4231's HMAC-SHA256
// vectors) and answers.
#include "daemon/validity_report.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "daemon/status_page.h"
#include "daemon/webhook.h"
#include "roa/compiler.h"
#include "tests/test_util.h"

namespace rtr42::daemon {
namespace {

namespace bh = boost::beast::http;

class ValidityReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    roa::RegistryDelta delta;
    delta.full = true;
    delta.changes = {
        {roa::kFilterPath, "1100 permit 172.20.0.0/14 21 29\n9999 deny 0.0.0.0/0 0 32\n"},
        {roa::kFilter6Path, "9999 deny ::/0 0 128\n"},
        {"data/route/172.20.1.0_24", "route: 172.20.1.0/24\norigin: AS4242420001\n"},
        {"data/route/172.20.2.0_24",
         "route: 172.20.2.0/24\nmax-length: 26\norigin: AS4242420002\n"},
        {"data/route/172.20.9.0_30", "route: 172.20.9.0/30\norigin: AS4242420003\n"},
    };
    ASSERT_TRUE(compiler_.Apply(delta).ok());
    SourceStatus source;
    source.name = "registry";
    source.origins = std::make_shared<const std::vector<roa::VrpOrigin>>(compiler_.Origins());
    source.diagnostics =
        std::make_shared<const std::vector<roa::Diagnostic>>(compiler_.Diagnostics());
    status_.sources.push_back(source);
    update_ = std::make_shared<rtr::Update>(
        1234, 7, std::make_shared<const roa::VrpSet>(compiler_.BuildSet()),
        std::vector<std::shared_ptr<const rtr::SerialStep>>{}, "abc");
  }
  nlohmann::json Report(const char* asn, const char* prefix) {
    absl::StatusOr<RouteQuery> q = ParseRouteQuery(asn, prefix);
    EXPECT_TRUE(q.ok()) << q.status();
    return ValidityReport(*update_, status_, *q, absl::FromUnixSeconds(0));
  }
  roa::RegistryCompiler compiler_;
  LoopStatus status_;
  std::shared_ptr<rtr::Update> update_;
};

TEST_F(ValidityReportTest, ValidNamesTheObjectAndTheRule) {
  nlohmann::json r = Report("AS4242420001", "172.20.1.0/25");
  const nlohmann::json& v = r["validated_route"]["validity"];
  EXPECT_EQ(v["state"], "valid");
  ASSERT_EQ(v["VRPs"]["matched"].size(), 1u) << r.dump(2);
  const nlohmann::json& vrp = v["VRPs"]["matched"][0];
  EXPECT_EQ(vrp["max_length"], "29");
  EXPECT_EQ(vrp["asn"], "AS4242420001");
  const nlohmann::json& origin = vrp["origins"][0];
  EXPECT_EQ(origin["file"], "data/route/172.20.1.0_24");
  EXPECT_EQ(origin["line"], 1);
  EXPECT_EQ(origin["max_length_from"], "rule");
  EXPECT_EQ(origin["rule"]["number"], 1100);
  EXPECT_EQ(origin["rule"]["file"], "data/filter.txt");
  EXPECT_EQ(origin["rule"]["line"], 1);
  EXPECT_EQ(origin["rule"]["text"], "permit 172.20.0.0/14 21-29");
  EXPECT_EQ(r["serial"], 7);
  EXPECT_EQ(r["generatedTime"], "1970-01-01T00:00:00Z");
}

TEST_F(ValidityReportTest, InvalidByLengthAndByAsn) {
  nlohmann::json len = Report("4242420002", "172.20.2.0/27");
  EXPECT_EQ(len["validated_route"]["validity"]["state"], "invalid");
  EXPECT_EQ(len["validated_route"]["validity"]["reason"], "length");
  const nlohmann::json& vrp = len["validated_route"]["validity"]["VRPs"]["unmatched_length"][0];
  EXPECT_EQ(vrp["max_length"], "26");
  EXPECT_EQ(vrp["origins"][0]["max_length_from"], "attribute");
  EXPECT_EQ(vrp["origins"][0]["max_length_line"], 2);
  nlohmann::json as = Report("AS4242420009", "172.20.2.0/24");
  EXPECT_EQ(as["validated_route"]["validity"]["reason"], "as");
  EXPECT_EQ(as["validated_route"]["validity"]["VRPs"]["unmatched_as"].size(), 1u);
}

TEST_F(ValidityReportTest, NotFoundListsTheDroppedObject) {
  // 172.20.9.0/30 is longer than the rule's MaxLen 29: dropped.
  nlohmann::json r = Report("AS4242420003", "172.20.9.0/30");
  EXPECT_EQ(r["validated_route"]["validity"]["state"], "not-found");
  ASSERT_EQ(r["dropped"].size(), 1u) << r.dump(2);
  EXPECT_EQ(r["dropped"][0]["file"], "data/route/172.20.9.0_30");
  EXPECT_NE(r["dropped"][0]["reason"].get<std::string>().find("MaxLen 29"), std::string::npos);
  // Another route elsewhere lists nothing dropped.
  EXPECT_TRUE(Report("AS1", "172.21.0.0/24")["dropped"].empty());
}

TEST(RouteQueryTest, BadInputIsNamed) {
  EXPECT_NE(ParseRouteQuery("ASX", "10.0.0.0/8").status().message().find("'ASX'"),
            std::string::npos);
  EXPECT_NE(ParseRouteQuery("AS1", "10.0.0.1/8").status().message().find("prefix"),
            std::string::npos);
  EXPECT_TRUE(ParseRouteQuery("1", "fd42::/48").ok());
}

TEST(WebhookTest, SignaturesAreHmacSha256) {
  // RFC 4231 section 4.3, test case 2.
  const char* mac = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  EXPECT_TRUE(WebhookSignatureMatches("Jefe", "what do ya want for nothing?", mac));
  EXPECT_TRUE(WebhookSignatureMatches("Jefe", "what do ya want for nothing?",
                                      std::string("sha256=") + mac));
  EXPECT_FALSE(WebhookSignatureMatches("Jefe", "what do ya want for nothing!", mac));
  EXPECT_FALSE(WebhookSignatureMatches("jefe", "what do ya want for nothing?", mac));
  EXPECT_FALSE(WebhookSignatureMatches("Jefe", "what do ya want for nothing?", "5bdc"));
}

http::Request Post(const std::string& body, const std::string& header, const std::string& value) {
  http::Request r{bh::verb::post, "/api/v1/refresh", 11};
  r.body() = body;
  if (!header.empty()) r.set(header, value);
  r.prepare_payload();
  return r;
}

TEST(WebhookTest, AnswersAndRateLimit) {
  testing::LogCapture log;
  int polls = 0;
  Webhook hook("Jefe", [&polls] { ++polls; });
  const std::string body = "what do ya want for nothing?";
  const std::string mac = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  EXPECT_EQ(hook.Handle(Post(body, "X-Gitea-Signature", mac)).result(), bh::status::accepted);
  EXPECT_EQ(hook.Handle(Post(body, "X-Hub-Signature-256", "sha256=" + mac)).result(),
            bh::status::accepted);
  EXPECT_EQ(polls, 2);
  EXPECT_EQ(hook.Handle(Post(body + "x", "X-Gitea-Signature", mac)).result(),
            bh::status::unauthorized);
  EXPECT_EQ(hook.Handle(Post(body, "", "")).result(), bh::status::unauthorized);
  EXPECT_EQ(polls, 2);
  EXPECT_EQ(hook.stats().bad_signature, 2u);
  // Refusals are logged once a minute, not once each.
  EXPECT_EQ(log.Count(LogLevel::kWarning, "webhook: refused"), 1) << log.All();
  int refused = 0;
  for (int i = 0; i < Webhook::kMaxPerMinute; ++i) {
    http::Response r = hook.Handle(Post(body, "X-Gitea-Signature", mac));
    if (r.result() == bh::status::too_many_requests) {
      ++refused;
      EXPECT_FALSE(r[bh::field::retry_after].empty());
    }
  }
  EXPECT_EQ(refused, 4);  // 4 calls were made before
  EXPECT_EQ(hook.stats().rate_limited, 4u);
  EXPECT_EQ(polls, 2 + Webhook::kMaxPerMinute - 4);
}

// The status page over a two-serial history, one router and the
// compiler's diagnostics (plus one whose text would be markup).
class StatusPageTest : public ValidityReportTest {
 protected:
  void SetUp() override {
    ValidityReportTest::SetUp();
    rtr::History history(4321);
    history.Commit(std::make_shared<const roa::VrpSet>(
                       std::vector<roa::Vrp>{::rtr42::testing::V("172.20.1.0/24", 29, 4242420001)}),
                   "first", absl::FromUnixSeconds(100));
    current_ = history.Commit(std::make_shared<const roa::VrpSet>(compiler_.BuildSet()),
                              std::string(40, 'a'), absl::FromUnixSeconds(200));
    ASSERT_NE(current_, nullptr);
    auto diagnostics = std::make_shared<std::vector<roa::Diagnostic>>(compiler_.Diagnostics());
    diagnostics->push_back({.file = "data/route/10.0.0.0_8",
                            .line = 2,
                            .object = "10.0.0.0/8",
                            .reason = "<script>alert(1)</script>"});
    status_.sources[0].diagnostics = diagnostics;
    status_.sources[0].polls = 3;
    status_.sources[0].last_ok = true;
    session_.peer = "127.0.0.1:40000";
    session_.version = 1;
    session_.serial = current_->serial();
    session_.bytes_sent = 1234;
    session_.queries = 2;
    session_.last_query_kind = "Serial Query";
    session_.last_query = absl::FromUnixSeconds(250);
  }
  std::string Page(StatusPageRequest request = {}) {
    return RenderStatusPage(status_, current_.get(), {session_}, request,
                            absl::FromUnixSeconds(300));
  }
  std::shared_ptr<const rtr::Update> current_;
  rtr::SessionInfo session_;
};

TEST_F(StatusPageTest, ShowsTheSetTheSourceTheRouterAndTheHistory) {
  std::string page = Page();
  EXPECT_TRUE(
      absl::StrContains(page, absl::StrCat("<b id=\"serial\">", current_->serial(), "</b>")));
  EXPECT_TRUE(absl::StrContains(page, "<b id=\"session-id\">4321</b>"));
  EXPECT_TRUE(absl::StrContains(
      page, absl::StrCat("<b id=\"vrps-ipv4\">", current_->set().ipv4_count(), "</b>")));
  EXPECT_TRUE(absl::StrContains(page, "<b id=\"router-count\">1</b>"));
  EXPECT_TRUE(absl::StrContains(page, "<td class=\"badge ok\">ok</td>"));
  EXPECT_TRUE(absl::StrContains(page, "<td class=\"peer\">127.0.0.1:40000</td>"));
  EXPECT_TRUE(absl::StrContains(page, absl::StrCat("<td class=\"held\">", current_->serial(),
                                                   " <span class=\"ok\">(current)</span>")));
  EXPECT_TRUE(absl::StrContains(page, "Serial Query, <span title="));
  // The step to the newest serial, with its revision cut to 12 digits.
  EXPECT_TRUE(absl::StrContains(page, "<code>aaaaaaaaaaaa</code>"));
  EXPECT_TRUE(absl::StrContains(page, "<svg id=\"history-chart\""));
  EXPECT_TRUE(absl::StrContains(page, "<polyline class=\"IPv4\""));
  EXPECT_FALSE(absl::StrContains(page, "<script"));  // escaped, and no script of our own
  EXPECT_TRUE(absl::StrContains(page, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_FALSE(absl::StrContains(page, "lookup-result"));                     // no lookup asked
  EXPECT_TRUE(absl::StrContains(page, "<span class=\"muted\">none</span>"));  // no failure yet

  // A source that failed, then answered again, keeps the failure's reason.
  status_.sources[0].last_failure = absl::FromUnixSeconds(240);
  status_.sources[0].last_failure_reason = "fetch https://git.dn42.dev: <timeout>";
  status_.sources[0].failures = 1;
  page = Page();
  EXPECT_TRUE(
      absl::StrContains(page, "60 s ago</span>: fetch https://git.dn42.dev: &lt;timeout&gt;"))
      << page;
  EXPECT_TRUE(absl::StrContains(page, "1 of 3 polls failed; answering again"));
  status_.sources[0].last_ok = false;
  EXPECT_TRUE(absl::StrContains(Page(), "<td class=\"badge failing\">failing</td>"));
}

TEST_F(StatusPageTest, FiltersTheDiagnostics) {
  size_t all = status_.sources[0].diagnostics->size();
  ASSERT_GE(all, 2u);
  std::string page = Page({.filter = "ALERT"});  // case-insensitive
  EXPECT_EQ(absl::StrContains(page, "data/route/10.0.0.0_8:2"), true);
  size_t rows = 0;
  for (size_t at = 0; (at = page.find("<tr class=\"diagnostic\">", at)) != std::string::npos;
       ++at) {
    ++rows;
  }
  EXPECT_EQ(rows, 1u);
  EXPECT_TRUE(
      absl::StrContains(page, absl::StrCat(">1 of ", all, " diagnostics match the filter")));
  EXPECT_TRUE(absl::StrContains(page, "name=\"q\" value=\"ALERT\""));
}

TEST_F(StatusPageTest, LooksUpARoute) {
  auto state_of = [&](const char* asn, const char* prefix) {
    std::string page = Page({.asn = asn, .prefix = prefix});
    size_t at = page.find("<div id=\"lookup-result\" data-state=\"");
    if (at == std::string::npos) return std::string("none");
    at += sizeof("<div id=\"lookup-result\" data-state=\"") - 1;
    return page.substr(at, page.find('"', at) - at);
  };
  EXPECT_EQ(state_of("AS4242420001", "172.20.1.0/25"), "valid");
  EXPECT_EQ(state_of("AS4242420009", "172.20.1.0/25"), "invalid");
  EXPECT_EQ(state_of("AS4242420001", "10.1.0.0/16"), "not-found");
  EXPECT_EQ(state_of("ASfoo", "10.1.0.0/16"), "error");
  std::string page = Page({.asn = "AS4242420001", .prefix = "172.20.1.0/25"});
  EXPECT_TRUE(absl::StrContains(page, "<code>data/route/172.20.1.0_24:1</code>"));
  EXPECT_TRUE(absl::StrContains(page, "admitted by rule 1100 <code>"));
  // An answer is no worse without a set.
  EXPECT_TRUE(absl::StrContains(
      RenderStatusPage(status_, nullptr, {}, {.asn = "AS1", .prefix = "10.0.0.0/8"},
                       absl::FromUnixSeconds(300)),
      "no VRP set loaded yet"));
}

}  // namespace
}  // namespace rtr42::daemon
