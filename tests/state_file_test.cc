#include "rtr/state_file.h"

#include <gtest/gtest.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "absl/time/clock.h"
#include "rtr/history.h"
#include "tests/test_util.h"

namespace rtr42::rtr {
namespace {

using roa::Aspa;
using roa::Diff;
using roa::Vrp;
using roa::VrpDiff;
using roa::VrpSet;

using ::rtr42::testing::V;

std::shared_ptr<const VrpSet> Set(std::vector<Vrp> vrps, std::vector<Aspa> aspas = {},
                                  std::vector<roa::RouterKey> keys = {}) {
  return std::make_shared<const VrpSet>(std::move(vrps), std::move(aspas), std::move(keys));
}

// A history of four serials with IPv4, IPv6, ASPA and Router Key changes.
History MakeHistory() {
  History h(4242, HistoryOptions{.first_serial = 4294967294u});  // wraps past 2^32
  absl::Time t = absl::FromUnixSeconds(1700000000);
  h.Commit(Set({V("172.20.0.0/24", 28, 4242420001)}), "a", t);
  h.Commit(Set({V("172.20.0.0/24", 28, 4242420001), V("fd42:4242::/48", 64, 4242420002)}), "b",
           t + absl::Seconds(1));
  h.Commit(Set({V("fd42:4242::/48", 64, 4242420002)}, {Aspa{4242420002, {4242420001, 4242420003}}}),
           "c", t + absl::Seconds(2));
  h.Commit(Set({V("10.0.0.0/8", 8, 0), V("fd42:4242::/48", 64, 4242420002)},
               {Aspa{4242420002, {4242420003}}},
               {roa::RouterKey{std::string(20, '\x07'), 4242420002, "\x30\x59key"}}),
           "d", t + absl::Seconds(3));
  return h;
}

TEST(HistoryStoreTest, RoundTripKeepsSessionSerialSetAndDiffs) {
  History h = MakeHistory();
  const Update& u = *h.current();
  ASSERT_EQ(u.serial(), 1u);  // 4294967294, 4294967295, 0, 1
  absl::Time saved = absl::FromUnixSeconds(1700000100);
  absl::StatusOr<StateFile> back = DecodeStateFile(EncodeStateFile(u, saved), "mem");
  ASSERT_TRUE(back.ok()) << back.status();
  const Update& r = *back->update;
  EXPECT_EQ(back->saved, saved);
  EXPECT_EQ(r.session_id(), 4242);
  EXPECT_EQ(r.serial(), 1u);
  EXPECT_EQ(r.revision(), "d");
  EXPECT_EQ(r.set(), u.set());
  EXPECT_EQ(r.set().router_keys().size(), 1u);
  EXPECT_EQ(r.oldest_serial(), 4294967294u);
  for (uint32_t s : {4294967294u, 4294967295u, 0u, 1u}) {
    ASSERT_TRUE(r.DiffFrom(s).has_value()) << s;
    EXPECT_EQ(*r.DiffFrom(s), *u.DiffFrom(s)) << s;
  }
  ASSERT_EQ(r.steps().size(), u.steps().size());
  for (size_t i = 0; i < r.steps().size(); ++i) {
    EXPECT_EQ(r.steps()[i]->time, u.steps()[i]->time);
  }
}

TEST(HistoryStoreTest, RestoredHistoryContinuesTheSerial) {
  History h = MakeHistory();
  testing::TempDir dir;
  std::string path = dir.path() + "/" + kStateFileName;
  ASSERT_TRUE(SaveStateFile(*h.current(), path).ok());
  absl::StatusOr<StateFile> state = LoadStateFile(path);
  ASSERT_TRUE(state.ok()) << state.status();

  History restored(state->update);
  EXPECT_EQ(restored.session_id(), 4242);
  // The same set again is no new serial.
  EXPECT_EQ(restored.Commit(std::make_shared<const VrpSet>(h.current()->set()), "d"), nullptr);
  auto next = restored.Commit(Set({V("fd42:4242::/48", 64, 4242420002)}), "e");
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next->serial(), 2u);
  EXPECT_EQ(next->session_id(), 4242);
  // A router that was at serial 4294967295 ("b") before the restart gets a diff.
  std::optional<VrpDiff> diff = next->DiffFrom(4294967295u);
  ASSERT_TRUE(diff.has_value());
  EXPECT_EQ(diff->announced, (std::vector<Vrp>{}));
  EXPECT_EQ(diff->withdrawn, (std::vector<Vrp>{V("172.20.0.0/24", 28, 4242420001)}));
  EXPECT_TRUE(diff->aspa_withdrawn.empty());
  // And one at serial 0 ("c") loses the ASPA record.
  diff = next->DiffFrom(0);
  ASSERT_TRUE(diff.has_value());
  EXPECT_TRUE(diff->withdrawn.empty());
  EXPECT_EQ(diff->aspa_withdrawn.size(), 1u);
}

TEST(HistoryStoreTest, MissingFileIsNotFound) {
  testing::TempDir dir;
  absl::StatusOr<StateFile> state = LoadStateFile(dir.path() + "/none");
  EXPECT_TRUE(absl::IsNotFound(state.status())) << state.status();
}

TEST(HistoryStoreTest, EveryDamageIsDataLossNamingTheFile) {
  History h = MakeHistory();
  std::string good = EncodeStateFile(*h.current());
  std::vector<std::pair<std::string, std::string>> cases = {
      {"empty", ""},
      {"not ours", "{\"roas\": []}"},
      {"truncated", good.substr(0, good.size() / 2)},
      {"one byte short", good.substr(0, good.size() - 1)},
  };
  for (size_t i = 0; i < good.size(); i += 7) {
    std::string flipped = good;
    flipped[i] ^= 0x20;
    cases.emplace_back("flipped byte " + std::to_string(i), flipped);
  }
  for (const auto& [what, bytes] : cases) {
    absl::StatusOr<StateFile> state = DecodeStateFile(bytes, "/var/lib/rtr42/rtr-state.bin");
    ASSERT_FALSE(state.ok()) << what;
    EXPECT_TRUE(absl::IsDataLoss(state.status())) << what << ": " << state.status();
    EXPECT_NE(state.status().message().find("/var/lib/rtr42/rtr-state.bin"), std::string::npos)
        << what;
  }
}

TEST(HistoryStoreTest, ConsistentHashButBadContentIsRefused) {
  // Writers other than ours (or a bug) could produce a well-hashed file with
  // bad fields: each is refused by the field checks, not only the hash.
  History h(7);
  h.Commit(Set({V("172.20.0.0/24", 28, 1), V("172.21.0.0/24", 28, 2)}), "a");
  std::string good = EncodeStateFile(*h.current());
  auto rehash = [](std::string body_and_hash) {
    body_and_hash.resize(body_and_hash.size() - 32);
    // The trailer is recomputed the way the format defines it.
    unsigned char digest[32];
    SHA256(reinterpret_cast<const unsigned char*>(body_and_hash.data()), body_and_hash.size(),
           digest);
    body_and_hash.append(reinterpret_cast<const char*>(digest), 32);
    return body_and_hash;
  };
  // The second VRP's prefix length byte: make it 40 (over 32).
  std::string header = "rtr42 RTR state\n";
  size_t vrps_at = header.size() + 4 + 8 + 4 + 4 + 2;  // format, saved, session, serial, "a"
  ASSERT_EQ(good[vrps_at], 2);                         // count
  std::string bad_length = good;
  bad_length[vrps_at + 2] = 40;
  absl::StatusOr<StateFile> state = DecodeStateFile(rehash(bad_length), "f");
  EXPECT_FALSE(state.ok());
  EXPECT_NE(state.status().message().find("length"), std::string::npos) << state.status();
  // The two VRP records swapped: out of order.
  std::string swapped = good;
  size_t record = 1 + 1 + 3 + 1 + 4;  // family, length, 3 bytes of /24, max, asn
  std::string first = good.substr(vrps_at + 1, record);
  std::string second = good.substr(vrps_at + 1 + record, record);
  swapped.replace(vrps_at + 1, record, second);
  swapped.replace(vrps_at + 1 + record, record, first);
  state = DecodeStateFile(rehash(swapped), "f");
  EXPECT_FALSE(state.ok());
  EXPECT_NE(state.status().message().find("order"), std::string::npos) << state.status();
}

}  // namespace
}  // namespace rtr42::rtr

