// NRTMv4 formats and crypto: base64url, ES256 JWS, the Update Notification
// File rules of section 6.3, the draft's own example files, JSON text
// sequences with and without gzip, and primary keys.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "nrtm4/files.h"
#include "nrtm4/signature.h"
#include "tests/test_util.h"

namespace rtr42::nrtm4 {
namespace {

using testing::TempDir;
using testing::WriteFile;

const std::string kHash64(64, 'a');

TEST(Nrtm4CryptoTest, Base64UrlMatchesRfc7515) {
  // RFC 7515 appendix C.
  EXPECT_EQ(Base64UrlEncode(std::string("\x03\xec\xff\xe0\xc1", 5)), "A-z_4ME");
  EXPECT_EQ(*Base64UrlDecode("A-z_4ME"), std::string("\x03\xec\xff\xe0\xc1", 5));
  EXPECT_FALSE(Base64UrlDecode("A-z_4ME=").ok());
  EXPECT_FALSE(Base64UrlDecode("A+z/").ok());
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Nrtm4CryptoTest, Es256SignsAndVerifiesAndRejectsTampering) {
  KeyPair a = *GenerateP256KeyPair();
  KeyPair b = *GenerateP256KeyPair();
  EXPECT_EQ(*PublicKeyOf(a.private_pem), a.public_pem);
  std::string jws = *JwsSign(R"({"x": 1})", a.private_pem);
  EXPECT_EQ(*JwsVerify(jws, a.public_pem), R"({"x": 1})");
  EXPECT_EQ(JwsVerify(jws, b.public_pem).status().code(), absl::StatusCode::kPermissionDenied);
  // A payload changed after signing.
  size_t dot = jws.find('.');
  std::string tampered =
      jws.substr(0, dot + 1) + Base64UrlEncode(R"({"x": 2})") + jws.substr(jws.rfind('.'));
  EXPECT_FALSE(JwsVerify(tampered, a.public_pem).ok());
  // alg none, HS256 and a bare payload are refused.
  std::string none = Base64UrlEncode(R"({"alg":"none"})") + "." + Base64UrlEncode("{}") + ".";
  EXPECT_NE(JwsVerify(none, a.public_pem).status().message().find("not supported"),
            std::string::npos);
  EXPECT_FALSE(JwsVerify("{}", a.public_pem).ok());
  // A bare base64 public key (no PEM armour) is accepted as a key.
  std::string body = absl::StrReplaceAll(
      a.public_pem,
      {{"-----BEGIN PUBLIC KEY-----", ""}, {"-----END PUBLIC KEY-----", ""}, {"\n", ""}});
  EXPECT_EQ(*NormalizePublicKey(body), a.public_pem);
  EXPECT_FALSE(NormalizePublicKey("bnJ0..bXY0").ok());
}

// The payload example of section 6.3, with the hashes and the key the draft
// shortens ("9a..86", "bnJ0..bXY0") written out in full.
std::string DraftNotification(const std::string& next_key) {
  return absl::StrCat(R"({
  "nrtm_version": 4,
  "timestamp": "2022-01-01T15:00:00Z",
  "type": "notification",
  "next_signing_key": ")",
                      absl::StrReplaceAll(next_key, {{"\n", "\\n"}}), R"(",
  "source": "EXAMPLE",
  "session_id": "ca128382-78d9-41d1-8927-1ecef15275be",
  "version": 4,
  "snapshot": {
    "version": 3,
    "url": "ca128382-78d9-41d1-8927-1ecef15275be/nrtm-snapshot.2.047595d0fae972fbed0c51b4a41c7a349e0c47bb.json.gz",
    "hash": ")",
                      kHash64, R"("
  },
  "deltas": [
    {"version": 2, "url": "ca128382-78d9-41d1-8927-1ecef15275be/nrtm-delta.1.784a2a65aba22e001fd25a1b9e8544e058fbc703.json", "hash": ")",
                      kHash64, R"("},
    {"version": 3, "url": "ca128382-78d9-41d1-8927-1ecef15275be/nrtm-delta.2.0f681f07cfab5611f3681bf030ec9f6fa3442fb0.json", "hash": ")",
                      kHash64, R"("},
    {"version": 4, "url": "ca128382-78d9-41d1-8927-1ecef15275be/nrtm-delta.3.d9c194acbb2cb0d4088c9d8a25d5871cdd802c79.json", "hash": ")",
                      kHash64, R"("}
  ],
  "metadata": {}
})");
}

TEST(Nrtm4FilesTest, TheDraftsExampleNotificationParses) {
  KeyPair k = *GenerateP256KeyPair();
  absl::StatusOr<Notification> n = ParseNotification(DraftNotification(k.public_pem));
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->source, "EXAMPLE");
  EXPECT_EQ(n->version, 4u);
  EXPECT_EQ(n->snapshot.version, 3u);
  ASSERT_EQ(n->deltas.size(), 3u);
  EXPECT_EQ(n->deltas[2].version, 4u);
  EXPECT_EQ(*n->next_signing_key, k.public_pem);
  EXPECT_EQ(absl::ToUnixSeconds(n->timestamp), 1641049200);
  // What we write parses back the same.
  absl::StatusOr<Notification> again = ParseNotification(FormatNotification(*n));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->deltas, n->deltas);
  EXPECT_EQ(again->snapshot, n->snapshot);
}

