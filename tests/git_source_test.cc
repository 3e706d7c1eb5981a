#include "sources/git_source.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "roa/compiler.h"
#include "sources/open_registry.h"
#include "sources/registry_vrp_source.h"
#include "tests/test_util.h"

namespace rtr42::sources {
namespace {

using roa::RegistryCompiler;
using roa::RegistryDelta;
using roa::Vrp;
using roa::VrpSet;

using ::rtr42::testing::RunCommand;
using ::rtr42::testing::TempDir;
using ::rtr42::testing::WriteFile;

constexpr char kFilter[] = "1100 permit 172.20.0.0/14 21 29\n9999 deny 0.0.0.0/0 0 32\n";

class GitSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_ = dir_.path() + "/registry";
    Git("init -q -b master " + repo_);
    WriteFile(repo_ + "/data/filter.txt", kFilter);
    WriteFile(repo_ + "/data/route/172.20.1.0_24", "route: 172.20.1.0/24\norigin: AS1\n");
    WriteFile(repo_ + "/data/route/172.20.2.0_24", "route: 172.20.2.0/24\norigin: AS2\n");
    WriteFile(repo_ + "/data/mntner/X-MNT", "mntner: X-MNT\n");
    first_ = Commit("first");
  }
  void Git(const std::string& args) {
    ASSERT_EQ(RunCommand("git -c user.name=t -c user.email=t@t " + args + " >/dev/null 2>&1"), 0)
        << args;
  }
  std::string Commit(const std::string& message) {
    Git("-C " + repo_ + " add -A");
    Git("-C " + repo_ + " commit -q -m " + message);
    std::string out;
    RunCommand("git -C " + repo_ + " rev-parse HEAD", &out);
    return out.substr(0, 40);
  }
  std::unique_ptr<GitSource> Open(const std::string& location, const std::string& ref = "HEAD") {
    absl::StatusOr<std::unique_ptr<GitSource>> s =
        GitSource::Open({.location = location, .ref = ref, .cache_dir = dir_.path() + "/cache"});
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  static std::vector<std::string> Paths(const RegistryDelta& d) {
    std::vector<std::string> out;
    for (const auto& c : d.changes) out.push_back((c.content ? "+" : "-") + c.path);
    std::sort(out.begin(), out.end());
    return out;
  }

  TempDir dir_;
  std::string repo_;
  std::string first_;
};

TEST_F(GitSourceTest, FirstPollIsFullThenIncremental) {
  auto source = Open(repo_);
  auto delta = source->Poll();
  ASSERT_TRUE(delta.ok()) << delta.status();
  ASSERT_TRUE(delta->has_value());
  EXPECT_TRUE((*delta)->full);
  EXPECT_EQ((*delta)->revision, first_);
  EXPECT_EQ(Paths(**delta),
            (std::vector<std::string>{"+data/filter.txt", "+data/route/172.20.1.0_24",
                                      "+data/route/172.20.2.0_24"}));
  source->Confirm();
  EXPECT_FALSE(source->Poll()->has_value());

  WriteFile(repo_ + "/data/route/172.20.1.0_24", "route: 172.20.1.0/24\norigin: AS9\n");
  std::filesystem::remove(repo_ + "/data/route/172.20.2.0_24");
  WriteFile(repo_ + "/data/route/172.20.3.0_24", "route: 172.20.3.0/24\norigin: AS3\n");
  WriteFile(repo_ + "/data/mntner/Y-MNT", "mntner: Y-MNT\n");
  std::string second = Commit("second");
  delta = source->Poll();
  ASSERT_TRUE(delta.ok() && delta->has_value());
  EXPECT_FALSE((*delta)->full);
  EXPECT_EQ((*delta)->revision, second);
  EXPECT_EQ(Paths(**delta),
            (std::vector<std::string>{"+data/route/172.20.1.0_24", "+data/route/172.20.3.0_24",
                                      "-data/route/172.20.2.0_24"}));
}

TEST_F(GitSourceTest, UnconfirmedDeltaIsComputedAgain) {
  auto source = Open(repo_);
  auto a = source->Poll();
  auto b = source->Poll();
  ASSERT_TRUE(a.ok() && b.ok() && a->has_value() && b->has_value());
  EXPECT_EQ(Paths(**a), Paths(**b));
  EXPECT_TRUE((*b)->full);
}

TEST_F(GitSourceTest, FollowsBranchTagAndCommit) {
  Git("-C " + repo_ + " tag v1");
  WriteFile(repo_ + "/data/route/172.20.4.0_24", "route: 172.20.4.0/24\norigin: AS4\n");
  std::string second = Commit("second");
  EXPECT_EQ(*Open(repo_, "v1")->ResolveCommit("v1"), first_);
  EXPECT_EQ((*Open(repo_, "v1")->Poll())->revision, first_);
  EXPECT_EQ((*Open(repo_, "master")->Poll())->revision, second);
  EXPECT_EQ((*Open(repo_, first_)->Poll())->revision, first_);
  EXPECT_EQ((*Open(repo_, "HEAD~1")->Poll())->revision, first_);
}

TEST_F(GitSourceTest, MissingRefIsAnErrorAndKeepsState) {
  auto source = Open(repo_, "master");
  ASSERT_TRUE(source->Poll().ok());
  source->Confirm();
  source->set_ref("no-such-branch");
  auto delta = source->Poll();
  ASSERT_FALSE(delta.ok());
  EXPECT_NE(delta.status().message().find("no-such-branch"), std::string::npos);
  source->set_ref("master");
  EXPECT_FALSE(source->Poll()->has_value());  // still at the confirmed commit
}

TEST_F(GitSourceTest, ReadsBareRepository) {
  std::string bare = dir_.path() + "/bare.git";
  Git("clone -q --bare " + repo_ + " " + bare);
  auto delta = Open(bare)->Poll();
  ASSERT_TRUE(delta.ok()) << delta.status();
  EXPECT_EQ((*delta)->revision, first_);
}

TEST_F(GitSourceTest, UrlIsClonedThenFetched) {
  std::string url = "file://" + repo_;
  auto source = Open(url);
  ASSERT_NE(source, nullptr);
  EXPECT_TRUE(source->is_remote());
  auto delta = source->Poll();
  ASSERT_TRUE(delta.ok()) << delta.status();
  EXPECT_EQ((*delta)->revision, first_);
  source->Confirm();
  WriteFile(repo_ + "/data/route/172.20.5.0_24", "route: 172.20.5.0/24\norigin: AS5\n");
  std::string second = Commit("second");
  delta = source->Poll();
  ASSERT_TRUE(delta.ok()) << delta.status();
  ASSERT_TRUE(delta->has_value());
  EXPECT_EQ((*delta)->revision, second);
  EXPECT_EQ(Paths(**delta), std::vector<std::string>{"+data/route/172.20.5.0_24"});
  // A second source reuses the cached clone.
  EXPECT_EQ((*Open(url)->Poll())->revision, second);
}

TEST_F(GitSourceTest, UnreachableUrlFails) {
  absl::StatusOr<std::unique_ptr<GitSource>> s = GitSource::Open(
      {.location = "file://" + dir_.path() + "/nowhere", .cache_dir = dir_.path() + "/cache"});
  EXPECT_FALSE(s.ok());
}

TEST_F(GitSourceTest, CorruptObjectIsAnErrorAndChangesNothing) {
  RegistryVrpSource source(Open(repo_));
  auto first = source.Poll();
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ((*first)->set->size(), 2u);
  WriteFile(repo_ + "/data/route/172.20.6.0_24", "route: 172.20.6.0/24\norigin: AS6\n");
  Commit("third");
  // Remove the new blob from the object store.
  std::string oid;
  RunCommand("git -C " + repo_ + " rev-parse HEAD:data/route/172.20.6.0_24", &oid);
  oid = oid.substr(0, 40);
  std::filesystem::remove(repo_ + "/.git/objects/" + oid.substr(0, 2) + "/" + oid.substr(2));
  auto broken = source.Poll();
  EXPECT_FALSE(broken.ok());
  EXPECT_EQ(source.compiler().BuildSet().size(), 2u);
  EXPECT_EQ(source.compiler().revision(), first_);
}

TEST_F(GitSourceTest, DirectorySourceFindsChanges) {
  // repo_ has a .git, so it is a git source; a copy without .git is a directory.
  absl::StatusOr<std::unique_ptr<RegistrySource>> opened = OpenRegistrySource(repo_, "", "");
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ((*opened)->Describe(), "git " + repo_ + "@HEAD");
  std::string plain = dir_.path() + "/plain";
  std::filesystem::create_directories(plain);
  std::filesystem::copy(repo_ + "/data", plain + "/data", std::filesystem::copy_options::recursive);
  auto source = OpenRegistrySource(plain, "", "");
  ASSERT_TRUE(source.ok()) << source.status();
  auto delta = (*source)->Poll();
  ASSERT_TRUE(delta.ok() && delta->has_value());
  EXPECT_TRUE((*delta)->full);
  EXPECT_EQ((*delta)->changes.size(), 3u);
  (*source)->Confirm();
  EXPECT_FALSE((*source)->Poll()->has_value());
  WriteFile(plain + "/data/route/172.20.1.0_24",
            "route: 172.20.1.0/24\norigin: AS7\norigin: AS8\n");
  std::filesystem::remove(plain + "/data/route/172.20.2.0_24");
  delta = (*source)->Poll();
  ASSERT_TRUE(delta.ok() && delta->has_value());
  EXPECT_EQ(Paths(**delta),
            (std::vector<std::string>{"+data/route/172.20.1.0_24", "-data/route/172.20.2.0_24"}));
  EXPECT_FALSE(OpenRegistrySource(dir_.path() + "/missing", "", "").ok());
}

TEST_F(GitSourceTest, DirectorySourceFollowsNoSymbolicLinks) {
  std::string plain = dir_.path() + "/plain";
  std::filesystem::create_directories(plain);
  std::filesystem::copy(repo_ + "/data", plain + "/data", std::filesystem::copy_options::recursive);
  WriteFile(dir_.path() + "/elsewhere", "route: 172.20.9.0/24\norigin: AS9\n");
  std::filesystem::create_symlink(dir_.path() + "/elsewhere", plain + "/data/route/172.20.9.0_24");
  std::filesystem::create_directory(plain + "/data/route/a-directory");
  testing::LogCapture log;
  auto source = OpenRegistrySource(plain, "", "");
  ASSERT_TRUE(source.ok()) << source.status();
  auto delta = (*source)->Poll();
  ASSERT_TRUE(delta.ok() && delta->has_value()) << delta.status();
  EXPECT_EQ(Paths(**delta),
            (std::vector<std::string>{"+data/filter.txt", "+data/route/172.20.1.0_24",
                                      "+data/route/172.20.2.0_24"}));
  EXPECT_EQ(log.Count(LogLevel::kWarning, "2 entries in data/route and data/route6 skipped"), 1)
      << log.All();
  (*source)->Confirm();
  EXPECT_FALSE((*source)->Poll()->has_value());
  EXPECT_EQ(log.Count(LogLevel::kWarning, "skipped"), 1);  // once, not every poll
}

}  // namespace
}  // namespace rtr42::sources
