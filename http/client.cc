#include "http/client.h"

#include <zlib.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <utility>  // before Boost 1.74's asio (see rtr/asio.h)
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rtr42::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using Stream = beast::ssl_stream<beast::tcp_stream>;

std::chrono::steady_clock::duration ToChrono(absl::Duration d) {
  return absl::ToChronoNanoseconds(d);
}

// What one request/response exchange returned.
struct Reply {
  unsigned status = 0;
  std::string reason;
  std::string location;
  Validators validators;
  uint64_t body_bytes = 0;
  std::string content_encoding;
};

// Runs `start` (which begins one asynchronous operation on `io`) to
// completion and returns its error code.
beast::error_code RunOne(asio::io_context& io,
                         const std::function<void(std::function<void(beast::error_code)>)>& start) {
  beast::error_code result;
  io.restart();
  start([&](beast::error_code ec) { result = ec; });
  io.run();
  return result;
}

// One GET on one connection. `open_body` is called when the status is 200,
// before the body is read (it opens the file a file body goes to).
template <class Body>
class Exchange {
 public:
  using Parser = bhttp::response_parser<Body>;

  Exchange(const ClientOptions& options, const HttpsUrl& url)
      : options_(options),
        url_(url),
        tls_(MakeContext(options, &context_status_)),
        stream_(io_, tls_) {}

  absl::StatusOr<Reply> Run(const Validators& if_changed, uint64_t limit,
                            const std::function<absl::Status(Parser&)>& open_body) {
    if (absl::Status s = SetUpTls(); !s.ok()) return s;
    if (absl::Status s = Connect(); !s.ok()) return s;
    if (absl::Status s = SendRequest(if_changed); !s.ok()) return s;
    parser_.emplace();
    limit_ = limit;
    parser_->body_limit(limit);
    beast::flat_buffer buffer;
    if (absl::Status s = ReadHeader(buffer); !s.ok()) return s;
    Reply reply;
    const auto& header = parser_->get();
    reply.status = header.result_int();
    reply.reason = std::string(header.reason());
    reply.location = std::string(header[bhttp::field::location]);
    reply.validators.etag = std::string(header[bhttp::field::etag]);
    reply.validators.last_modified = std::string(header[bhttp::field::last_modified]);
    reply.content_encoding =
        absl::AsciiStrToLower(std::string(header[bhttp::field::content_encoding]));
    if (reply.status != 200) return reply;  // the body is not wanted
    if (absl::Status s = open_body(*parser_); !s.ok()) return s;
    if (absl::Status s = ReadBody(buffer); !s.ok()) return s;
    reply.body_bytes = body_bytes_;
    return reply;
  }

  Parser& parser() { return *parser_; }

 private:
  // `limit`: the timeout that applied to what was being done.
  absl::Status Failure(const char* doing, beast::error_code ec, absl::Duration limit) const {
    if (ec == beast::error::timeout) {
      return absl::DeadlineExceededError(absl::StrCat(url_.ToString(), ": timed out ", doing,
                                                      " (no progress for ",
                                                      absl::FormatDuration(limit), ")"));
    }
    return absl::UnavailableError(absl::StrCat(url_.ToString(), ": ", doing, ": ", ec.message()));
  }

  // The context is made before the stream (an SSL object takes its
  // settings when it is created); the peer checks are set on the stream.
  static ssl::context MakeContext(const ClientOptions& options, absl::Status* status) {
    ssl::context tls(ssl::context::tls_client);
    beast::error_code ec;
    tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    if (!options.ca_file.empty()) {
      tls.load_verify_file(options.ca_file, ec);
      if (ec) {
        *status = absl::InvalidArgumentError(
            absl::StrCat(options.ca_file, ": cannot load the CA certificates: ", ec.message()));
      }
    } else {
      tls.set_default_verify_paths(ec);
    }
    return tls;
  }

  absl::Status SetUpTls() {
    if (!context_status_.ok()) return context_status_;
    beast::error_code ec;
    stream_.set_verify_mode(ssl::verify_peer, ec);
    if (!ec) stream_.set_verify_callback(ssl::host_name_verification(url_.host), ec);
    if (ec || !SSL_set_tlsext_host_name(stream_.native_handle(), url_.host.c_str())) {
      return absl::InternalError("cannot set up the TLS client");
    }
    return absl::OkStatus();
  }

