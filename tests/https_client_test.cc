// http::HttpsClient against a TLS server that answers as real servers do:
// Content-Length, chunked and close-delimited bodies, redirects, 304, errors,
// stalls, and bad certificates.
#include <gtest/gtest.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/file_util.h"
#include "http/client.h"
#include "http/server.h"
#include "tests/test_util.h"
#include "tests/tls_test_server.h"

namespace rtr42::http {
namespace {

using testing::TempDir;
using testing::TlsTestServer;
using Reply = TlsTestServer::Reply;

std::string Path(const std::string& request) {
  size_t start = request.find(' ') + 1;
  return request.substr(start, request.find(' ', start) - start);
}

Reply Whole(const std::string& bytes) { return Reply{{bytes}}; }

Reply Ok(const std::string& body, const std::string& extra = "") {
  return Whole(absl::StrCat("HTTP/1.1 200 OK\r\nContent-Length: ", body.size(), "\r\n", extra,
                            "\r\n", body));
}

class HttpsClientTest : public ::testing::Test {
 protected:
  HttpsClient Client(ClientOptions o = {}) {
    o.ca_file = server_->ca_file();
    return HttpsClient(o);
  }
  void Serve(TlsTestServer::Handler handler) {
    server_ = std::make_unique<TlsTestServer>(dir_.path(), std::move(handler));
  }
  TempDir dir_;
  std::unique_ptr<TlsTestServer> server_;
};

TEST_F(HttpsClientTest, ContentLengthBodyToMemoryAndToAFile) {
  std::string big(3 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + i % 26);
  Serve([&](const std::string& request) {
    if (Path(request) == "/big.gz") return Ok(big);
    return Ok("hello", "ETag: \"v1\"\r\nLast-Modified: Tue, 01 Dec 2026 10:00:00 GMT\r\n");
  });
  std::string body;
  absl::StatusOr<FetchResult> r = Client().Get(server_->Url("/n.jose"), &body);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(body, "hello");
  EXPECT_FALSE(r->not_modified);
  EXPECT_EQ(r->validators.etag, "\"v1\"");
  EXPECT_EQ(r->validators.last_modified, "Tue, 01 Dec 2026 10:00:00 GMT");
  std::string file = dir_.path() + "/big.gz";
  r = Client().Download(server_->Url("/big.gz"), file);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body_bytes, big.size());
  EXPECT_EQ(*ReadFile(file), big);
  // What the server was asked: no compression, the host with its port.
  std::string request = server_->requests().back();
  EXPECT_FALSE(absl::StrContains(absl::AsciiStrToLower(request), "accept-encoding")) << request;
  EXPECT_TRUE(absl::StrContains(request, absl::StrCat("Host: 127.0.0.1:", server_->port())))
      << request;
}

TEST_F(HttpsClientTest, ChunkedAndCloseDelimitedBodies) {
  Serve([](const std::string& request) {
    std::string path = Path(request);
    if (path == "/chunked") {
      return Reply{{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "5\r\nhello\r\n",
                    "6\r\n world\r\n", "0\r\n\r\n"},
                   absl::Milliseconds(20)};
    }
    Reply r{{"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", "until ", "the end"},
            absl::Milliseconds(20)};
    r.close_notify = path == "/close-notify";
    return r;
  });
  for (const char* path : {"/chunked", "/close-notify", "/plain-close"}) {
    std::string file = dir_.path() + "/out";
    absl::StatusOr<FetchResult> r = Client().Download(server_->Url(path), file);
    ASSERT_TRUE(r.ok()) << path << ": " << r.status();
    EXPECT_EQ(*ReadFile(file), std::string(path) == "/chunked" ? "hello world" : "until the end")
        << path;
  }
}

TEST_F(HttpsClientTest, ABodyOverTheCapIsRefusedNamingTheLimit) {
  Serve([](const std::string& request) {
    if (Path(request) == "/chunked") {
      return Whole("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string("20\r\n") +
                   std::string(32, 'y') + "\r\n20\r\n" + std::string(32, 'y') + "\r\n0\r\n\r\n");
    }
    return Ok(std::string(1000, 'z'));
  });
  ClientOptions o;
  o.max_body_bytes = 50;
  for (const char* path : {"/sized", "/chunked"}) {
    absl::StatusOr<FetchResult> r = Client(o).Download(server_->Url(path), dir_.path() + "/f");
    ASSERT_FALSE(r.ok()) << path;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
    EXPECT_TRUE(absl::StrContains(r.status().message(), "larger than the limit of 50 bytes"))
        << r.status();
    EXPECT_TRUE(absl::StrContains(r.status().message(), server_->Url(path))) << r.status();
  }
  std::string body;
  EXPECT_FALSE(Client().Get(server_->Url("/sized"), &body, {}, 999).ok());
  EXPECT_TRUE(Client().Get(server_->Url("/sized"), &body, {}, 1000).ok());
}

TEST_F(HttpsClientTest, RedirectsAreFollowedToHttpsOnlyAndBounded) {
  uint16_t port = 0;
  Serve([&port](const std::string& request) {
    std::string path = Path(request);
    auto redirect = [](int status, const std::string& to) {
      return Whole(absl::StrCat("HTTP/1.1 ", status, " Moved\r\nLocation: ", to,
                                "\r\nContent-Length: 0\r\n\r\n"));
    };
    if (path == "/feed/a.jose") return redirect(301, "../moved/b.jose");
    if (path == "/moved/b.jose") return redirect(302, "/new/c.jose");
    if (path == "/new/c.jose") {
      return redirect(307, absl::StrCat("https://127.0.0.1:", port, "/final/d.jose"));
    }
    if (path == "/final/d.jose") return Ok("arrived");
    if (path == "/down") return redirect(308, absl::StrCat("http://127.0.0.1:", port, "/x"));
    return redirect(302, "/loop");
  });
  port = server_->port();
  std::string body;
  absl::StatusOr<FetchResult> r = Client().Get(server_->Url("/feed/a.jose"), &body);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(body, "arrived");
  EXPECT_EQ(r->url, server_->Url("/final/d.jose"));
  r = Client().Get(server_->Url("/down"), &body);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "redirect refused")) << r.status();
  ClientOptions o;
  o.max_redirects = 3;
  size_t before = server_->requests().size();
  r = Client(o).Get(server_->Url("/loop"), &body);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "more than 3 redirects")) << r.status();
  EXPECT_EQ(server_->requests().size() - before, 4u);
}

