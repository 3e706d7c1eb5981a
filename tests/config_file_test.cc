// rtr42d's configuration file: TOML keys are the command-line options, the
// command line overrides the file, [source.NAME] tables make several
// sources, and every mistake is refused naming the file and line.
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "tests/test_util.h"
#include "tools/rtr42d_options.h"

namespace rtr42::tools {
namespace {

using testing::TempDir;
using testing::WriteFile;

class ConfigFileTest : public ::testing::Test {
 protected:
  // Parses `argv` (after the program name), then the file `toml`.
  absl::StatusOr<ConfigFile> Load(const std::string& toml, std::vector<std::string> argv = {}) {
    path_ = dir_.path() + "/rtr42d.toml";
    WriteFile(path_, toml);
    args_ = std::make_unique<Args>("rtr42d", "");
    config_ = daemon::DaemonConfig{};
    DeclareRtr42dOptions(args_.get(), &config_);
    std::vector<char*> raw{const_cast<char*>("rtr42d")};
    for (std::string& a : argv) raw.push_back(a.data());
    absl::Status parsed = args_->Parse(static_cast<int>(raw.size()), raw.data());
    if (!parsed.ok()) return parsed;
    return LoadRtr42dConfig(path_, args_.get());
  }
  void ExpectError(const std::string& toml, int line, const std::string& text) {
    absl::StatusOr<ConfigFile> file = Load(toml);
    ASSERT_FALSE(file.ok()) << toml;
    EXPECT_TRUE(absl::StrContains(file.status().message(), absl::StrCat(path_, ":", line, ": ")))
        << file.status();
    EXPECT_TRUE(absl::StrContains(file.status().message(), text)) << file.status();
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<Args> args_;
  daemon::DaemonConfig config_;
};

TEST_F(ConfigFileTest, KeysAreTheFlagsAndTheCommandLineOverrides) {
  const std::string toml = R"(# rtr42d
listen = ["127.0.0.1:8282", "[::1]:8282"]
refresh = 900
max-withdraw-percent = 25.5
log-level = "warning"
registry = "/srv/registry"
registry-ref = "master"
)";
  absl::StatusOr<ConfigFile> file = Load(toml);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(config_.listen, (std::vector<std::string>{"127.0.0.1:8282", "[::1]:8282"}));
  EXPECT_EQ(config_.refresh, 900);
  EXPECT_DOUBLE_EQ(config_.max_withdraw_percent, 25.5);
  EXPECT_EQ(config_.log_level, "warning");
  EXPECT_EQ(args_->Get("registry"), "/srv/registry");
  EXPECT_EQ(args_->Get("registry-ref"), "master");