TEST(Nrtm4FilesTest, NotificationRulesOfSection5_3) {
  KeyPair k = *GenerateP256KeyPair();
  const std::string good = DraftNotification(k.public_pem);
  struct Case {
    std::string from, to, expect;
  } cases[] = {
      {R"("nrtm_version": 4)", R"("nrtm_version": 3)", "nrtm_version"},
      {R"("type": "notification")", R"("type": "snapshot")", "type"},
      {"2022-01-01T15:00:00Z", "2022-01-01 15:00", "RFC 3339"},
      {R"("source": "EXAMPLE")", R"("source": "EX AMPLE")", "source"},
      {"ca128382-78d9-41d1", "ca128382-78d9-11d1", "UUID"},
      {"\"version\": 4,\n  \"snapshot\"", "\"version\": 5,\n  \"snapshot\"", "highest version"},
      {"\"version\": 4,\n  \"snapshot\"", "\"version\": 0,\n  \"snapshot\"", "positive"},
      {R"("version": 3, "url")", R"("version": 5, "url")", "not contiguous"},
      {R"("snapshot": {)", R"("snapshot_": {)", "no snapshot"},
      {absl::StrCat(R"("hash": ")", kHash64, R"("
  },)"),
       R"("hash": "9a..86"
  },)",
       "hash"},
      {R"("next_signing_key": ")", R"("next_signing_key": "bnJ0..bXY0", "x": ")",
       "next_signing_key"},
  };
  for (const Case& c : cases) {
    std::string text = absl::StrReplaceAll(good, {{c.from, c.to}});
    ASSERT_NE(text, good) << c.from;
    absl::StatusOr<Notification> n = ParseNotification(text);
    ASSERT_FALSE(n.ok()) << c.from;
    EXPECT_NE(n.status().message().find(c.expect), std::string::npos) << n.status();
  }
}

// The Snapshot and Delta File examples of sections 6.3 and 7.3, with the
// record separator the draft prints as a symbol.
constexpr char kDraftSnapshot[] = R"(␞{
  "nrtm_version": 4,
  "type": "snapshot",
  "source": "EXAMPLE",
  "session_id": "ca128382-78d9-41d1-8927-1ecef15275be",
  "version": 3
}
␞{"object": "route: 192.0.2.0/24\norigin: AS65530\nsource: EXAMPLE"}
␞{"object": "route: 2001:db8::/32\norigin: AS65530\nsource: EXAMPLE"}
)";
constexpr char kDraftDelta[] = R"(␞{
  "nrtm_version": 4,
  "type": "delta",
  "source": "EXAMPLE",
  "session_id": "ca128382-78d9-41d1-8927-1ecef15275be",
  "version": 3
}
␞{
  "action": "delete",
  "object_class": "person",
  "primary_key": "PRSN1-EXAMPLE"
}
␞{
  "action": "delete",
  "object_class": "route",
  "primary_key": "192.0.2.0/24AS65530"
}
␞{
  "action": "add_modify",
  "object": "route: 2001:db8::/32\norigin: AS65530\nsource: EXAMPLE"
}
)";