  absl::Status Connect() {
    asio::ip::tcp::resolver resolver(io_);
    asio::ip::tcp::resolver::results_type endpoints;
    asio::steady_timer deadline(io_, ToChrono(options_.connect_timeout));
    bool timed_out = false;
    beast::error_code ec = RunOne(io_, [&](auto done) {
      deadline.async_wait([&](beast::error_code e) {
        if (!e) {
          timed_out = true;
          resolver.cancel();
        }
      });
      resolver.async_resolve(url_.host, url_.port, [&, done](beast::error_code e, auto results) {
        deadline.cancel();
        endpoints = std::move(results);
        done(e);
      });
    });
    const absl::Duration limit = options_.connect_timeout;
    if (timed_out) return Failure("resolving the host name", beast::error::timeout, limit);
    if (ec) return Failure("resolving the host name", ec, limit);
    auto& tcp = beast::get_lowest_layer(stream_);
    tcp.expires_after(ToChrono(options_.connect_timeout));
    ec = RunOne(io_, [&](auto done) {
      tcp.async_connect(endpoints, [done](beast::error_code e, const auto&) { done(e); });
    });
    if (ec) return Failure("connecting", ec, limit);
    tcp.expires_after(ToChrono(options_.connect_timeout));
    ec = RunOne(io_, [&](auto done) { stream_.async_handshake(ssl::stream_base::client, done); });
    if (ec) return Failure("in the TLS handshake", ec, limit);
    return absl::OkStatus();
  }

  absl::Status SendRequest(const Validators& if_changed) {
    request_ = {bhttp::verb::get, url_.target, 11};
    request_.set(bhttp::field::host, url_.port == "443" ? url_.host : url_.host + ":" + url_.port);
    request_.set(bhttp::field::user_agent, options_.user_agent);
    request_.set(bhttp::field::connection, "close");
    if (options_.accept_gzip) request_.set(bhttp::field::accept_encoding, "gzip");
    if (!if_changed.etag.empty()) request_.set(bhttp::field::if_none_match, if_changed.etag);
    if (!if_changed.last_modified.empty()) {
      request_.set(bhttp::field::if_modified_since, if_changed.last_modified);
    }
    beast::get_lowest_layer(stream_).expires_after(ToChrono(options_.read_timeout));
    beast::error_code ec = RunOne(io_, [&](auto done) {
      bhttp::async_write(stream_, request_, [done](beast::error_code e, size_t) { done(e); });
    });
    if (ec) return Failure("sending the request", ec, options_.read_timeout);
    return absl::OkStatus();
  }

  absl::Status ReadHeader(beast::flat_buffer& buffer) {
    beast::get_lowest_layer(stream_).expires_after(ToChrono(options_.read_timeout));
    beast::error_code ec = RunOne(io_, [&](auto done) {
      bhttp::async_read_header(stream_, buffer, *parser_,
                               [done](beast::error_code e, size_t) { done(e); });
    });
    if (ec == bhttp::error::body_limit) return TooLarge();
    if (ec) return Failure("reading the response header", ec, options_.read_timeout);
    return absl::OkStatus();
  }

  absl::Status TooLarge() const {
    return absl::ResourceExhaustedError(
        absl::StrCat(url_.ToString(), ": the body is larger than the limit of ", limit_, " bytes"));
  }

  absl::Status ReadBody(beast::flat_buffer& buffer) {
    while (!parser_->is_done()) {
      beast::get_lowest_layer(stream_).expires_after(ToChrono(options_.read_timeout));
      size_t got = 0;
      beast::error_code ec = RunOne(io_, [&](auto done) {
        bhttp::async_read_some(stream_, buffer, *parser_,
                               [&got, done](beast::error_code e, size_t n) {
                                 got = n;
                                 done(e);
                               });
      });
      body_bytes_ += got;
      // A server that ends a close-delimited body without TLS close_notify:
      // the end of the body is where the connection ended (what the body is
      // for checks its integrity: a hash or a signature).
      if (ec == ssl::error::stream_truncated && parser_->need_eof()) {
        parser_->put_eof(ec);
      }
      if (ec == bhttp::error::body_limit) return TooLarge();
      if (ec) return Failure("reading the body", ec, options_.read_timeout);
    }
    return absl::OkStatus();
  }

