// Replays the real dn42 registry history (../shared/data/dn42-registry-2023H1.bundle)
// commit by commit through the incremental compiler and checks, at every commit,
// that the result equals a full compile of that commit.
#include <gtest/gtest.h>

#include "roa/compiler.h"
#include "sources/git_source.h"
#include "tests/test_util.h"

namespace rtr42::sources {
namespace {

using roa::RegistryCompiler;
using roa::Vrp;
using roa::VrpSet;

using ::rtr42::testing::SharedBundlePath;
using ::rtr42::testing::TempDir;

TEST(RegistryReplayTest, IncrementalEqualsFullAtEveryCommit) {
  if (SharedBundlePath().empty()) {
    GTEST_SKIP() << "../shared/data/dn42-registry-2023H1.bundle is absent";
  }
  TempDir dir;
  std::string repo = dir.path() + "/registry";
  std::vector<std::string> commits = ::rtr42::testing::CloneSharedBundle(repo);
  ASSERT_EQ(commits.size(), 460u);

  absl::StatusOr<std::unique_ptr<GitSource>> source = GitSource::Open({.location = repo});
  ASSERT_TRUE(source.ok()) << source.status();
  RegistryCompiler incremental;
  size_t incremental_parsed = 0, changed_commits = 0;
  for (size_t i = 0; i < commits.size(); ++i) {
    (*source)->set_ref(commits[i]);
    auto delta = (*source)->Poll();
    ASSERT_TRUE(delta.ok()) << commits[i] << ": " << delta.status();
    if (delta->has_value()) {
      ASSERT_EQ((*delta)->full, i == 0);
      ASSERT_TRUE(incremental.Apply(**delta).ok());
      (*source)->Confirm();
      if (i > 0) {
        incremental_parsed += incremental.last_parsed();
        changed_commits += incremental.last_parsed() > 0;
      }
    }
    absl::StatusOr<RegistryDelta> full = (*source)->DeltaBetween("", commits[i]);
    ASSERT_TRUE(full.ok()) << full.status();
    RegistryCompiler fresh;
    ASSERT_TRUE(fresh.Apply(*full).ok());
    ASSERT_EQ(incremental.BuildSet(), fresh.BuildSet()) << "at commit " << i << " " << commits[i];
    ASSERT_EQ(incremental.Diagnostics(), fresh.Diagnostics()) << "at commit " << i;
  }
  RegistryCompiler last;
  ASSERT_TRUE(last.Apply(*(*source)->DeltaBetween("", commits.back())).ok());
  VrpSet set = last.BuildSet();
  // The real registry of August 2023: thousands of objects and VRPs of both families.
  EXPECT_GT(last.object_count(), 4000u);
  EXPECT_GT(set.ipv4_count(), 1500u);
  EXPECT_GT(set.ipv6_count(), 1500u);
  // Updates were incremental: far fewer objects read than a full compile per commit.
  EXPECT_GT(changed_commits, 100u);
  EXPECT_LT(incremental_parsed, 20 * changed_commits);
  std::cout << "replayed " << commits.size() << " commits; " << last.object_count() << " objects, "
            << set.size() << " VRPs at the last; " << incremental_parsed << " objects re-read over "
            << changed_commits << " commits that changed routes\n";
}

}  // namespace
}  // namespace rtr42::sources
