// roa-compile --diff: run as a CI job runs it, on a small repository made
// here and on pairs of commits of the real registry bundle, whose answer must
// equal the difference of two full compiles.
#include "roa/compile_diff.h"

#include <gtest/gtest.h>

#include <map>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "roa/compiler.h"
#include "sources/git_source.h"
#include "tests/test_util.h"

namespace rtr42::roa {
namespace {

using ::rtr42::testing::RunCommand;
using ::rtr42::testing::SharedBundlePath;
using ::rtr42::testing::TempDir;
using ::rtr42::testing::ToolDir;
using ::rtr42::testing::WriteFile;

// Runs roa-compile; returns its exit status, with standard output in `out`.
int RoaCompile(const std::string& arguments, std::string* out) {
  out->clear();
  return RunCommand(ToolDir() + "/roa-compile " + arguments + " 2>/dev/null", out);
}

void Git(const std::string& repo, const std::string& command) {
  ASSERT_EQ(RunCommand("git -C " + repo + " " + command + " >/dev/null 2>&1"), 0) << command;
}

std::string RouteObject(const std::string& prefix, const std::string& origin,
                        const std::string& extra = "") {
  return absl::StrCat("route:              ", prefix, "\norigin:             ", origin, "\n", extra,
                      "mnt-by:             TEST-MNT\nsource:             DN42\n");
}

class SmallRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_ = dir_.path() + "/registry";
    ASSERT_EQ(RunCommand("git init -q -b master " + repo_), 0);
    Git(repo_, "config user.email t@example.net");
    Git(repo_, "config user.name test");
    WriteFile(repo_ + "/data/filter.txt",
              "1100  permit  172.20.0.0/14    21      29\n"
              "9999  deny    0.0.0.0/0        0       32\n");
    WriteFile(repo_ + "/data/route/172.20.1.0_24", RouteObject("172.20.1.0/24", "AS4242420001"));
    WriteFile(repo_ + "/data/route/172.20.2.0_24", RouteObject("172.20.2.0/24", "AS4242420002"));
    Commit("base");
  }
  void Commit(const std::string& message) {
    Git(repo_, "add -A");
    Git(repo_, "commit -q -m " + message);
  }

  TempDir dir_;
  std::string repo_;
};

TEST_F(SmallRegistryTest, AddedRemovedAndNewDropsWithTheirLines) {
  // The change: one object removed, one added, one outside the policy.
  Git(repo_, "rm -q data/route/172.20.2.0_24");
  WriteFile(repo_ + "/data/route/172.20.3.0_24", RouteObject("172.20.3.0/24", "AS4242420003"));
  WriteFile(repo_ + "/data/route/192.0.2.0_24", RouteObject("192.0.2.0/24", "AS4242420004"));
  Commit("change");

  std::string out;
  EXPECT_EQ(RoaCompile("--registry " + repo_ + " --diff master~1..master --format json", &out), 3)
      << out;
  nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j["base"]["vrps"], 2);
  EXPECT_EQ(j["head"]["vrps"], 2);
  ASSERT_EQ(j["added"].size(), 1u);
  EXPECT_EQ(j["added"][0]["prefix"], "172.20.3.0/24");
  EXPECT_EQ(j["added"][0]["maxLength"], 29);  // the rule's MaxLen: no max-length written
  EXPECT_EQ(j["added"][0]["file"], "data/route/172.20.3.0_24");
  EXPECT_EQ(j["added"][0]["line"], 1);
  ASSERT_EQ(j["removed"].size(), 1u);
  EXPECT_EQ(j["removed"][0]["asn"], "AS4242420002");
  EXPECT_EQ(j["removed"][0]["file"], "data/route/172.20.2.0_24");  // as BASE had it
  ASSERT_EQ(j["newDiagnostics"].size(), 1u);
  EXPECT_EQ(j["newDiagnostics"][0]["file"], "data/route/192.0.2.0_24");
  EXPECT_EQ(j["newDiagnostics"][0]["kind"], "dropped");
  EXPECT_EQ(j["newDrops"], 1);
  EXPECT_EQ(j["withdrawGuard"]["withdrawn"], 1);
  EXPECT_DOUBLE_EQ(j["withdrawGuard"]["percent"].get<double>(), 50.0);
  EXPECT_EQ(j["withdrawGuard"]["wouldHold"], true);  // 50% > the default 10%

  // GitHub's annotations: an error on the dropped object's line.
  ASSERT_EQ(RoaCompile("--registry " + repo_ + " --diff master~1..master --format github", &out),
            3);
  EXPECT_TRUE(absl::StrContains(
      out, "::error file=data/route/192.0.2.0_24,line=1,title=rtr42%3A dropped::192.0.2.0/24: "))
      << out;
  EXPECT_TRUE(absl::StrContains(out,
                                "::notice file=data/route/172.20.3.0_24,line=1,title=rtr42%3A "
                                "VRP added::172.20.3.0/24-29 AS4242420003\n"))
      << out;
  EXPECT_TRUE(absl::StrContains(out, "::warning title=rtr42%3A withdraw guard::")) << out;

  // A limit of 60% would serve it; the text names both ends.
  ASSERT_EQ(RoaCompile("--registry " + repo_ +
                           " --diff master~1..master --max-withdraw-percent 60 --format text",
                       &out),
            3);
  EXPECT_TRUE(absl::StrContains(out, "+ 172.20.3.0/24-29 AS4242420003  data/route/172.20.3.0_24:1"))
      << out;
  EXPECT_TRUE(absl::StrContains(out, "(60%) would serve it")) << out;
}

