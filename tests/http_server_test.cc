// http::HttpServer over real TCP: malformed and oversized requests are
// answered 400 and 431, connections are capped, and a shared body is sent
// without being copied.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "http/server.h"
#include "tests/test_util.h"

namespace rtr42::http {
namespace {

class HttpServerTest : public ::testing::Test {
 protected:
  void Start(size_t max_connections = 256) {
    server_ = std::make_unique<HttpServer>(
        io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0), max_connections);
    server_->Handle("/doc", [this](const Request& r) {
      return HttpServer::MakeShared(r, beast_http::status::ok, "text/plain", doc_);
    });
    if (more_handlers_) more_handlers_(*server_);
    ASSERT_TRUE(server_->Start().ok());
    port_ = server_->local_endpoint().port();
    thread_ = std::thread([this] {
      auto work = asio::make_work_guard(io_);
      io_.run();
    });
  }
  void TearDown() override {
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
  int Connect() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
  }
  // Sends `request` and reads until the server closes (or 5 s).
  std::string Exchange(const std::string& request) {
    int fd = Connect();
    ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof(buf), 0)) > 0) out.append(buf, n);
    ::close(fd);
    return out;
  }

  asio::io_context io_;
  std::function<void(HttpServer&)> more_handlers_;  // registered before Start()
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  uint16_t port_ = 0;
  std::shared_ptr<const std::string> doc_ = std::make_shared<const std::string>("the document\n");
};

TEST_F(HttpServerTest, MalformedAndOversizedRequestsAreAnswered) {
  Start();
  std::string bad = Exchange("GARBAGE\r\n\r\n");
  EXPECT_TRUE(absl::StartsWith(bad, "HTTP/1.1 400 Bad Request")) << bad;
  std::string big =
      "GET /doc HTTP/1.1\r\nHost: x\r\nX-Filler: " + std::string(20000, 'a') + "\r\n\r\n";
  std::string too_large = Exchange(big);
  EXPECT_TRUE(absl::StartsWith(too_large, "HTTP/1.1 431")) << too_large.substr(0, 80);
  std::string ok = Exchange("GET /doc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(absl::StartsWith(ok, "HTTP/1.1 200 OK")) << ok;
  EXPECT_TRUE(absl::EndsWith(ok, "\r\n\r\nthe document\n")) << ok;
  std::string head = Exchange("HEAD /doc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(absl::StrContains(head, "Content-Length: 13")) << head;
  EXPECT_TRUE(absl::EndsWith(head, "\r\n\r\n")) << head;
}

TEST_F(HttpServerTest, ConnectionsAreCapped) {
  testing::LogCapture log;
  Start(/*max_connections=*/2);
  int a = Connect(), b = Connect();
  absl::SleepFor(absl::Milliseconds(200));
  int c = Connect();  // closed at accept
  char byte;
  EXPECT_EQ(::recv(c, &byte, 1, 0), 0);
  EXPECT_EQ(log.Count(LogLevel::kWarning, "2 connections open, the limit"), 1) << log.All();
  ::close(a);
  ::close(b);
  ::close(c);
  absl::SleepFor(absl::Milliseconds(200));
  std::string ok = Exchange("GET /doc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(absl::StartsWith(ok, "HTTP/1.1 200 OK")) << ok;
}

TEST_F(HttpServerTest, PrefixAndPostHandlers) {
  more_handlers_ = [](HttpServer& server) {
    server.HandlePrefix("/api/", [](const Request& r) {
      return HttpServer::Make(r, beast_http::status::ok, "text/plain",
                              "api " + TargetPath(TargetOf(r)));
    });
    server.HandlePrefix("/api/v1/", [](const Request& r) {
      return HttpServer::Make(r, beast_http::status::ok, "text/plain",
                              "v1 " + TargetPath(TargetOf(r)));
    });
    server.HandlePost("/hook", [](const Request& r) {
      return HttpServer::Make(r, beast_http::status::accepted, "text/plain", "got " + r.body());
    });
  };
  Start();
  auto get = [this](const std::string& target) {
    return Exchange("GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  };
  EXPECT_TRUE(absl::EndsWith(get("/api/v1/validity/AS1/fd42%3A%3A%2F48"),
                             "v1 /api/v1/validity/AS1/fd42::/48"))
      << get("/api/v1/validity/AS1/fd42%3A%3A%2F48");
  EXPECT_TRUE(absl::EndsWith(get("/api/v2"), "api /api/v2"));
  EXPECT_TRUE(absl::StartsWith(get("/ap"), "HTTP/1.1 404"));
  std::string post = Exchange(
      "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
  EXPECT_TRUE(absl::StartsWith(post, "HTTP/1.1 202")) << post;
  EXPECT_TRUE(absl::EndsWith(post, "got hello")) << post;
  std::string get_hook = get("/hook");
  EXPECT_TRUE(absl::StartsWith(get_hook, "HTTP/1.1 405")) << get_hook;
  EXPECT_TRUE(absl::StrContains(get_hook, "Allow: POST")) << get_hook;
  std::string post_doc =
      Exchange("POST /doc HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(absl::StartsWith(post_doc, "HTTP/1.1 405")) << post_doc;
}

TEST(QueryTest, ParametersAreDecoded) {
  EXPECT_EQ(QueryParameter("/validity?asn=AS1&prefix=10.0.0.0%2F8", "prefix"), "10.0.0.0/8");
  EXPECT_EQ(QueryParameter("/validity?asn=AS1&prefix=10.0.0.0/8", "asn"), "AS1");
  EXPECT_EQ(QueryParameter("/validity?a=b+c%zz", "a"), "b c%zz");
  EXPECT_EQ(QueryParameter("/validity?asn=1", "prefix"), std::nullopt);
  EXPECT_EQ(QueryParameter("/validity", "asn"), std::nullopt);
  EXPECT_EQ(TargetPath("/a%20b?x=1"), "/a b");
}

TEST(SharedBodyTest, TheBodyIsSharedNotCopied) {
  auto doc = std::make_shared<const std::string>(std::string(1 << 20, 'j'));
  Request r;
  r.version(11);
  Response a = HttpServer::MakeShared(r, beast_http::status::ok, "application/json", doc);
  Response b = HttpServer::MakeShared(r, beast_http::status::ok, "application/json", doc);
  EXPECT_EQ(a.body().get(), doc.get());
  EXPECT_EQ(b.body().get(), doc.get());
  EXPECT_EQ(a[beast_http::field::content_length], "1048576");
}

}  // namespace
}  // namespace rtr42::http
