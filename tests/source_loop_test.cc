// The daemon's source loop under failure: every way a source can fail keeps
// the served set, is logged once per change of condition and shows in the
// metrics; the withdraw guard; the state file.
#include "daemon/source_loop.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/log.h"
#include "daemon/endpoints.h"
#include "daemon/metrics.h"
#include "rtr/state_file.h"
#include "sources/directory_source.h"
#include "sources/git_source.h"
#include "sources/json_vrp_source.h"
#include "sources/open_registry.h"
#include "sources/registry_source.h"
#include "sources/registry_vrp_source.h"
#include "tests/test_util.h"

namespace rtr42::daemon {
namespace {

namespace fs = std::filesystem;
using testing::LogCapture;
using testing::RunCommand;
using testing::TempDir;
using testing::WriteFile;

constexpr char kFilter[] =
    "1000  permit  172.20.0.0/14  21  29  # main net\n"
    "9999  deny    0.0.0.0/0      0   32\n";
constexpr char kFilter6[] = "1000  permit  fd00::/8  44  64\n9999  deny  ::/0  0  128\n";

std::string RouteFile(int i) { return absl::StrFormat("data/route/172.20.%d.0_24", i); }
std::string RouteObject(int i) {
  return absl::StrFormat("route: 172.20.%d.0/24\norigin: AS42424200%02d\nsource: DN42\n", i, i);
}

// A registry of `n` IPv4 route objects, each giving one VRP.
void WriteRegistry(const std::string& root, int n) {
  fs::create_directories(root + "/data/route");
  fs::create_directories(root + "/data/route6");
  WriteFile(root + "/data/filter.txt", kFilter);
  WriteFile(root + "/data/filter6.txt", kFilter6);
  for (int i = 0; i < n; ++i) WriteFile(root + "/" + RouteFile(i), RouteObject(i));
}

class SourceLoopTest : public ::testing::Test {
 protected:
  SourceLoopTest() : server_(io_, rtr::ServerOptions{}) {}

