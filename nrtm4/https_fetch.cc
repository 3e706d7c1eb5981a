#include "nrtm4/https_fetch.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/version.hpp>
#include <utility>  // before Boost 1.74's asio (see rtr/asio.h)

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/file_util.h"

namespace rtr42::nrtm4 {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// A name the notification may use for a file: relative, no "..", no scheme.
absl::Status CheckRelative(const std::string& url) {
  if (url.empty() || url[0] == '/' || absl::StrContains(url, "://") ||
      absl::StrContains(url, "..") || absl::StrContains(url, "\\")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "file URL '", url, "' is not relative to the Update Notification File (section 5.3)"));
  }
  return absl::OkStatus();
}

std::string DirOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

class LocalFetcher : public Fetcher {
 public:
  explicit LocalFetcher(std::string path) : path_(std::move(path)) {}
  absl::StatusOr<std::string> GetNotification() override { return ReadFile(path_); }
  absl::StatusOr<std::string> GetFile(const std::string& url, const std::string&) override {
    if (absl::Status s = CheckRelative(url); !s.ok()) return s;
    return DirOf(path_) + url;
  }
  bool is_remote() const override { return false; }

 private:
  std::string path_;
};

class HttpsFetcher : public Fetcher {
 public:
  HttpsFetcher(std::string host, std::string port, std::string path, Options options)
      : host_(std::move(host)),
        port_(std::move(port)),
        path_(std::move(path)),
        options_(std::move(options)) {}

  absl::StatusOr<std::string> GetNotification() override {
    std::string body;
    absl::Status s = Get(path_, &body, "");
    if (!s.ok()) return s;
    return body;
  }
  absl::StatusOr<std::string> GetFile(const std::string& url, const std::string& scratch) override {
    if (absl::Status s = CheckRelative(url); !s.ok()) return s;
    if (absl::Status s = Get(DirOf(path_) + url, nullptr, scratch); !s.ok()) return s;
    return scratch;
  }
  bool is_remote() const override { return true; }

 private:
  std::string Where(const std::string& target) const {
    return absl::StrCat("https://", host_, port_ == "443" ? "" : ":" + port_, target);
  }

  absl::Status Get(const std::string& target, std::string* body, const std::string& file) {
    try {
      asio::io_context io;
      asio::ssl::context tls(asio::ssl::context::tls_client);
      tls.set_options(asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
      if (!options_.ca_file.empty()) {
        tls.load_verify_file(options_.ca_file);
      } else {
        tls.set_default_verify_paths();
      }
      tls.set_verify_mode(asio::ssl::verify_peer);
      tls.set_verify_callback(asio::ssl::host_name_verification(host_));
      beast::ssl_stream<beast::tcp_stream> stream(io, tls);
      if (!SSL_set_tlsext_host_name(stream.native_handle(), host_.c_str())) {
        return absl::InternalError("cannot set the TLS server name");
      }
      asio::ip::tcp::resolver resolver(io);
      auto endpoints = resolver.resolve(host_, port_);
      beast::get_lowest_layer(stream).connect(endpoints);
      // Blocking reads and writes give up after the timeout.
      timeval tv{static_cast<time_t>(absl::ToInt64Seconds(options_.timeout)), 0};
      int fd = beast::get_lowest_layer(stream).socket().native_handle();
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
      stream.handshake(asio::ssl::stream_base::client);
      http::request<http::empty_body> req{http::verb::get, target, 11};
      req.set(http::field::host, host_);
      req.set(http::field::user_agent, "rtr42-nrtm4");
      req.set(http::field::connection, "close");
      http::write(stream, req);
      beast::flat_buffer buffer;
      unsigned status = 0;
      if (body) {
        http::response_parser<http::string_body> parser;
        parser.body_limit(options_.max_notification_bytes);
        http::read(stream, buffer, parser);
        status = parser.get().result_int();
        *body = std::move(parser.get().body());
      } else {
        http::response_parser<http::file_body> parser;
        // A number, never boost::none: Boost 1.74 (Debian 12) then refuses
        // every response that has a Content-Length (boostorg/beast#2070),
        // which is every response nginx, Apache or a CDN sends.
        parser.body_limit(options_.max_file_bytes);
        beast::error_code ec;
        parser.get().body().open(file.c_str(), beast::file_mode::write, ec);
        if (ec) return absl::PermissionDeniedError(absl::StrCat(file, ": ", ec.message()));
        http::read(stream, buffer, parser);
        status = parser.get().result_int();
      }
      beast::error_code ignored;
      stream.shutdown(ignored);
      if (status != 200) {
        return absl::UnavailableError(absl::StrCat(Where(target), ": HTTP status ", status));
      }
      return absl::OkStatus();
    } catch (const boost::system::system_error& e) {
      return absl::UnavailableError(absl::StrCat(Where(target), ": ", e.code().message()));
    } catch (const std::exception& e) {
      return absl::UnavailableError(absl::StrCat(Where(target), ": ", e.what()));
    }
  }

  std::string host_, port_, path_;
  Options options_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Fetcher>> Fetcher::Create(const std::string& url, Options options) {
  if (absl::StartsWith(url, "https://")) {
    std::string rest = url.substr(8);
    size_t slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
    std::string host = authority, port = "443";
    if (!authority.empty() && authority[0] == '[') {
      size_t close = authority.find(']');
      if (close == std::string::npos) return absl::InvalidArgumentError("bad URL " + url);
      host = authority.substr(1, close - 1);
      if (close + 1 < authority.size() && authority[close + 1] == ':')
        port = authority.substr(close + 2);
    } else if (size_t colon = authority.rfind(':'); colon != std::string::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
    int port_number = 0;
    if (host.empty() || !absl::SimpleAtoi(port, &port_number) || port_number <= 0 ||
        port_number > 65535) {
      return absl::InvalidArgumentError("bad URL " + url);
    }
    return std::unique_ptr<Fetcher>(
        new HttpsFetcher(std::move(host), std::move(port), std::move(path), std::move(options)));
  }
  if (absl::StrContains(url, "://") && !absl::StartsWith(url, "file://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        url, ": NRTMv4 is fetched over HTTPS only (section 9), or from local files (section 8.3)"));
  }
  std::string path = absl::StartsWith(url, "file://") ? url.substr(7) : url;
  if (path.empty()) return absl::InvalidArgumentError("empty Update Notification File path");
  return std::unique_ptr<Fetcher>(new LocalFetcher(std::move(path)));
}

}  // namespace rtr42::nrtm4