TEST_F(SmallRegistryTest, FixingADropClearsItAndExitsZero) {
  WriteFile(repo_ + "/data/route/192.0.2.0_24", RouteObject("192.0.2.0/24", "AS4242420004"));
  Commit("bad");
  Git(repo_, "checkout -q -b fix");
  Git(repo_, "rm -q data/route/192.0.2.0_24");
  Commit("fix");
  Git(repo_, "checkout -q master");
  WriteFile(repo_ + "/data/route/172.20.9.0_24", RouteObject("172.20.9.0/24", "AS4242420009"));
  Commit("other");

  std::string out;
  // Two dots: master's own change is in the comparison too.
  ASSERT_EQ(RoaCompile("--registry " + repo_ + " --diff master..fix --format json", &out), 0);
  nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j["removed"].size(), 1u);  // master's 172.20.9.0/24
  EXPECT_EQ(j["clearedDiagnostics"].size(), 1u);
  // Three dots: from the merge base, as a pull request is compared.
  ASSERT_EQ(RoaCompile("--registry " + repo_ + " --diff master...fix --format json", &out), 0);
  j = nlohmann::json::parse(out);
  EXPECT_EQ(j["removed"].size(), 0u);
  EXPECT_EQ(j["added"].size(), 0u);
  EXPECT_EQ(j["clearedDiagnostics"].size(), 1u);
  EXPECT_EQ(j["newDrops"], 0);
}

TEST_F(SmallRegistryTest, BadRangesAreErrors) {
  std::string out;
  EXPECT_EQ(RoaCompile("--registry " + repo_ + " --diff master", &out), 1);
  EXPECT_EQ(RoaCompile("--registry " + repo_ + " --diff nosuch..master", &out), 1);
  EXPECT_EQ(RoaCompile("--registry " + repo_ + " --diff master..master --format bird2", &out), 1);
  EXPECT_EQ(RoaCompile("--diff master..master", &out), 1);  // the embedded sample has no history
}

using DiagnosticKey = std::tuple<std::string, int, std::string, int, std::string>;
DiagnosticKey KeyOf(const Diagnostic& d) {
  return {d.file, d.line, d.object, int(d.kind), d.reason};
}
DiagnosticKey KeyOf(const nlohmann::json& d) {
  return {d["file"], d["line"], d["object"], d["kind"] == "dropped" ? 0 : 1, d["reason"]};
}

std::vector<std::string> VrpStrings(const nlohmann::json& origins) {
  std::vector<std::string> out;
  for (const auto& o : origins) {
    std::string s = absl::StrCat(o["prefix"].get<std::string>(), "-", o["maxLength"].get<int>(),
                                 " ", o["asn"].get<std::string>());
    if (out.empty() || out.back() != s) out.push_back(s);  // one per VRP, not per object
  }
  return out;
}