TEST_F(HttpsClientTest, ConditionalGetReports304) {
  Serve([](const std::string& request) {
    if (absl::StrContains(request, "If-None-Match: \"v1\"")) {
      return Whole("HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n");
    }
    return Ok("fresh", "ETag: \"v2\"\r\n");
  });
  std::string body;
  Validators v1{"\"v1\"", "Tue, 01 Dec 2026 10:00:00 GMT"};
  absl::StatusOr<FetchResult> r = Client().Get(server_->Url("/n"), &body, v1);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->not_modified);
  EXPECT_TRUE(body.empty());
  EXPECT_TRUE(absl::StrContains(server_->requests().back(),
                                "If-Modified-Since: Tue, 01 Dec 2026 10:00:00 GMT"));
  r = Client().Get(server_->Url("/n"), &body, Validators{"\"v0\"", ""});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->not_modified);
  EXPECT_EQ(body, "fresh");
  EXPECT_EQ(r->validators.etag, "\"v2\"");
}

TEST_F(HttpsClientTest, AnHttpErrorNamesTheUrlAndTheStatus) {
  Serve([](const std::string&) {
    return Whole("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found");
  });
  absl::StatusOr<FetchResult> r =
      Client().Download(server_->Url("/feed/snap.json.gz"), dir_.path() + "/f");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            server_->Url("/feed/snap.json.gz") + ": HTTP status 404 Not Found");
}

TEST_F(HttpsClientTest, EachReadIsTimedNotTheWholeDownload) {
  Serve([](const std::string& request) {
    if (Path(request) == "/trickle") {
      // 6 pieces 150 ms apart: 750 ms in all, each read well under 400 ms.
      return Reply{{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "a", "b", "c", "d", "e"},
                   absl::Milliseconds(150)};
    }
    return Reply{{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart", "rest"}, absl::Seconds(5)};
  });
  ClientOptions o;
  o.read_timeout = absl::Milliseconds(400);
  std::string body;
  absl::StatusOr<FetchResult> r = Client(o).Get(server_->Url("/trickle"), &body);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(body, "abcde");
  r = Client(o).Get(server_->Url("/stall"), &body);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_TRUE(absl::StrContains(r.status().message(), "timed out reading the body")) << r.status();
}

TEST_F(HttpsClientTest, AServerThatNeverStartsTlsTimesOut) {
  Serve([](const std::string&) { return Ok("never"); });
  server_->set_silent(absl::Seconds(5));
  ClientOptions o;
  o.connect_timeout = absl::Milliseconds(300);
  std::string body;
  absl::StatusOr<FetchResult> r = Client(o).Get(server_->Url("/n"), &body);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_TRUE(absl::StrContains(r.status().message(), "TLS handshake")) << r.status();
}

TEST_F(HttpsClientTest, CertificatesAreChecked) {
  Serve([](const std::string&) { return Ok("secret"); });
  std::string body;
  // Another certificate as the only trusted one.
  std::string other = dir_.path() + "/other.pem";
  testing::MakeSelfSignedCertificate(other, dir_.path() + "/other.key", "IP:127.0.0.1");
  ClientOptions o;
  o.ca_file = other;
  absl::StatusOr<FetchResult> r = HttpsClient(o).Get(server_->Url("/"), &body);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "certificate verify failed")) << r.status();
  // The right certificate, for another name.
  TempDir elsewhere;
  TlsTestServer misnamed(
      elsewhere.path(), [](const std::string&) { return Ok("x"); }, "DNS:feed.example.net");
  o.ca_file = misnamed.ca_file();
  r = HttpsClient(o).Get(misnamed.Url("/"), &body);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "certificate verify failed")) << r.status();
  r = Client().Get(server_->Url("/"), &body);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(body, "secret");
}