namespace rtr42::rtr {
namespace {

TEST(StateFileSafetyTest, InvalidatedFilesNeverLoadAndStaleTemporariesGo) {
  testing::TempDir dir;
  std::string path = dir.path() + "/" + kStateFileName;
  History h = MakeHistory();
  ASSERT_TRUE(SaveStateFile(*h.current(), path).ok());
  ASSERT_TRUE(LoadStateFile(path).ok());
  ASSERT_TRUE(InvalidateStateFile(path).ok());
  EXPECT_TRUE(absl::IsNotFound(LoadStateFile(path).status()));
  EXPECT_TRUE(InvalidateStateFile(path).ok());  // nothing there: fine
  // Where the directory forbids removing it, the header is overwritten.
  if (::geteuid() != 0) {
    ASSERT_TRUE(SaveStateFile(*h.current(), path).ok());
    ASSERT_EQ(::chmod(dir.path().c_str(), 0555), 0);
    EXPECT_TRUE(InvalidateStateFile(path).ok());
    ::chmod(dir.path().c_str(), 0755);
    absl::StatusOr<StateFile> gone = LoadStateFile(path);
    EXPECT_EQ(gone.status().code(), absl::StatusCode::kDataLoss) << gone.status();
  }
  // A device or a FIFO in its place is refused, not read (or waited on).
  std::string fifo = dir.path() + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(LoadStateFile(fifo).status().code(), absl::StatusCode::kDataLoss);
  std::string link = dir.path() + "/zero";
  ASSERT_EQ(::symlink("/dev/zero", link.c_str()), 0);
  EXPECT_EQ(LoadStateFile(link).status().code(), absl::StatusCode::kDataLoss);
  // Temporaries of saves killed midway.
  for (const char* t : {".tmpAbC123", ".tmpzzzzzz"}) testing::WriteFile(path + t, "partial");
  testing::WriteFile(path + ".keep", "not ours");
  EXPECT_EQ(RemoveStaleTemporaries(path), 2);
  EXPECT_TRUE(std::filesystem::exists(path + ".keep"));
}

}  // namespace
}  // namespace rtr42::rtr