TEST(RegistryBundleDiffTest, EqualsTheDifferenceOfTwoFullCompiles) {
  if (SharedBundlePath().empty()) {
    GTEST_SKIP() << "../shared/data/dn42-registry-2023H1.bundle is absent";
  }
  TempDir dir;
  std::string repo = dir.path() + "/registry";
  std::vector<std::string> commits = ::rtr42::testing::CloneSharedBundle(repo);
  ASSERT_GT(commits.size(), 100u);
  absl::StatusOr<std::unique_ptr<sources::GitSource>> git =
      sources::GitSource::Open({.location = repo});
  ASSERT_TRUE(git.ok()) << git.status();
  auto full_compile = [&](const std::string& commit) {
    RegistryCompiler compiler;
    absl::StatusOr<RegistryDelta> delta = (*git)->DeltaBetween("", commit);
    EXPECT_TRUE(delta.ok()) << delta.status();
    EXPECT_TRUE(compiler.Apply(*delta).ok());
    return Compilation::Of(compiler);
  };

  // Neighbours, a week apart, and the whole half year.
  std::vector<std::pair<size_t, size_t>> pairs;
  for (size_t i = 0; i + 1 < commits.size(); i += 37) pairs.push_back({i, i + 1});
  for (size_t i = 0; i + 20 < commits.size(); i += 61) pairs.push_back({i, i + 20});
  pairs.push_back({0, commits.size() - 1});
  size_t with_added = 0, with_removed = 0, with_new_diagnostics = 0, with_cleared = 0;
  for (auto [b, h] : pairs) {
    SCOPED_TRACE(absl::StrCat("commits ", b, "..", h, " ", commits[b], "..", commits[h]));
    std::string out;
    int status = RoaCompile(
        "--registry " + repo + " --diff " + commits[b] + ".." + commits[h] + " --format json",
        &out);
    ASSERT_TRUE(status == 0 || status == 3) << status;
    nlohmann::json j = nlohmann::json::parse(out);
    Compilation base = full_compile(commits[b]), head = full_compile(commits[h]);

    VrpDiff expected = Diff(base.set, head.set);
    std::vector<std::string> added, removed;
    for (const Vrp& v : expected.announced) added.push_back(v.ToString());
    for (const Vrp& v : expected.withdrawn) removed.push_back(v.ToString());
    EXPECT_EQ(VrpStrings(j["added"]), added);
    EXPECT_EQ(VrpStrings(j["removed"]), removed);
    EXPECT_EQ(j["base"]["vrps"], base.set.size());
    EXPECT_EQ(j["head"]["vrps"], head.set.size());

    // Exactly the new diagnostics: counted, each in HEAD's full compile
    // more often than in BASE's.
    std::map<DiagnosticKey, int> balance;
    for (const Diagnostic& d : head.diagnostics) ++balance[KeyOf(d)];
    for (const Diagnostic& d : base.diagnostics) --balance[KeyOf(d)];
    std::map<DiagnosticKey, int> reported;
    for (const auto& d : j["newDiagnostics"]) ++reported[KeyOf(d)];
    for (const auto& d : j["clearedDiagnostics"]) --reported[KeyOf(d)];
    std::erase_if(balance, [](const auto& entry) { return entry.second == 0; });
    EXPECT_EQ(reported, balance);
    size_t drops = 0;
    for (const auto& [key, count] : balance) {
      if (count > 0 && std::get<3>(key) == 0) drops += count;
    }
    EXPECT_EQ(j["newDrops"], drops);
    EXPECT_EQ(status, drops > 0 ? 3 : 0);

    with_added += !added.empty();
    with_removed += !removed.empty();
    with_new_diagnostics += !j["newDiagnostics"].empty();
    with_cleared += !j["clearedDiagnostics"].empty();
  }
  // The pairs exercise every part of the answer.
  EXPECT_GT(with_added, 0u);
  EXPECT_GT(with_removed, 0u);
  EXPECT_GT(with_new_diagnostics, 0u);
  EXPECT_GT(with_cleared, 0u);
}

}  // namespace
}  // namespace rtr42::roa