TEST(HttpsUrlTest, ParseAndResolve) {
  absl::StatusOr<HttpsUrl> u = ParseHttpsUrl("https://NRTM.Example.net:8443/dn42/n.jose?x=1");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->host, "nrtm.example.net");
  EXPECT_EQ(u->port, "8443");
  EXPECT_EQ(u->target, "/dn42/n.jose?x=1");
  EXPECT_EQ(ResolveHttpsUrl(*u, "s/snap.json.gz")->ToString(),
            "https://nrtm.example.net:8443/dn42/s/snap.json.gz");
  EXPECT_EQ(ResolveHttpsUrl(*u, "/top")->ToString(), "https://nrtm.example.net:8443/top");
  EXPECT_EQ(ResolveHttpsUrl(*u, "../a/./b/../c?q")->ToString(),
            "https://nrtm.example.net:8443/a/c?q");
  EXPECT_EQ(ResolveHttpsUrl(*u, "../../../..")->ToString(), "https://nrtm.example.net:8443/");
  EXPECT_EQ(ResolveHttpsUrl(*u, "//cdn.example.org/f")->ToString(), "https://cdn.example.org/f");
  EXPECT_FALSE(ResolveHttpsUrl(*u, "http://nrtm.example.net/f").ok());
  u = ParseHttpsUrl("https://[2001:db8::1]/f");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "2001:db8::1");
  EXPECT_EQ(u->ToString(), "https://[2001:db8::1]/f");
  for (const char* bad : {"http://x/", "https://", "https://x:0/", "https://x:99999/",
                          "https://user@x/", "https://[::1/"}) {
    EXPECT_FALSE(ParseHttpsUrl(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace rtr42::http

namespace rtr42::http {
namespace {

TEST(IfNoneMatchTest, StarListsAndWeakTags) {
  EXPECT_TRUE(IfNoneMatchMatches("\"1-2\"", "\"1-2\""));
  EXPECT_TRUE(IfNoneMatchMatches("*", "\"1-2\""));
  EXPECT_TRUE(IfNoneMatchMatches("\"0-9\", W/\"1-2\"", "\"1-2\""));
  EXPECT_TRUE(IfNoneMatchMatches(" \"a\" ,\"1-2\" ", "\"1-2\""));
  EXPECT_FALSE(IfNoneMatchMatches("\"1-3\"", "\"1-2\""));
  EXPECT_FALSE(IfNoneMatchMatches("", "\"1-2\""));
}

// gzip as `gzip -c` writes it (made with the gzip tool, as a server's is).
std::string GzipWithTheTool(const std::string& text, const std::string& dir) {
  testing::WriteFile(dir + "/plain", text);
  EXPECT_EQ(testing::RunCommand("gzip -9 -c '" + dir + "/plain' > '" + dir + "/plain.gz'"), 0);
  absl::StatusOr<std::string> gz = ReadFile(dir + "/plain.gz");
  EXPECT_TRUE(gz.ok());
  return gz.ok() ? *gz : "";
}

TEST(GunzipTest, InflatesAndRefusesWhatIsBrokenOrTooLarge) {
  testing::TempDir dir;
  std::string text;
  for (int i = 0; i < 20000; ++i)
    absl::StrAppend(&text, "{\"prefix\": \"172.20.", i % 256, ".0/24\"}\n");
  std::string gz = GzipWithTheTool(text, dir.path());
  absl::StatusOr<std::string> plain = Gunzip(gz, 1 << 30);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(*plain, text);
  // Two members, as `cat a.gz b.gz` makes.
  plain = Gunzip(gz + gz, 1 << 30);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(*plain, text + text);
  absl::StatusOr<std::string> cut = Gunzip(gz.substr(0, gz.size() / 2), 1 << 30);
  EXPECT_TRUE(absl::IsDataLoss(cut.status())) << cut.status();
  absl::StatusOr<std::string> big = Gunzip(gz, 10000);
  EXPECT_TRUE(absl::IsResourceExhausted(big.status())) << big.status();
  EXPECT_TRUE(absl::StrContains(big.status().message(), "10000")) << big.status();
  EXPECT_FALSE(Gunzip("not gzip at all", 1 << 30).ok());
}

}  // namespace
}  // namespace rtr42::http