  const ClientOptions& options_;
  const HttpsUrl& url_;
  asio::io_context io_;
  absl::Status context_status_;  // before tls_, which sets it
  ssl::context tls_;
  Stream stream_;
  bhttp::request<bhttp::empty_body> request_;
  std::optional<Parser> parser_;
  uint64_t limit_ = 0;
  uint64_t body_bytes_ = 0;
};

// RFC 3986 section 5.2.4, on a path that starts with '/'.
std::string RemoveDotSegments(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string segment = path.substr(start, end - start);
    bool last = end == path.size();
    if (segment == "..") {
      if (!out.empty()) out.pop_back();
      if (last) out.emplace_back();
    } else if (segment == ".") {
      if (last) out.emplace_back();
    } else {
      out.push_back(std::move(segment));
    }
    start = end + 1;
  }
  std::string result;
  for (const std::string& segment : out) absl::StrAppend(&result, "/", segment);
  return result.empty() ? "/" : result;
}

bool IsRedirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// The redirect loop around Exchange<Body>::Run.
template <class Body>
absl::StatusOr<FetchResult> Follow(
    const ClientOptions& options, const std::string& start, const Validators& if_changed,
    uint64_t limit, const std::function<absl::Status(bhttp::response_parser<Body>&)>& open_body,
    const std::function<void(bhttp::response_parser<Body>&)>& take_body) {
  absl::StatusOr<HttpsUrl> url = ParseHttpsUrl(start);
  if (!url.ok()) return url.status();
  for (int redirects = 0;; ++redirects) {
    Exchange<Body> exchange(options, *url);
    absl::StatusOr<Reply> reply = exchange.Run(if_changed, limit, open_body);
    if (!reply.ok()) return reply.status();
    FetchResult result;
    result.url = url->ToString();
    if (reply->status == 200) {
      result.validators = reply->validators;
      result.body_bytes = reply->body_bytes;
      result.content_encoding = reply->content_encoding;
      take_body(exchange.parser());
      return result;
    }
    if (reply->status == 304 && !if_changed.empty()) {
      result.not_modified = true;
      return result;
    }
    if (IsRedirect(reply->status) && !reply->location.empty()) {
      if (redirects >= options.max_redirects) {
        return absl::UnavailableError(absl::StrCat(start, ": more than ", options.max_redirects,
                                                   " redirects (the last to ", reply->location,
                                                   ")"));
      }
      absl::StatusOr<HttpsUrl> next = ResolveHttpsUrl(*url, reply->location);
      if (!next.ok()) {
        return absl::UnavailableError(
            absl::StrCat(url->ToString(), ": redirect refused: ", next.status().message()));
      }
      url = std::move(next);
      continue;
    }
    return absl::UnavailableError(absl::StrCat(url->ToString(), ": HTTP status ", reply->status,
                                               reply->reason.empty() ? "" : " ", reply->reason));
  }
}

}  // namespace

std::string HttpsUrl::ToString() const {
  std::string authority = absl::StrContains(host, ':') ? absl::StrCat("[", host, "]") : host;
  return absl::StrCat("https://", authority, port == "443" ? "" : ":" + port, target);
}

absl::StatusOr<HttpsUrl> ParseHttpsUrl(const std::string& url) {
  if (!absl::StartsWithIgnoreCase(url, "https://")) {
    return absl::InvalidArgumentError(absl::StrCat("'", url, "' is not an https:// URL"));
  }
  std::string rest = url.substr(8);
  size_t slash = rest.find_first_of("/?");
  std::string authority = rest.substr(0, slash);
  HttpsUrl out;
  if (slash != std::string::npos) {
    out.target = rest.substr(slash);
    if (out.target[0] == '?') out.target = "/" + out.target;
  }
  out.host = authority;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) return absl::InvalidArgumentError("bad URL " + url);
    out.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return absl::InvalidArgumentError("bad URL " + url);
      out.port = authority.substr(close + 2);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string::npos) {
    out.host = authority.substr(0, colon);
    out.port = authority.substr(colon + 1);
  }
  int port = 0;
  if (out.host.empty() || absl::StrContains(out.host, '@') || !absl::SimpleAtoi(out.port, &port) ||
      port <= 0 || port > 65535) {
    return absl::InvalidArgumentError("bad URL " + url);
  }
  out.host = absl::AsciiStrToLower(out.host);
  out.port = absl::StrCat(port);
  return out;
}