  void MakeLoop(std::unique_ptr<sources::VrpSource> source, SourceLoopOptions options = {}) {
    history_ = std::make_unique<rtr::History>(uint16_t{77});
    loop_ = std::make_unique<SourceLoop>(std::move(source), history_.get(), &server_, options);
  }
  void MakeRegistryLoop(const std::string& root, SourceLoopOptions options = {}) {
    MakeLoop(std::make_unique<sources::RegistryVrpSource>(
                 std::make_unique<sources::DirectorySource>(root)),
             options);
  }
  // SIGUSR1 on the running loop; waits (5 s at most) for serial `serial`.
  void ConfirmOnTheRunningLoop(uint32_t serial) {
    loop_->Start();
    loop_->ConfirmWithdrawals();
    for (int i = 0; i < 100 && Serial() != serial; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    loop_->Stop();
  }
  uint32_t Serial() const { return loop_->Current() ? loop_->Current()->serial() : 0; }
  size_t Served() const { return loop_->Current() ? loop_->Current()->set().size() : 0; }
  std::string Metrics() const { return RenderMetrics(*loop_, server_); }
  bool HasMetric(absl::string_view line) const {
    return absl::StrContains(Metrics(), absl::StrCat("\n", line, "\n"));
  }
  // The served set must equal the one of serial `serial`, bit for bit.
  void ExpectStillServing(uint32_t serial, size_t vrps) {
    ASSERT_NE(loop_->Current(), nullptr);
    EXPECT_EQ(Serial(), serial);
    EXPECT_EQ(Served(), vrps);
    EXPECT_EQ(server_.current()->update().serial(), serial);
  }

  boost::asio::io_context io_;
  rtr::Server server_;
  std::unique_ptr<rtr::History> history_;
  std::unique_ptr<SourceLoop> loop_;
  TempDir dir_;
};

TEST_F(SourceLoopTest, BrokenFilterFileKeepsTheSetAndIsLoggedOnce) {
  WriteRegistry(dir_.path(), 20);
  MakeRegistryLoop(dir_.path(), SourceLoopOptions{.max_withdraw_percent = 100});
  LogCapture log;
  ASSERT_TRUE(loop_->PollOnce());
  ExpectStillServing(1, 20);

  WriteFile(dir_.path() + "/data/filter.txt", "1000 permit 172.20.0.0/14 21 twentynine\n");
  EXPECT_FALSE(loop_->PollOnce());
  EXPECT_FALSE(loop_->PollOnce());
  ExpectStillServing(1, 20);
  SourceStatus st = loop_->Status().sources[0];
  EXPECT_FALSE(st.last_ok);
  EXPECT_EQ(st.failures, 2u);
  EXPECT_TRUE(absl::StrContains(st.last_error, "filter.txt")) << st.last_error;
  EXPECT_EQ(log.Count(LogLevel::kError, "still serving serial 1"), 1) << log.All();
  EXPECT_TRUE(HasMetric("rtr42_source_up{source=\"source\"} 0"));
  EXPECT_TRUE(HasMetric("rtr42_source_failures_total{source=\"source\"} 2"));
  EXPECT_TRUE(HasMetric("rtr42_serial 1"));
  EXPECT_TRUE(HasMetric("rtr42_sessions_closed_by_limit_total{reason=\"idle\"} 0"));

  // Mended: the source recovers; a changed policy is a new serial.
  WriteFile(dir_.path() + "/data/filter.txt",
            "1000  permit  172.20.0.0/20  21  29\n9999  deny  0.0.0.0/0  0  32\n");
  EXPECT_TRUE(loop_->PollOnce());
  ExpectStillServing(2, 16);
  EXPECT_EQ(log.Count(LogLevel::kInfo, "recovered"), 1);
  EXPECT_TRUE(HasMetric("rtr42_source_up{source=\"source\"} 1"));
}

TEST_F(SourceLoopTest, CorruptJsonFileKeepsTheSet) {
  std::string path = dir_.path() + "/vrps.json";
  WriteFile(path,
            R"({"roas": [{"prefix": "172.20.0.0/24", "maxLength": 28, "asn": "AS4242420000"},
                         {"prefix": "fd42::/48", "maxLength": 64, "asn": 4242420001}]})");
  MakeLoop(std::make_unique<sources::JsonVrpSource>(path));
  LogCapture log;
  ASSERT_TRUE(loop_->PollOnce());
  ExpectStillServing(1, 2);
  WriteFile(path, R"({"roas": [{"prefix": "172.20.0.0/24", "maxLength": 28, "asn": )");
  EXPECT_FALSE(loop_->PollOnce());
  EXPECT_FALSE(loop_->PollOnce());
  ExpectStillServing(1, 2);
  EXPECT_EQ(log.Count(LogLevel::kError, path), 1) << log.All();
  EXPECT_TRUE(HasMetric("rtr42_source_failures_total{source=\"source\"} 2"));
  fs::remove(path);  // gone altogether: a new condition, logged again
  EXPECT_FALSE(loop_->PollOnce());
  ExpectStillServing(1, 2);
  EXPECT_EQ(log.Count(LogLevel::kError, "still serving serial 1"), 2) << log.All();
}

// A git registry made with the git command line.
class GitRepo {
 public:
  explicit GitRepo(std::string path) : path_(std::move(path)) { Git("init -q -b main"); }
  void Git(const std::string& args) {
    ASSERT_EQ(RunCommand(absl::StrCat("git -C '", path_, "' -c user.name=t -c user.email=t@t ",
                                      args, " >/dev/null 2>&1")),
              0)
        << args;
  }
  void CommitAll(const std::string& message) {
    Git("add -A");
    Git("commit -q -m '" + message + "'");
  }
  std::string Output(const std::string& args) {
    std::string out;
    RunCommand(absl::StrCat("git -C '", path_, "' ", args), &out);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }

 private:
  std::string path_;
};

TEST_F(SourceLoopTest, CorruptGitCommitKeepsTheSet) {
  std::string repo_path = dir_.path() + "/registry";
  WriteRegistry(repo_path, 10);
  GitRepo repo(repo_path);
  repo.CommitAll("ten routes");
  absl::StatusOr<std::unique_ptr<sources::RegistrySource>> git =
      sources::OpenRegistrySource(repo_path, "main", "");
  ASSERT_TRUE(git.ok()) << git.status();
  MakeLoop(std::make_unique<sources::RegistryVrpSource>(std::move(*git)));
  LogCapture log;
  ASSERT_TRUE(loop_->PollOnce());
  ExpectStillServing(1, 10);

  // The next commit adds a route object whose blob is then lost.
  WriteFile(repo_path + "/" + RouteFile(10), RouteObject(10));
  repo.CommitAll("eleven");
  std::string blob = repo.Output("rev-parse HEAD:" + RouteFile(10));
  ASSERT_EQ(blob.size(), 40u);
  fs::remove(absl::StrCat(repo_path, "/.git/objects/", blob.substr(0, 2), "/", blob.substr(2)));
  EXPECT_FALSE(loop_->PollOnce());
  ExpectStillServing(1, 10);
  EXPECT_TRUE(absl::StrContains(loop_->Status().sources[0].last_error, RouteFile(10)))
      << loop_->Status().sources[0].last_error;
  EXPECT_EQ(log.Count(LogLevel::kError, "still serving serial 1"), 1) << log.All();

  // A later good commit (the lost object deleted again) is served.
  fs::remove(repo_path + "/" + RouteFile(10));
  WriteFile(repo_path + "/" + RouteFile(11), RouteObject(11));
  repo.CommitAll("fixed");
  EXPECT_TRUE(loop_->PollOnce());
  ExpectStillServing(2, 11);
}

TEST_F(SourceLoopTest, UnreachableRemoteIsRetriedAndLaterLossKeepsTheSet) {
  std::string remote = dir_.path() + "/remote";
  std::string url = "file://" + remote;
  absl::StatusOr<std::unique_ptr<sources::RegistrySource>> git =
      sources::OpenRegistrySource(url, "main", dir_.path() + "/cache");
  ASSERT_TRUE(git.ok()) << "a remote that is down at start is retried: " << git.status();
  MakeLoop(std::make_unique<sources::RegistryVrpSource>(std::move(*git)));
  LogCapture log;
  EXPECT_FALSE(loop_->PollOnce());
  EXPECT_FALSE(loop_->PollOnce());
  EXPECT_EQ(loop_->Current(), nullptr);
  EXPECT_EQ(log.Count(LogLevel::kError, "no VRP set to serve yet"), 1) << log.All();

  // The remote comes up.
  WriteRegistry(remote, 5);
  GitRepo repo(remote);
  repo.CommitAll("five");
  EXPECT_TRUE(loop_->PollOnce());
  ExpectStillServing(1, 5);

  // And goes away again.
  fs::rename(remote, remote + ".gone");
  EXPECT_FALSE(loop_->PollOnce());
  ExpectStillServing(1, 5);
  EXPECT_EQ(log.Count(LogLevel::kError, "still serving serial 1"), 1) << log.All();
  EXPECT_TRUE(HasMetric("rtr42_source_up{source=\"source\"} 0"));
}

TEST_F(SourceLoopTest, WithdrawGuardHoldsUntilTheShareFalls) {
  WriteRegistry(dir_.path(), 20);
  // No window: each set against the one served only (the window is below).
  MakeRegistryLoop(dir_.path(), SourceLoopOptions{.max_withdraw_percent = 10,
                                                  .withdraw_window = absl::ZeroDuration()});
  LogCapture log;
  ASSERT_TRUE(loop_->PollOnce());  // the first set is never held
  ExpectStillServing(1, 20);

  // 2 of 20 (10%) is not more than 10%: served.
  fs::remove(dir_.path() + "/" + RouteFile(0));
  fs::remove(dir_.path() + "/" + RouteFile(1));
  EXPECT_TRUE(loop_->PollOnce());
  ExpectStillServing(2, 18);

  // 4 of 18 (22%): held back, once logged, visible in status and metrics.
  for (int i = 2; i < 6; ++i) fs::remove(dir_.path() + "/" + RouteFile(i));
  EXPECT_FALSE(loop_->PollOnce());
  EXPECT_FALSE(loop_->PollOnce());
  ExpectStillServing(2, 18);
  SourceStatus st = loop_->Status().sources[0];
  EXPECT_TRUE(st.withdraw_guard.holding);
  EXPECT_EQ(st.withdraw_guard.held_withdrawals, 4u);
  EXPECT_EQ(st.withdraw_guard.held_of, 18u);
  EXPECT_EQ(st.withdraw_guard.holds, 1u);
  EXPECT_TRUE(st.last_ok);  // the source is fine; its set is held
  EXPECT_EQ(log.Count(LogLevel::kWarning, "would withdraw 4 of 18 VRPs"), 1) << log.All();
  EXPECT_TRUE(HasMetric("rtr42_withdraw_guard_holding{source=\"source\"} 1"));
  EXPECT_TRUE(HasMetric("rtr42_withdraw_guard_held_withdrawals{source=\"source\"} 4"));
  EXPECT_TRUE(HasMetric("rtr42_withdraw_guard_holds_total{source=\"source\"} 1"));

  // Two of them come back: 2 of 18 (11%) is still too many.
  WriteFile(dir_.path() + "/" + RouteFile(2), RouteObject(2));
  WriteFile(dir_.path() + "/" + RouteFile(3), RouteObject(3));
  EXPECT_FALSE(loop_->PollOnce());
  EXPECT_EQ(log.Count(LogLevel::kWarning, "would withdraw 2 of 18 VRPs"), 1) << log.All();
  EXPECT_EQ(loop_->Status().sources[0].withdraw_guard.holds, 1u);  // the same hold, a new condition
  // A third: 1 of 18 withdrawn, below the limit: served.
  WriteFile(dir_.path() + "/" + RouteFile(4), RouteObject(4));
  EXPECT_TRUE(loop_->PollOnce());
  ExpectStillServing(3, 17);
  EXPECT_FALSE(loop_->Status().sources[0].withdraw_guard.holding);
  EXPECT_EQ(log.Count(LogLevel::kInfo, "withdraw guard: released"), 1) << log.All();
  EXPECT_TRUE(HasMetric("rtr42_withdraw_guard_holding{source=\"source\"} 0"));

  // Held again, then the change is reverted: released, no new serial.
  for (int i = 6; i < 12; ++i) fs::remove(dir_.path() + "/" + RouteFile(i));
  EXPECT_FALSE(loop_->PollOnce());
  EXPECT_TRUE(loop_->Status().sources[0].withdraw_guard.holding);
  for (int i = 6; i < 12; ++i) WriteFile(dir_.path() + "/" + RouteFile(i), RouteObject(i));
  EXPECT_FALSE(loop_->PollOnce());
  EXPECT_FALSE(loop_->Status().sources[0].withdraw_guard.holding);
  ExpectStillServing(3, 17);
  EXPECT_EQ(loop_->Status().sources[0].withdraw_guard.holds, 2u);
}

TEST_F(SourceLoopTest, WithdrawGuardReleasesOnConfirmation) {
  WriteRegistry(dir_.path(), 20);
  MakeRegistryLoop(dir_.path());  // default: 10%
  LogCapture log;
  ASSERT_TRUE(loop_->PollOnce());
  // The registry loses every route: the mass withdrawal the guard is for.
  fs::remove_all(dir_.path() + "/data/route");
  fs::create_directories(dir_.path() + "/data/route");
  EXPECT_FALSE(loop_->PollOnce());
  ExpectStillServing(1, 20);
  EXPECT_EQ(log.Count(LogLevel::kWarning, "would withdraw 20 of 20 VRPs"), 1) << log.All();

  // SIGUSR1 (ConfirmWithdrawals) on the running loop lets it through.
  ConfirmOnTheRunningLoop(2);
  ExpectStillServing(2, 0);
  EXPECT_EQ(loop_->Status().sources[0].withdraw_guard.confirmations, 1u);
  EXPECT_FALSE(loop_->Status().sources[0].withdraw_guard.holding);
  EXPECT_TRUE(HasMetric("rtr42_withdraw_guard_confirmations_total{source=\"source\"} 1"));

  // A confirmation with nothing held does not let a later flood through.
  WriteRegistry(dir_.path(), 20);
  EXPECT_TRUE(loop_->PollOnce());  // from an empty set nothing is withdrawn
  loop_->ConfirmWithdrawals();
  fs::remove_all(dir_.path() + "/data/route");
  fs::create_directories(dir_.path() + "/data/route");
  EXPECT_FALSE(loop_->PollOnce());
  ExpectStillServing(3, 20);
}

TEST_F(SourceLoopTest, SmallWithdrawalsInARowAddUpInTheWindow) {
  WriteRegistry(dir_.path(), 40);
  MakeRegistryLoop(dir_.path(), SourceLoopOptions{.max_withdraw_percent = 10});  // 1 h window
  LogCapture log;
  ASSERT_TRUE(loop_->PollOnce());
  // Three commits of 2 of 40 (5%) each: the first two pass (10% in all),
  // the third would make it 15% of what was served at the window's start.
  for (int i = 0; i < 2; ++i) {
    fs::remove(dir_.path() + "/" + RouteFile(2 * i));
    fs::remove(dir_.path() + "/" + RouteFile(2 * i + 1));
    EXPECT_TRUE(loop_->PollOnce()) << i;
  }
  ExpectStillServing(3, 36);
  fs::remove(dir_.path() + "/" + RouteFile(4));
  fs::remove(dir_.path() + "/" + RouteFile(5));
  EXPECT_FALSE(loop_->PollOnce());
  ExpectStillServing(3, 36);
  EXPECT_EQ(log.Count(LogLevel::kWarning,
                      "would withdraw 6 of 40 VRPs of serial 1, the first served in the last 1h"),
            1)
      << log.All();
  // Confirmed, it is served and starts a new window: 2 more of 34 are fine.
  ConfirmOnTheRunningLoop(4);
  ExpectStillServing(4, 34);
  fs::remove(dir_.path() + "/" + RouteFile(6));
  fs::remove(dir_.path() + "/" + RouteFile(7));
  EXPECT_TRUE(loop_->PollOnce());
  ExpectStillServing(5, 32);
}

TEST_F(SourceLoopTest, GuardOffAtOneHundredPercent) {
  WriteRegistry(dir_.path(), 20);
  MakeRegistryLoop(dir_.path(), SourceLoopOptions{.max_withdraw_percent = 100});
  ASSERT_TRUE(loop_->PollOnce());
  fs::remove_all(dir_.path() + "/data/route");
  EXPECT_TRUE(loop_->PollOnce());
  ExpectStillServing(2, 0);
}

TEST_F(SourceLoopTest, EveryNewSerialIsSavedAndSaveFailuresAreCounted) {
  WriteRegistry(dir_.path(), 20);
  std::string state = dir_.path() + "/state/" + rtr::kStateFileName;
  fs::create_directories(dir_.path() + "/state");
  MakeRegistryLoop(dir_.path(),
                   SourceLoopOptions{.max_withdraw_percent = 100, .state_path = state});
  ASSERT_TRUE(loop_->PollOnce());
  fs::remove(dir_.path() + "/" + RouteFile(0));
  ASSERT_TRUE(loop_->PollOnce());
  absl::StatusOr<rtr::StateFile> saved = rtr::LoadStateFile(state);
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_EQ(saved->update->serial(), 2u);
  EXPECT_EQ(saved->update->session_id(), 77);
  EXPECT_EQ(saved->update->set(), loop_->Current()->set());
  EXPECT_TRUE(saved->update->DiffFrom(1).has_value());
  EXPECT_TRUE(HasMetric("rtr42_state_saves_total 2"));

  // The directory vanishes: serving goes on, the failure is logged once and counted.
  LogCapture log;
  fs::remove_all(dir_.path() + "/state");
  fs::remove(dir_.path() + "/" + RouteFile(1));
  ASSERT_TRUE(loop_->PollOnce());
  fs::remove(dir_.path() + "/" + RouteFile(2));
  ASSERT_TRUE(loop_->PollOnce());
  ExpectStillServing(4, 17);
  EXPECT_EQ(log.Count(LogLevel::kError, "cannot save state"), 1) << log.All();
  EXPECT_TRUE(HasMetric("rtr42_state_save_failures_total 2"));
}

// A JSON file of `vrps` (and ASPA records), as a generator writes it.
std::string VrpJson(const std::vector<std::string>& prefixes, uint32_t asn,
                    const std::string& aspas = "") {
  std::string roas;
  for (const std::string& p : prefixes) {
    if (!roas.empty()) roas += ",";
    absl::StrAppend(&roas, R"({"prefix": ")", p, R"(", "maxLength": 32, "asn": )", asn, "}");
  }
  return absl::StrCat(R"({"roas": [)", roas, "]", aspas.empty() ? "" : ", \"aspas\": " + aspas,
                      "}");
}

std::vector<std::string> Prefixes(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back(absl::StrFormat("172.20.%d.0/24", i));
  return out;
}

class MergeTest : public SourceLoopTest {
 protected:
  // Sources "a" and "b", JSON files.
  void MakeMergeLoop(SourceLoopOptions options = {}) {
    std::vector<NamedSource> sources;
    sources.push_back({"a", std::make_unique<sources::JsonVrpSource>(A())});
    sources.push_back({"b", std::make_unique<sources::JsonVrpSource>(B())});
    history_ = std::make_unique<rtr::History>(uint16_t{77});
    loop_ = std::make_unique<SourceLoop>(std::move(sources), history_.get(), &server_, options);
  }
  std::string A() const { return dir_.path() + "/a.json"; }
  std::string B() const { return dir_.path() + "/b.json"; }
  // Rewrites a file so that its stamp changes even within one second.
  void Rewrite(const std::string& path, const std::string& text) {
    fs::remove(path);
    WriteFile(path, text);
  }
};

TEST_F(MergeTest, SeveralSourcesAreServedAsTheirUnionAndEachKeepsItsPart) {
  // 0-9 from a, 5-14 from b (5-9 from both); an ASPA record of one customer
  // in both, with other providers.
  WriteFile(A(), VrpJson(Prefixes(0, 10), 4242420000,
                         R"([{"customer_asid": 4242420000, "providers": [4242420001]}])"));
  WriteFile(B(), VrpJson(Prefixes(5, 15), 4242420000,
                         R"([{"customer_asid": 4242420000, "providers": [4242420002]}])"));
  MakeMergeLoop(SourceLoopOptions{.max_withdraw_percent = 100});  // the guard is below
  LogCapture log;
  ASSERT_TRUE(loop_->PollOnce());
  ExpectStillServing(1, 15);  // duplicates served once
  ASSERT_EQ(loop_->Current()->set().aspas().size(), 1u);
  EXPECT_EQ(loop_->Current()->set().aspas()[0].providers,
            (std::vector<uint32_t>{4242420001, 4242420002}));
  LoopStatus st = loop_->Status();
  ASSERT_EQ(st.sources.size(), 2u);
  EXPECT_EQ(st.sources[0].vrps, 10u);
  EXPECT_EQ(st.sources[1].vrps, 10u);
  EXPECT_TRUE(HasMetric("rtr42_source_vrps{source=\"a\"} 10"));

  // b breaks: its part stays, a goes on.
  Rewrite(B(), "{\"roas\": [");
  Rewrite(A(), VrpJson(Prefixes(0, 9), 4242420000));
  EXPECT_TRUE(loop_->PollOnce());
  ExpectStillServing(2, 15);  // 8 went from a, but b still gives it
  EXPECT_TRUE(loop_->Current()->set().Contains(testing::V("172.20.8.0/24", 32, 4242420000)));
  EXPECT_EQ(loop_->Current()->set().aspas()[0].providers, (std::vector<uint32_t>{4242420002}));
  Rewrite(A(), VrpJson(Prefixes(0, 4), 4242420000));  // 4 and 9 from a: 4 withdrawn
  EXPECT_TRUE(loop_->PollOnce());
  ExpectStillServing(3, 14);
  EXPECT_TRUE(HasMetric("rtr42_source_up{source=\"b\"} 0"));
  EXPECT_TRUE(HasMetric("rtr42_source_up{source=\"a\"} 1"));
  EXPECT_EQ(log.Count(LogLevel::kError, "source b (json " + B() + ") failed"), 1) << log.All();

  // b gone altogether: still its part.
  fs::remove(B());
  EXPECT_FALSE(loop_->PollOnce());
  ExpectStillServing(3, 14);
  // b mended, without 14: withdrawn.
  WriteFile(B(), VrpJson(Prefixes(5, 14), 4242420000));
  EXPECT_TRUE(loop_->PollOnce());
  ExpectStillServing(4, 13);
  EXPECT_EQ(log.Count(LogLevel::kInfo, "source b recovered"), 1) << log.All();
}

TEST_F(MergeTest, EachSourceHasItsOwnWithdrawGuard) {
  WriteFile(A(), VrpJson(Prefixes(0, 20), 4242420000));
  WriteFile(B(), VrpJson(Prefixes(100, 200), 4242420001));
  MakeMergeLoop(SourceLoopOptions{.max_withdraw_percent = 10});
  LogCapture log;
  ASSERT_TRUE(loop_->PollOnce());
  ExpectStillServing(1, 120);
  // a loses all 20: under 17% of the union, but all of a: held.
  Rewrite(A(), VrpJson({}, 4242420000));
  // b's change is served meanwhile.
  Rewrite(B(), VrpJson(Prefixes(100, 201), 4242420001));
  EXPECT_TRUE(loop_->PollOnce());
  ExpectStillServing(2, 121);
  LoopStatus st = loop_->Status();
  EXPECT_TRUE(st.sources[0].withdraw_guard.holding);
  EXPECT_FALSE(st.sources[1].withdraw_guard.holding);
  EXPECT_EQ(log.Count(LogLevel::kWarning, "would withdraw 20 of 20 VRPs"), 1) << log.All();
  EXPECT_TRUE(HasMetric("rtr42_withdraw_guard_holding{source=\"a\"} 1"));
  // SIGUSR1 lets it through.
  ConfirmOnTheRunningLoop(3);
  ExpectStillServing(3, 101);
}

TEST_F(MergeTest, SourcesAreAddedReplacedAndRemovedWhileRunning) {
  WriteFile(A(), VrpJson(Prefixes(0, 10), 4242420000));
  WriteFile(B(), VrpJson(Prefixes(10, 20), 4242420000));
  std::string c = dir_.path() + "/c.json", a2 = dir_.path() + "/a2.json";
  WriteFile(c, VrpJson(Prefixes(20, 25), 4242420000));
  WriteFile(a2, VrpJson(Prefixes(0, 11), 4242420000));
  MakeMergeLoop(SourceLoopOptions{.max_withdraw_percent = 100});
  LogCapture log;
  ASSERT_TRUE(loop_->PollOnce());
  ExpectStillServing(1, 20);
  // b goes, c comes, a is replaced by another file; the order is the new one's.
  std::vector<NamedSource> fresh;
  fresh.push_back({"c", std::make_unique<sources::JsonVrpSource>(c)});
  fresh.push_back({"a", std::make_unique<sources::JsonVrpSource>(a2)});
  loop_->ReplaceSources({"c", "a"}, std::move(fresh));
  EXPECT_TRUE(loop_->PollOnce());
  ExpectStillServing(2, 16);  // 0-10 from the new a, 20-24 from c
  LoopStatus st = loop_->Status();
  ASSERT_EQ(st.sources.size(), 2u);
  EXPECT_EQ(st.sources[0].name, "c");
  EXPECT_EQ(st.sources[1].name, "a");
  EXPECT_EQ(st.sources[1].source, "json " + a2);
  EXPECT_EQ(log.Count(LogLevel::kInfo, "source b (json " + B() + ") removed: its 10 VRPs leave"), 1)
      << log.All();
  EXPECT_EQ(log.Count(LogLevel::kInfo, "source c (json " + c + ") added"), 1) << log.All();
  EXPECT_EQ(log.Count(LogLevel::kInfo, "source a (json " + a2 + ") replaced"), 1) << log.All();
  // Kept as it is: c is not read again (its stamp is known), a new c would be.
  loop_->ReplaceSources({"c"}, {});
  EXPECT_TRUE(loop_->PollOnce());
  ExpectStillServing(3, 5);
  EXPECT_EQ(loop_->Status().sources[0].polls,
            2u);  // its state went on (polled twice since it came)
}

// A source that answers when the test says so.
class ScriptedSource : public sources::VrpSource {
 public:
  absl::StatusOr<std::optional<sources::VrpSnapshot>> Poll() override {
    absl::MutexLock lock(&mutex_);
    std::optional<sources::VrpSnapshot> out = std::move(next_);
    next_.reset();
    return out;
  }
  std::string Describe() const override { return "scripted"; }
  void Give(std::vector<roa::Vrp> vrps) {
    absl::MutexLock lock(&mutex_);
    next_ = sources::VrpSnapshot{.set = std::make_shared<const roa::VrpSet>(std::move(vrps)),
                                 .revision = "scripted"};
  }