std::string WithSeparators(const char* text) { return absl::StrReplaceAll(text, {{"␞", "\x1e"}}); }

std::vector<nlohmann::json> ReadAll(const std::string& path, absl::Status* error = nullptr) {
  std::vector<nlohmann::json> out;
  absl::StatusOr<std::unique_ptr<RecordReader>> r = RecordReader::Open(path);
  if (!r.ok()) {
    if (error) *error = r.status();
    return out;
  }
  while (true) {
    auto rec = (*r)->Next();
    if (!rec.ok()) {
      if (error) *error = rec.status();
      return out;
    }
    if (!rec->has_value()) return out;
    out.push_back(**rec);
  }
}

TEST(Nrtm4FilesTest, TheDraftsExampleSnapshotAndDeltaParse) {
  KeyPair k = *GenerateP256KeyPair();
  Notification n = *ParseNotification(DraftNotification(k.public_pem));
  TempDir dir;
  WriteFile(dir.path() + "/snapshot.json", WithSeparators(kDraftSnapshot));
  WriteFile(dir.path() + "/delta.json", WithSeparators(kDraftDelta));
  std::vector<nlohmann::json> s = ReadAll(dir.path() + "/snapshot.json");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_TRUE(CheckHeader(s[0], "snapshot", n, n.snapshot.version).ok());
  EXPECT_EQ(*KeyOf(s[1]["object"].get<std::string>()), (ObjectKey{"route", "192.0.2.0/24AS65530"}));
  EXPECT_EQ(SourceOf(s[2]["object"].get<std::string>()), "EXAMPLE");
  std::vector<nlohmann::json> d = ReadAll(dir.path() + "/delta.json");
  ASSERT_EQ(d.size(), 4u);
  EXPECT_TRUE(CheckHeader(d[0], "delta", n, 3).ok());
  EXPECT_FALSE(CheckHeader(d[0], "delta", n, 4).ok());
  EXPECT_FALSE(CheckHeader(d[0], "snapshot", n, 3).ok());
  EXPECT_EQ(d[2]["primary_key"], "192.0.2.0/24AS65530");
  Notification other = n;
  other.session_id = NewUuidV4();
  EXPECT_NE(CheckHeader(d[0], "delta", other, 3).message().find("session_id"), std::string::npos);
}

TEST(Nrtm4FilesTest, GzipRecordsRoundTripAndTruncationIsAnError) {
  TempDir dir;
  std::string path = dir.path() + "/f.json.gz";
  {
    auto w = *RecordWriter::Open(path, true);
    for (int i = 0; i < 5000; ++i) ASSERT_TRUE(w->Write({{"object", absl::StrCat("n", i)}}).ok());
    ASSERT_TRUE(w->Close().ok());
  }
  std::vector<nlohmann::json> all = ReadAll(path);
  ASSERT_EQ(all.size(), 5000u);
  EXPECT_EQ(all[4999]["object"], "n4999");
  std::string bytes;
  ASSERT_EQ(testing::RunCommand("cat " + path, &bytes), 0);
  WriteFile(path, bytes.substr(0, bytes.size() / 2));
  absl::Status error;
  ReadAll(path, &error);
  EXPECT_NE(error.message().find("truncated gzip"), std::string::npos) << error;
}

TEST(Nrtm4FilesTest, AGzipBombIsAnErrorNotAnAllocationFailure) {
  // 64 MB of zeros compressed to about 64 KB (a real bomb goes on for
  // gigabytes; the reader stops at the same place).
  TempDir dir;
  std::string path = dir.path() + "/bomb.json.gz";
  gzFile gz = gzopen(path.c_str(), "wb9");
  ASSERT_NE(gz, nullptr);
  gzputs(gz, "\x1e{\"object\": \"route: ");
  std::string zeros(1 << 20, '0');
  for (int i = 0; i < 64; ++i) gzwrite(gz, zeros.data(), zeros.size());
  gzclose(gz);
  auto r = *RecordReader::Open(path);
  absl::StatusOr<std::optional<nlohmann::json>> next = r->Next();
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(next.status().message().find("expands more than 200 times"), std::string::npos)
      << next.status();
  // Uncompressed, one endless record is refused at the record limit.
  std::string plain = dir.path() + "/long.json";
  WriteFile(plain, "\x1e{\"object\": \"" + std::string(17 << 20, 'x'));
  r = *RecordReader::Open(plain);
  next = r->Next();
  ASSERT_FALSE(next.ok());
  EXPECT_NE(next.status().message().find("record 1 is larger than 16 MiB"), std::string::npos)
      << next.status();
}