  // Flags win, a list as a whole.
  file = Load(toml, {"--refresh", "300", "--listen", "127.0.0.1:9999"});
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(config_.refresh, 300);
  EXPECT_EQ(config_.listen, (std::vector<std::string>{"127.0.0.1:9999"}));
  EXPECT_EQ(config_.log_level, "warning");
}

TEST_F(ConfigFileTest, SourceTablesMakeSeveralSources) {
  WriteFile(dir_.path() + "/a.json",
            R"({"roas": [{"prefix": "172.20.0.0/24", "maxLength": 28, "asn": "AS4242420000"}]})");
  WriteFile(dir_.path() + "/b.json",
            R"({"roas": [{"prefix": "fd42::/48", "maxLength": 64, "asn": 4242420001}]})");
  absl::StatusOr<ConfigFile> file = Load(absl::StrCat(R"(
poll-interval = 120
[source.a]
json = ")",
                                                      dir_.path(), R"(/a.json"
max-withdraw-percent = 50

[source.remote]
json = "https://example.net/roa.json"
poll-interval = 600
json-max-age = 3600
)"));
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_EQ(file->sections.size(), 2u);
  EXPECT_EQ(file->sections[0].name, "a");  // in the file's order
  absl::StatusOr<std::vector<daemon::NamedSource>> sources = OpenSources(*args_, &*file);
  ASSERT_TRUE(sources.ok()) << sources.status();
  ASSERT_EQ(sources->size(), 2u);
  EXPECT_EQ((*sources)[0].name, "a");
  EXPECT_EQ((*sources)[0].max_withdraw_percent, 50);
  EXPECT_FALSE((*sources)[0].poll_interval.has_value());  // the top level's, 120
  EXPECT_EQ((*sources)[1].name, "remote");
  EXPECT_EQ((*sources)[1].poll_interval, absl::Seconds(600));
  EXPECT_TRUE((*sources)[1].source->is_remote());
  EXPECT_EQ(config_.poll_interval, 120);

  // A source on the command line replaces the tables.
  file = Load(absl::StrCat("[source.a]\njson = \"", dir_.path(), "/a.json\"\n"),
              {"--json", dir_.path() + "/b.json"});
  ASSERT_TRUE(file.ok()) << file.status();
  sources = OpenSources(*args_, &*file);
  ASSERT_TRUE(sources.ok()) << sources.status();
  ASSERT_EQ(sources->size(), 1u);
  EXPECT_EQ((*sources)[0].name, "json");
  EXPECT_EQ((*sources)[0].source->Describe(), "json " + dir_.path() + "/b.json");
}

TEST_F(ConfigFileTest, MistakesAreRefusedWithFileAndLine) {
  ExpectError("refresh = 900\nrefrehs = 900\n", 2, "unknown option 'refrehs'");
  ExpectError("\nrefresh = 0\n", 2, "refresh");       // out of range
  ExpectError("refresh = \"soon\"\n", 1, "refresh");  // not a number
  ExpectError("listen = \"127.0.0.1:1\"\nthreads = [1, 2]\n", 2, "one value, not an array");
  ExpectError("log-level = info\n", 1, "");  // TOML syntax
  ExpectError("[sources.a]\njson = \"x\"\n", 1, "unknown table [sources]");
  ExpectError("[source.a]\nrefresh = 10\n", 2, "not an option of a source");
  ExpectError("\n[source.a]\nregistry-ref = \"main\"\n", 2, "names no source");
  ExpectError("registry = \"/r\"\n[source.a]\njson = \"/x\"\n", 2, "one or the other");
  ExpectError("[source.a]\njson = \"/x\"\njson = \"/y\"\n", 3, "");  // TOML: a duplicate key
  ExpectError("config = \"/etc/other.toml\"\n", 1, "belongs on the command line");
}

TEST_F(ConfigFileTest, ChangesAreListed) {
  absl::StatusOr<ConfigFile> before = Load("refresh = 900\n[source.a]\njson = \"/a\"\n");
  ASSERT_TRUE(before.ok()) << before.status();
  absl::StatusOr<ConfigFile> after =
      Load("refresh = 600\n[source.a]\njson = \"/a\"\n[source.b]\njson = \"/b\"\n");
  ASSERT_TRUE(after.ok()) << after.status();
  std::vector<std::string> changes = ConfigChanges(*before, *after);
  EXPECT_EQ(changes, (std::vector<std::string>{"refresh = 600 (was 900)", "[source.b] added",
                                               "[source.b] json = /b added"}));
}

TEST_F(ConfigFileTest, AReloadAppliesSourcesAndLogLevelAndNamesTheRest) {
  std::string a = dir_.path() + "/a.json", b = dir_.path() + "/b.json";
  absl::StatusOr<ConfigFile> before =
      Load(absl::StrCat("refresh = 900\nlog-level = \"info\"\n[source.a]\njson = \"", a,
                        "\"\n[source.b]\njson = \"", b, "\"\npoll-interval = 5\n"));
  ASSERT_TRUE(before.ok()) << before.status();
  // b changed, c new, a unchanged (but listed after c), log-level and
  // refresh changed.
  absl::StatusOr<ConfigFile> after = Load(absl::StrCat(
      "refresh = 600\nlog-level = \"debug\"\n[source.c]\njson = \"", b, "\"\n[source.a]\njson = \"",
      a, "\"\n[source.b]\njson = \"", b, "\"\npoll-interval = 9\n"));
  ASSERT_TRUE(after.ok()) << after.status();
  absl::StatusOr<ConfigReload> plan = PlanReload(*before, *after, {});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->log_level, "debug");
  EXPECT_TRUE(plan->sources_changed);
  EXPECT_EQ(plan->names, (std::vector<std::string>{"c", "a", "b"}));
  ASSERT_EQ(plan->fresh.size(), 2u);
  EXPECT_EQ(plan->fresh[0].name, "c");
  EXPECT_EQ(plan->fresh[1].name, "b");
  EXPECT_EQ(plan->fresh[1].poll_interval, absl::Seconds(9));
  EXPECT_EQ(plan->at_restart, (std::vector<std::string>{"refresh = 600"}));

  // What the command line gives is not the file's to change; a source there
  // keeps the tables out of it.
  plan = PlanReload(*before, *after, {"refresh", "json"});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(plan->at_restart.empty());
  EXPECT_FALSE(plan->sources_changed);

  // Unchanged: nothing to do.
  plan = PlanReload(*before, *before, {});
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(plan->sources_changed);
  EXPECT_FALSE(plan->log_level.has_value());
  EXPECT_TRUE(plan->at_restart.empty());

  // A new source that cannot be opened: an error, so nothing changes.
  absl::StatusOr<ConfigFile> broken =
      Load(absl::StrCat("[source.a]\njson = \"", a, "\"\n[source.x]\nrtr-upstream = \"nohost\"\n"));
  ASSERT_TRUE(broken.ok()) << broken.status();
  plan = PlanReload(*before, *broken, {});
  EXPECT_FALSE(plan.ok());
  EXPECT_TRUE(absl::StrContains(plan.status().message(), "[source.x]")) << plan.status();
}

}  // namespace
}  // namespace rtr42::tools
