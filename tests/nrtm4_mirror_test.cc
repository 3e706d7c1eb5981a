// The NRTMv4 mirror client against feeds made by the publisher from a small
// git registry (local files, section 9.4), and against crafted feeds for each
// way a feed can be wrong. In every failure the confirmed state (version and
// objects, hence the VRPs) stays as it was.
#include <gtest/gtest.h>

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "base/file_util.h"
#include "nrtm4/files.h"
#include "nrtm4/mirror_source.h"
#include "nrtm4/publisher.h"
#include "nrtm4/signature.h"
#include "roa/compiler.h"
#include "tests/test_util.h"
#include "tests/tls_test_server.h"

namespace rtr42::nrtm4 {
namespace {

using roa::RegistryCompiler;
using roa::Vrp;
using roa::VrpSet;
using ::rtr42::testing::V;
using sources::RegistryDelta;

using testing::RunCommand;
using testing::TempDir;
using testing::WriteFile;

class Nrtm4SourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    reg_ = dir_.path() + "/reg";
    feed_ = dir_.path() + "/feed";
    RunCommand("mkdir -p " + reg_ + "/data/route " + reg_ + "/data/route6 " + reg_ +
               "/data/mntner");
    Git("init -q -b master");
    Route("172.20.1.0/24", "AS4242420001");
    Route("fd42:1::/48", "AS4242420001", "route6");
    WriteFile(reg_ + "/data/mntner/FOO-MNT", "mntner: FOO-MNT\nsource: DN42\n");
    Commit();
    for (const char* name : {"a", "b"}) {
      nrtm4::KeyPair k = *nrtm4::GenerateP256KeyPair();
      WriteFile(absl::StrCat(dir_.path(), "/", name, ".key"), k.private_pem);
      WriteFile(absl::StrCat(dir_.path(), "/", name, ".pub"), k.public_pem);
    }
  }
  void Git(const std::string& args) {
    ASSERT_EQ(RunCommand(absl::StrCat("git -C ", reg_, " -c user.name=t -c user.email=t@t ", args,
                                      " >/dev/null")),
              0);
  }
  void Route(const std::string& prefix, const std::string& origin,
             const std::string& cls = "route") {
    WriteFile(absl::StrCat(reg_, "/data/", cls, "/", absl::StrReplaceAll(prefix, {{"/", "_"}})),
              absl::StrCat(cls, ": ", prefix, "\norigin: ", origin, "\nsource: DN42\n"));
  }
  void Commit() {
    Git("add -A");
    Git("commit -qm c");
  }
  PublishResult Publish(const std::string& key = "a", const std::string& next = "",
                        bool new_session = false, absl::Time now = absl::InfinitePast()) {
    PublishOptions o;
    o.registry = reg_;
    o.feed_dir = feed_;
    o.private_key_file = absl::StrCat(dir_.path(), "/", key, ".key");
    if (!next.empty()) o.next_public_key_file = absl::StrCat(dir_.path(), "/", next, ".pub");
    o.new_session = new_session;
    o.now = now;
    absl::StatusOr<PublishResult> r = PublishNrtm4(o);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : PublishResult{};
  }
  std::unique_ptr<MirrorSource> Client(const std::string& key = "a",
                                       const std::string& state = "state") {
    MirrorOptions o;
    o.url = feed_ + "/update-notification-file.jose";
    o.source = "DN42";
    o.key_file = absl::StrCat(dir_.path(), "/", key, ".pub");
    o.state_dir = absl::StrCat(dir_.path(), "/", state);
    absl::StatusOr<std::unique_ptr<MirrorSource>> s = MirrorSource::Open(o);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  // Polls into `compiler_`; the VRP count afterwards, or the error.
  absl::StatusOr<size_t> Sync(MirrorSource* s) {
    absl::StatusOr<std::optional<RegistryDelta>> d = s->Poll();
    if (!d.ok()) return d.status();
    if (d->has_value()) {
      if (absl::Status st = compiler_.Apply(**d); !st.ok()) return st;
      s->Confirm();
    }
    return compiler_.BuildSet().size();
  }
  nrtm4::Notification Current() {
    std::string jws = *ReadFile(feed_ + "/update-notification-file.jose");
    return *nrtm4::ParseNotification(*nrtm4::JwsVerify(jws, *ReadFile(dir_.path() + "/a.pub")));
  }
  void Sign(const nrtm4::Notification& n, const std::string& key = "a") {
    WriteFile(feed_ + "/update-notification-file.jose",
              *nrtm4::JwsSign(nrtm4::FormatNotification(n),
                              *ReadFile(absl::StrCat(dir_.path(), "/", key, ".key"))));
  }
  // Writes a delta file of `records` after its header and names it in `n`.
  void AddDelta(nrtm4::Notification* n, const std::vector<nlohmann::json>& records,
                bool truncate = false) {
    uint64_t v = n->version + 1;
    std::string url = absl::StrCat(n->session_id, "/crafted.", v, ".json.gz");
    std::string path = feed_ + "/" + url;
    {
      auto w = *nrtm4::RecordWriter::Open(path, true);
      ASSERT_TRUE(w->Write(nrtm4::MakeHeader("delta", *n, v)).ok());
      for (const auto& r : records) ASSERT_TRUE(w->Write(r).ok());
      ASSERT_TRUE(w->Close().ok());
    }
    if (truncate) {
      std::string bytes = *ReadFile(path);
      WriteFile(path, bytes.substr(0, bytes.size() - 12));
    }
    n->deltas.push_back({v, url, *nrtm4::Sha256File(path)});
    n->version = v;
  }
  // A client synced to the first publication, and a second one (one more
  // route) published but not polled.
  std::unique_ptr<MirrorSource> SyncedThenOneMoreRoute() {
    Publish();
    auto c = Client();
    EXPECT_EQ(*Sync(c.get()), 2u);
    Route("172.20.2.0/24", "AS4242420002");
    Commit();
    Publish();
    return c;
  }
  void ExpectUnchanged(MirrorSource* s, uint64_t version, size_t vrps, const char* expect) {
    absl::StatusOr<size_t> r = Sync(s);
    ASSERT_FALSE(r.ok()) << expect;
    EXPECT_NE(r.status().message().find(expect), std::string::npos) << r.status();
    EXPECT_EQ(s->version(), version);
    EXPECT_EQ(compiler_.BuildSet().size(), vrps);
  }

  TempDir dir_;
  std::string reg_, feed_;
  RegistryCompiler compiler_;
};

TEST_F(Nrtm4SourceTest, SnapshotThenDeltasThenRestartResumes) {
  Publish();
  auto c = Client();
  ASSERT_EQ(*Sync(c.get()), 2u);
  EXPECT_EQ(c->version(), 1u);
  EXPECT_EQ(c->object_count(), 2u);  // the mntner is not kept
  EXPECT_EQ(c->last_ignored(), 1u);
  Route("172.20.2.0/24", "AS4242420002");
  Commit();
  RunCommand("rm " + reg_ + "/data/route6/*");
  Commit();
  EXPECT_EQ(Publish().changes, 2u);  // one delta for both commits
  ASSERT_EQ(*Sync(c.get()), 2u);
  EXPECT_EQ(c->version(), 2u);
  EXPECT_TRUE(compiler_.BuildSet().Contains(V("172.20.2.0/24", 24, 4242420002)));
  // Nothing new: no delta for the compiler.
  EXPECT_FALSE(c->Poll()->has_value());
  // A new process resumes from the state directory with deltas.
  Route("172.20.3.0/24", "AS4242420003");
  Commit();
  Publish();
  compiler_ = RegistryCompiler();
  auto again = Client();
  EXPECT_EQ(again->version(), 2u);
  ASSERT_EQ(*Sync(again.get()), 3u);
  EXPECT_EQ(again->version(), 3u);
}

TEST_F(Nrtm4SourceTest, AnUnconfirmedPollIsRolledBackEvenAcrossACrash) {
  auto c = SyncedThenOneMoreRoute();
  // The delta reaches the compiler, which never confirms; the process ends.
  absl::StatusOr<std::optional<RegistryDelta>> d = c->Poll();
  ASSERT_TRUE(d.ok() && d->has_value()) << d.status();
  EXPECT_EQ((*d)->changes.size(), 1u);
  c.reset();
  auto again = Client();
  EXPECT_EQ(again->version(), 1u);
  EXPECT_EQ(again->object_count(), 2u);
  // The restarted mirror hands over everything at version 2 once.
  compiler_ = RegistryCompiler();
  ASSERT_EQ(*Sync(again.get()), 3u);
  EXPECT_EQ(again->version(), 2u);
  EXPECT_EQ(again->object_count(), 3u);
  // A poll that is not confirmed is undone by the next one: the same delta
  // again, computed from the same base.
  Route("172.20.3.0/24", "AS4242420003");
  Commit();
  Publish();
  for (int i = 0; i < 2; ++i) {
    d = again->Poll();
    ASSERT_TRUE(d.ok() && d->has_value()) << d.status();
    ASSERT_EQ((*d)->changes.size(), 1u);
    EXPECT_FALSE((*d)->full);
    EXPECT_EQ((*d)->changes[0].path, "data/route/172.20.3.0_24AS4242420003");
  }
  EXPECT_EQ(again->version(), 2u);
}

TEST_F(Nrtm4SourceTest, TheStateIsAnSqliteDatabaseAndTheOldJsonFileIsRetired) {
  std::string state = dir_.path() + "/state";
  RunCommand("mkdir -p " + state);
  WriteFile(state + "/state.json", "{\"source\": \"DN42\"}");
  Publish();
  testing::LogCapture log;
  auto c = Client();
  EXPECT_EQ(log.Count(LogLevel::kWarning, "is not read any more"), 1) << log.All();
  EXPECT_FALSE(std::filesystem::exists(state + "/state.json"));
  ASSERT_EQ(*Sync(c.get()), 2u);
  std::string out;
  ASSERT_EQ(RunCommand(absl::StrCat("sqlite3 ", state, "/", kMirrorDatabase,
                                    " 'PRAGMA journal_mode; SELECT class, pkey FROM objects "
                                    "ORDER BY 1, 2; SELECT value FROM meta WHERE name = "
                                    "\"version\"'"),
                       &out),
            0);
  EXPECT_EQ(out, "wal\nroute|172.20.1.0/24AS4242420001\nroute6|fd42:1::/48AS4242420001\n1\n");
  // A database for another feed is not used.
  c.reset();
  MirrorOptions o;
  o.url = feed_ + "/other.jose";
  o.source = "DN42";
  o.key_file = dir_.path() + "/a.pub";
  o.state_dir = state;
  auto other = MirrorSource::Open(o);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ((*other)->version(), 0u);
  EXPECT_EQ((*other)->object_count(), 0u);
  EXPECT_EQ(log.Count(LogLevel::kWarning, "is for another feed"), 1) << log.All();
}

TEST_F(Nrtm4SourceTest, OverHttpsTheNotificationIsFetchedConditionally) {
  Publish();
  // The feed directory served as nginx serves it: ETag and Last-Modified
  // from the file, 304 for a matching If-None-Match.
  bool fail_deltas = false;
  testing::TlsTestServer server(dir_.path(), [&](const std::string& request) {
    size_t start = request.find(' ') + 1;
    std::string path = request.substr(start, request.find(' ', start) - start);
    absl::StatusOr<std::string> body = ReadFile(feed_ + path);
    if (!body.ok() || (fail_deltas && absl::StrContains(path, "delta"))) {
      return testing::TlsTestServer::Reply{{"HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n"}};
    }
    std::string etag = absl::StrCat("\"", std::hash<std::string>()(*body), "\"");
    if (absl::StrContains(request, "If-None-Match: " + etag)) {
      return testing::TlsTestServer::Reply{{"HTTP/1.1 304 Not Modified\r\n\r\n"}};
    }
    return testing::TlsTestServer::Reply{
        {absl::StrCat("HTTP/1.1 200 OK\r\nContent-Length: ", body->size(), "\r\nETag: ", etag,
                      "\r\n\r\n", *body)}};
  });
  MirrorOptions o;
  o.url = server.Url("/update-notification-file.jose");
  o.source = "DN42";
  o.key_file = dir_.path() + "/a.pub";
  o.ca_file = server.ca_file();
  o.state_dir = dir_.path() + "/https-state";
  auto c = *MirrorSource::Open(o);
  ASSERT_EQ(*Sync(c.get()), 2u);
  EXPECT_FALSE(absl::StrContains(server.requests().front(), "If-None-Match"));
  EXPECT_FALSE(c->Poll()->has_value());
  EXPECT_TRUE(c->last_not_modified());
  EXPECT_TRUE(absl::StrContains(server.requests().back(), "If-None-Match"));
  // A new version whose delta cannot be fetched: the next poll asks again
  // in full (the failed one did not count as seen).
  Route("172.20.2.0/24", "AS4242420002");
  Commit();
  Publish();
  fail_deltas = true;
  absl::StatusOr<size_t> failed = Sync(c.get());
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(absl::StrContains(failed.status().message(), "HTTP status 503")) << failed.status();
  fail_deltas = false;
  ASSERT_EQ(*Sync(c.get()), 3u);
  EXPECT_FALSE(c->last_not_modified());
  EXPECT_EQ(c->version(), 2u);
  EXPECT_FALSE(c->Poll()->has_value());
  EXPECT_TRUE(c->last_not_modified());
}

TEST_F(Nrtm4SourceTest, BadSignatureAndWrongKeyAreRejected) {
  auto c = SyncedThenOneMoreRoute();
  std::string jws = *ReadFile(feed_ + "/update-notification-file.jose");
  std::string sig = jws.substr(jws.rfind('.') + 1);
  sig[5] = sig[5] == 'A' ? 'B' : 'A';
  WriteFile(feed_ + "/update-notification-file.jose", jws.substr(0, jws.rfind('.') + 1) + sig);
  ExpectUnchanged(c.get(), 1, 2, "signature");
  auto wrong = Client("b", "state-b");
  absl::StatusOr<std::optional<RegistryDelta>> d = wrong->Poll();
  EXPECT_EQ(d.status().code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(Nrtm4SourceTest, TamperedSnapshotOrDeltaAndMissingDeltaAreRejected) {
  Publish();
  nrtm4::Notification n = Current();
  std::string snapshot = feed_ + "/" + n.snapshot.url;
  std::string original = *ReadFile(snapshot);
  WriteFile(snapshot, original + "x");
  auto fresh = Client("a", "fresh");
  EXPECT_NE(Sync(fresh.get()).status().message().find("SHA-256"), std::string::npos);
  EXPECT_EQ(fresh->version(), 0u);
  WriteFile(snapshot, original);

  auto c = Client();
  ASSERT_EQ(*Sync(c.get()), 2u);
  Route("172.20.2.0/24", "AS4242420002");
  Commit();
  Publish();
  std::string delta = feed_ + "/" + Current().deltas.back().url;
  std::string good = *ReadFile(delta);
  WriteFile(delta, good.substr(0, good.size() - 1) + "\x01");
  ExpectUnchanged(c.get(), 1, 2, "SHA-256");
  RunCommand("rm " + delta);
  ExpectUnchanged(c.get(), 1, 2, "cannot open");
  WriteFile(delta, good);
  ASSERT_EQ(*Sync(c.get()), 3u);
}

TEST_F(Nrtm4SourceTest, VersionGapAndChangedHashAreRejected) {
  Publish();
  auto c = Client();
  ASSERT_EQ(*Sync(c.get()), 2u);
  nrtm4::Notification n = Current();
  nrtm4::Notification gap = n;
  AddDelta(&gap, {{{"action", "delete"}, {"object_class", "route"}, {"primary_key", "x"}}});
  nrtm4::Notification skipped = gap;  // deltas 2 and 4
  skipped.deltas.push_back({4, gap.deltas.back().url, gap.deltas.back().hash});
  skipped.version = 4;
  Sign(skipped);
  ExpectUnchanged(c.get(), 1, 2, "not contiguous");
  // Delta 2 applied, then a notification naming delta 2 with another hash.
  Sign(gap);
  ASSERT_EQ(*Sync(c.get()), 2u);
  EXPECT_EQ(c->version(), 2u);
  nrtm4::Notification changed = gap;
  changed.deltas.back().hash = std::string(64, 'c');
  Sign(changed);
  ExpectUnchanged(c.get(), 2, 2, "another hash");
  // An older version than ours is rejected too.
  Sign(n);
  ExpectUnchanged(c.get(), 2, 2, "one behind");
}

TEST_F(Nrtm4SourceTest, BadRecordsRejectTheDeltaButUnknownClassesAreIgnored) {
  Publish();
  auto c = Client();
  ASSERT_EQ(*Sync(c.get()), 2u);
  nrtm4::Notification base = Current();
  nrtm4::Notification n = base;
  AddDelta(&n, {nlohmann::json::array({1, 2})});  // not an object: written as a record
  Sign(n);
  ExpectUnchanged(c.get(), 1, 2, "not a JSON object");
  n = base;
  AddDelta(&n,
           {{{"action", "add_modify"},
             {"object", "route: 172.20.9.0/24\norigin: AS4242420009\nsource: DN42\n"}}},
           /*truncate=*/true);
  Sign(n);
  ExpectUnchanged(c.get(), 1, 2, "gzip");
  n = base;
  AddDelta(&n, {{{"action", "replace"}, {"object", "x"}}});
  Sign(n);
  ExpectUnchanged(c.get(), 1, 2, "action");
  n = base;
  AddDelta(&n, {{{"action", "add_modify"}, {"object", "widget: W1\nsource: DN42\n"}},
                {{"action", "add_modify"}, {"object", "route: 172.20.9.0/24\nsource: DN42\n"}},
                {{"action", "add_modify"},
                 {"object", "route: 172.20.8.0/24\norigin: AS4242420008\nsource: DN42\n"}},
                {{"action", "delete"},
                 {"object_class", "ROUTE6"},
                 {"primary_key", "fd42:1::/48as4242420001"}}});
  Sign(n);
  ASSERT_EQ(*Sync(c.get()), 2u);  // +172.20.8.0/24, -fd42:1::/48
  EXPECT_EQ(c->last_ignored(), 1u);
  EXPECT_EQ(c->last_skipped(), 1u);
  EXPECT_EQ(c->version(), 2u);
}

TEST_F(Nrtm4SourceTest, NewSessionReinitialisesFromTheSnapshot) {
  Publish();
  auto c = Client();
  ASSERT_EQ(*Sync(c.get()), 2u);
  std::string old_session = c->session_id();
  Route("172.20.2.0/24", "AS4242420002");
  Commit();
  EXPECT_TRUE(Publish("a", "", /*new_session=*/true).new_session);
  ASSERT_EQ(*Sync(c.get()), 3u);
  EXPECT_NE(c->session_id(), old_session);
  EXPECT_EQ(c->version(), 1u);
}

TEST_F(Nrtm4SourceTest, KeyRotationThroughNextSigningKey) {
  Publish("a", "b");  // signed by a, announcing b
  auto c = Client("a");
  ASSERT_EQ(*Sync(c.get()), 2u);
  ASSERT_TRUE(c->next_signing_key().has_value());
  std::string b = *ReadFile(dir_.path() + "/b.pub");
  EXPECT_EQ(*c->next_signing_key(), b);
  Route("172.20.2.0/24", "AS4242420002");
  Commit();
  Publish("b");  // the new key alone
  ASSERT_EQ(*Sync(c.get()), 3u);
  EXPECT_EQ(c->signing_key(), b);
  EXPECT_FALSE(c->next_signing_key().has_value());
  // The old key is never used again, and a restart keeps the new one.
  Publish("a");
  ExpectUnchanged(c.get(), 2, 3, "signature");
  auto restarted = Client("a");
  EXPECT_EQ(restarted->signing_key(), b);
}

TEST_F(Nrtm4SourceTest, StaleNotificationIsLoggedAndStillProcessed) {
  Publish("a", "", false, absl::Now() - absl::Hours(30));
  auto c = Client();
  ASSERT_EQ(*Sync(c.get()), 2u);
  EXPECT_TRUE(c->last_stale());
  Publish();
  EXPECT_FALSE(c->Poll()->has_value());
  EXPECT_FALSE(c->last_stale());
}

TEST_F(Nrtm4SourceTest, OnlyHttpsOrLocalFiles) {
  MirrorOptions o;
  o.url = "http://127.0.0.1/update-notification-file.jose";
  o.source = "DN42";
  o.key_file = dir_.path() + "/a.pub";
  o.state_dir = dir_.path() + "/s";
  absl::StatusOr<std::unique_ptr<MirrorSource>> s = MirrorSource::Open(o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("HTTPS only"), std::string::npos) << s.status();
  o.url = "ftp://example.net/x.jose";
  EXPECT_FALSE(MirrorSource::Open(o).ok());
  // A local notification naming an absolute URL is refused: no mixing.
  Publish();
  nrtm4::Notification n = Current();
  n.snapshot.url = "https://example.net/" + n.snapshot.url;
  Sign(n);
  auto c = Client();
  EXPECT_NE(Sync(c.get()).status().message().find("not a plain path relative"), std::string::npos);
  // Nor anything that is not a plain relative path: percent-encoded dot
  // segments, a query, a line break that would end the request line.
  for (const char* url : {"%2e%2e/%2e%2e/etc/passwd", "s/snap.json.gz?x=1",
                          "s/snap.json.gz HTTP/1.1\r\nHost: evil", "../feed/snap.json.gz"}) {
    n = Current();
    n.snapshot.url = url;
    Sign(n);
    auto fresh = Client("a", "fresh-url");
    absl::StatusOr<size_t> r = Sync(fresh.get());
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_NE(r.status().message().find("not a plain path relative"), std::string::npos)
        << r.status();
  }
}

TEST_F(Nrtm4SourceTest, ADamagedDatabaseIsSetAsideAndTheMirrorStartsAgain) {
  Publish();
  std::string state = dir_.path() + "/state";
  RunCommand("mkdir -p " + state);
  WriteFile(absl::StrCat(state, "/", kMirrorDatabase), std::string(8192, 'x'));
  testing::LogCapture log;
  auto c = Client();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(log.Count(LogLevel::kWarning, "set aside"), 1) << log.All();
  EXPECT_TRUE(std::filesystem::exists(absl::StrCat(state, "/", kMirrorDatabase, ".damaged")));
  ASSERT_EQ(*Sync(c.get()), 2u);
  EXPECT_EQ(c->version(), 1u);
}

TEST_F(Nrtm4SourceTest, PublisherDropsDeltasAfterADayAndSnapshotsHourly) {
  absl::Time t0 = absl::Now() - absl::Hours(30);
  Publish("a", "", false, t0);
  Route("172.20.2.0/24", "AS4242420002");
  Commit();
  PublishResult r = Publish("a", "", false, t0 + absl::Minutes(1));
  EXPECT_TRUE(r.wrote_delta);
  EXPECT_FALSE(r.wrote_snapshot);  // the last snapshot is a minute old
  r = Publish("a", "", false, t0 + absl::Hours(2));
  EXPECT_TRUE(r.wrote_snapshot);
  EXPECT_EQ(Current().snapshot.version, 2u);
  Route("172.20.3.0/24", "AS4242420003");
  Commit();
  Publish("a", "", false, t0 + absl::Hours(3));
  EXPECT_EQ(Current().deltas.size(), 2u);
  r = Publish("a", "", false, t0 + absl::Hours(26));
  EXPECT_EQ(r.deltas_dropped, 1u);
  EXPECT_EQ(Current().deltas.size(), 1u);
  // A fresh client still gets everything: snapshot 2, then delta 3.
  auto c = Client();
  ASSERT_EQ(*Sync(c.get()), 4u);
  EXPECT_EQ(c->version(), 3u);
}

}  // namespace
}  // namespace rtr42::nrtm4