TEST(Nrtm4FilesTest, RecordsThatAreNotObjectsAreErrors) {
  TempDir dir;
  for (const char* text :
       {"\x1e{\"a\": 1}\n\x1e[1, 2]\n", "\x1e{\"a\": 1}\n\x1e{\"b\": \n", "junk\x1e{\"a\": 1}\n"}) {
    WriteFile(dir.path() + "/f.json", text);
    absl::Status error;
    ReadAll(dir.path() + "/f.json", &error);
    EXPECT_FALSE(error.ok()) << text;
  }
  WriteFile(dir.path() + "/f.json", "\x1e{\"a\": 1}\n\x1e[1, 2]\n");
  absl::Status error;
  ReadAll(dir.path() + "/f.json", &error);
  EXPECT_NE(error.message().find("record 2 is not a JSON object"), std::string::npos) << error;
}

TEST(Nrtm4FilesTest, PrimaryKeysAreCaseInsensitive) {
  // Route keys are the canonical prefix, as IRRd keys them.
  EXPECT_EQ(*KeyOf("route6: fd42:d42::/48\norigin: as4242420000\n"),
            (ObjectKey{"route6", "fd42:d42::/48AS4242420000"}));
  EXPECT_EQ(NormalizeKey("route6", "FD42:0ABC:0001::/48AS4242420001"),
            (ObjectKey{"route6", "fd42:abc:1::/48AS4242420001"}));
  EXPECT_EQ(*KeyOf("person: Foo Bar\nnic-hdl: fb-dn42\n"), (ObjectKey{"person", "FB-DN42"}));
  EXPECT_EQ(*KeyOf("aut-num: AS4242420000\nas-name: X\n"), (ObjectKey{"aut-num", "AS4242420000"}));
  EXPECT_EQ(NormalizeKey("Route", "172.20.0.0/24as1"), (ObjectKey{"route", "172.20.0.0/24AS1"}));
  EXPECT_FALSE(KeyOf("route: 172.20.0.0/24\n").ok());
  EXPECT_TRUE(IsUuidV4(NewUuidV4()));
  EXPECT_FALSE(IsUuidV4("ca128382-78d9-41d1-c927-1ecef15275be"));
}

// The publication policy for multi-origin dn42 route objects (draft section
// 3.3.4): one route object per origin, each with one origin: line.
TEST(Nrtm4FilesTest, SplitOriginsGivesOneObjectPerOrigin) {
  std::string text =
      "route:              172.20.0.53/32\norigin:             AS4242420001\n"
      "origin:             AS4242420002\nmnt-by:             X-MNT\nsource:             DN42\n";
  std::vector<std::string> objects = SplitOrigins(text);
  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(*KeyOf(objects[0]), (ObjectKey{"route", "172.20.0.53/32AS4242420001"}));
  EXPECT_EQ(*KeyOf(objects[1]), (ObjectKey{"route", "172.20.0.53/32AS4242420002"}));
  for (const std::string& o : objects) {
    EXPECT_EQ(std::count(o.begin(), o.end(), '\n'), 5) << o;  // one origin, one remarks
    EXPECT_NE(o.find("remarks:            nrtm4-publish: one of 2 origins"), std::string::npos);
    EXPECT_NE(o.find("mnt-by:             X-MNT"), std::string::npos);
  }
  std::string single = "route: 10.0.0.0/8\norigin: AS1\n";
  EXPECT_EQ(SplitOrigins(single), (std::vector<std::string>{single}));
}

}  // namespace
}  // namespace rtr42::nrtm4