absl::StatusOr<HttpsUrl> ResolveHttpsUrl(const HttpsUrl& base, const std::string& reference) {
  if (absl::StrContains(reference, "://")) return ParseHttpsUrl(reference);
  if (absl::StartsWith(reference, "//")) return ParseHttpsUrl("https:" + reference);
  HttpsUrl out = base;
  if (absl::StartsWith(reference, "/")) {
    out.target = reference;
  } else {
    std::string path = base.target.substr(0, base.target.find('?'));
    out.target = path.substr(0, path.rfind('/') + 1) + reference;
  }
  size_t query = out.target.find('?');
  std::string rest = query == std::string::npos ? "" : out.target.substr(query);
  out.target = RemoveDotSegments(out.target.substr(0, query)) + rest;
  return out;
}

absl::StatusOr<FetchResult> HttpsClient::Get(const std::string& url, std::string* body,
                                             const Validators& if_changed, uint64_t max_bytes) {
  using Parser = bhttp::response_parser<bhttp::string_body>;
  const uint64_t limit = max_bytes ? max_bytes : options_.max_body_bytes;
  absl::StatusOr<FetchResult> result = Follow<bhttp::string_body>(
      options_, url, if_changed, limit, [](Parser&) { return absl::OkStatus(); },
      [body](Parser& p) { *body = std::move(p.get().body()); });
  if (!result.ok() || result->not_modified || !options_.accept_gzip) return result;
  if (result->content_encoding == "gzip" || result->content_encoding == "x-gzip") {
    absl::StatusOr<std::string> plain = Gunzip(*body, limit);
    if (!plain.ok()) {
      return absl::DataLossError(absl::StrCat(result->url, ": ", plain.status().message()));
    }
    *body = std::move(*plain);
  } else if (!result->content_encoding.empty() && result->content_encoding != "identity") {
    return absl::UnimplementedError(absl::StrCat(result->url, ": the server sent Content-Encoding ",
                                                 result->content_encoding,
                                                 " though only gzip was accepted"));
  }
  return result;
}

absl::StatusOr<std::string> Gunzip(absl::string_view gzip, uint64_t max_bytes) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return absl::InternalError("zlib init failed");
  std::string out;
  char chunk[64 * 1024];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gzip.data()));
  z.avail_in = static_cast<uInt>(gzip.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      std::string why = z.msg ? z.msg : "truncated";
      inflateEnd(&z);
      return absl::DataLossError(absl::StrCat("bad gzip body: ", why));
    }
    out.append(chunk, sizeof chunk - z.avail_out);
    if (out.size() > max_bytes) {
      inflateEnd(&z);
      return absl::ResourceExhaustedError(
          absl::StrCat("the body inflates beyond the limit of ", max_bytes, " bytes"));
    }
    if (rc == Z_STREAM_END && z.avail_in > 0) {
      if (inflateReset(&z) != Z_OK) break;  // another gzip member (RFC 1952 allows several)
      rc = Z_OK;
    } else if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
      inflateEnd(&z);
      return absl::DataLossError("bad gzip body: truncated");
    }
  }
  inflateEnd(&z);
  return out;
}

absl::StatusOr<FetchResult> HttpsClient::Download(const std::string& url, const std::string& path) {
  using Parser = bhttp::response_parser<bhttp::file_body>;
  return Follow<bhttp::file_body>(
      options_, url, {}, options_.max_body_bytes,
      [&path](Parser& p) -> absl::Status {
        beast::error_code ec;
        p.get().body().open(path.c_str(), beast::file_mode::write, ec);
        if (ec) return absl::PermissionDeniedError(absl::StrCat(path, ": ", ec.message()));
        return absl::OkStatus();
      },
      [](Parser& p) { p.get().body().close(); });
}

}  // namespace rtr42::http