 private:
  absl::Mutex mutex_;
  std::optional<sources::VrpSnapshot> next_ ABSL_GUARDED_BY(mutex_);
};

TEST_F(MergeTest, AfterARestoreTheUnionWaitsUntilEverySourceHasAnswered) {
  WriteFile(A(), VrpJson(Prefixes(0, 10), 4242420000));
  history_ = std::make_unique<rtr::History>(uint16_t{77});
  std::vector<roa::Vrp> restored;
  for (int i = 0; i < 10; ++i) {
    restored.push_back(testing::V(absl::StrFormat("172.20.%d.0/24", i).c_str(), 32, 4242420000));
  }
  restored.push_back(testing::V("10.0.0.0/8", 8, 64496));  // the slow source's
  server_.Publish(history_->Commit(std::make_shared<const roa::VrpSet>(restored), "restored"));
  auto* slow = new ScriptedSource;
  std::vector<NamedSource> sources;
  sources.push_back({"a", std::make_unique<sources::JsonVrpSource>(A())});
  sources.push_back({"slow", std::unique_ptr<sources::VrpSource>(slow)});
  loop_ = std::make_unique<SourceLoop>(std::move(sources), history_.get(), &server_,
                                       SourceLoopOptions{});
  // a has answered, slow has not: serving a alone would withdraw 10.0.0.0/8.
  EXPECT_FALSE(loop_->PollOnce());
  EXPECT_FALSE(loop_->PollOnce());
  ExpectStillServing(1, 11);
  slow->Give({testing::V("10.0.0.0/8", 8, 64496), testing::V("10.1.0.0/16", 16, 64496)});
  EXPECT_TRUE(loop_->PollOnce());
  ExpectStillServing(2, 12);
  EXPECT_EQ(history_->current()->last_diff()->withdrawn.size(), 0u);
}

}  // namespace
}  // namespace rtr42::daemon
