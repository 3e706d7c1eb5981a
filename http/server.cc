#include "http/server.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/log.h"

namespace rtr42::http {

namespace beast = boost::beast;

bool IfNoneMatchMatches(absl::string_view header, absl::string_view etag) {
  auto weak = [](absl::string_view tag) {
    tag = absl::StripAsciiWhitespace(tag);
    if (absl::StartsWith(tag, "W/")) tag.remove_prefix(2);
    return tag;
  };
  if (absl::StripAsciiWhitespace(header) == "*") return true;
  for (absl::string_view tag : absl::StrSplit(header, ',')) {
    if (!weak(tag).empty() && weak(tag) == weak(etag)) return true;
  }
  return false;
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 section 2.1; a '%' not followed by two hex digits stays as it is.
std::string PercentDecode(absl::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
        HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else if (text[i] == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace

std::string TargetPath(absl::string_view target) {
  return PercentDecode(target.substr(0, target.find('?')), /*plus_is_space=*/false);
}

std::optional<std::string> QueryParameter(absl::string_view target, absl::string_view name) {
  size_t q = target.find('?');
  if (q == absl::string_view::npos) return std::nullopt;
  absl::string_view query = target.substr(q + 1);
  query = query.substr(0, query.find('#'));
  for (absl::string_view pair : absl::StrSplit(query, '&')) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    if (PercentDecode(kv.first, true) == name) return PercentDecode(kv.second, true);
  }
  return std::nullopt;
}

class HttpServer::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, const HttpServer& server,
             std::shared_ptr<std::atomic<size_t>> count)
      : stream_(std::move(socket)), server_(server), count_(std::move(count)) {}
  ~Connection() { --*count_; }

  void Read() {
    parser_.emplace();
    parser_->header_limit(16 << 10);
    parser_->body_limit(1 << 20);
    stream_.expires_after(std::chrono::seconds(30));
    beast_http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec == beast_http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::eof) {
      return Close();
    }
    if (ec) {
      // A request that is not HTTP, or too large: say so, then close.
      bool too_large = ec == beast_http::error::header_limit || ec == beast_http::error::body_limit;
      Request bad;
      bad.version(11);
      bad.keep_alive(false);
      response_ = std::make_shared<Response>(HttpServer::Make(
          bad,
          too_large ? beast_http::status::request_header_fields_too_large
                    : beast_http::status::bad_request,
          "text/plain",
          absl::StrCat(too_large ? "request too large" : "bad request", ": ", ec.message(), "\n")));
      response_->keep_alive(false);
      stream_.expires_after(std::chrono::seconds(30));
      beast_http::async_write(
          stream_, *response_,
          [self = shared_from_this()](beast::error_code, size_t) { self->Close(); });
      return;
    }
    request_ = parser_->release();
    response_ = std::make_shared<Response>(server_.Dispatch(request_));
    stream_.expires_after(std::chrono::seconds(30));
    beast_http::async_write(
        stream_, *response_,
        [self = shared_from_this()](beast::error_code ec2, size_t) { self->OnWrite(ec2); });
  }
  void OnWrite(beast::error_code ec) {
    if (ec || response_->need_eof()) return Close();
    Read();
  }
  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  const HttpServer& server_;
  std::shared_ptr<std::atomic<size_t>> count_;
  beast::flat_buffer buffer_;
  std::optional<beast_http::request_parser<beast_http::string_body>> parser_;
  Request request_;
  std::shared_ptr<Response> response_;
};

HttpServer::HttpServer(asio::io_context& io, tcp::endpoint endpoint, size_t max_connections)
    : io_(io), endpoint_(endpoint), acceptor_(io), max_connections_(max_connections) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Handle(const std::string& path, Handler handler) {
  handlers_[path] = std::move(handler);
}

void HttpServer::HandlePrefix(const std::string& prefix, Handler handler) {
  prefix_handlers_[prefix] = std::move(handler);
}

void HttpServer::HandlePost(const std::string& path, Handler handler) {
  post_handlers_[path] = std::move(handler);
}

absl::Status HttpServer::Start() {
  beast::error_code ec;
  acceptor_.open(endpoint_.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && endpoint_.address().is_v6()) {  // [::] takes IPv4 too
    acceptor_.set_option(asio::ip::v6_only(!endpoint_.address().is_unspecified()), ec);
  }
  if (!ec) acceptor_.bind(endpoint_, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("HTTP listen on ", endpoint_.address().to_string(),
                                               " port ", endpoint_.port(), ": ", ec.message()));
  }
  tcp::endpoint bound = local_endpoint();
  RTR42_LOG_INFO("HTTP on %s port %d", bound.address().to_string(), bound.port());
  Accept();
  return absl::OkStatus();
}

void HttpServer::Stop() {
  beast::error_code ec;
  acceptor_.close(ec);
}

tcp::endpoint HttpServer::local_endpoint() const {
  beast::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void HttpServer::Accept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

void HttpServer::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // Out of descriptors: pause instead of spinning (logged once).
    if (!at_limit_) RTR42_LOG_WARNING("HTTP accept failed: %s; retrying", ec.message());
    at_limit_ = true;
    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(100));
    timer->async_wait([this, timer](beast::error_code) { Accept(); });
    return;
  }
  if (*connections_ >= max_connections_) {
    if (!at_limit_) {
      RTR42_LOG_WARNING("HTTP: %d connections open, the limit: refusing more (logged once)",
                        max_connections_);
    }
    at_limit_ = true;
    beast::error_code ignored;
    socket.close(ignored);
  } else {
    at_limit_ = false;
    ++*connections_;
    std::make_shared<Connection>(std::move(socket), *this, connections_)->Read();
  }
  Accept();
}

Response HttpServer::Make(const Request& request, beast_http::status status,
                          const std::string& content_type, std::string body) {
  return MakeShared(request, status, content_type,
                    std::make_shared<const std::string>(std::move(body)));
}

Response HttpServer::MakeShared(const Request& request, beast_http::status status,
                                const std::string& content_type,
                                std::shared_ptr<const std::string> body) {
  Response r{status, request.version()};
  r.set(beast_http::field::server, "rtr42");
  r.set(beast_http::field::content_type, content_type);
  r.keep_alive(request.keep_alive());
  r.body() = std::move(body);
  r.prepare_payload();  // Content-Length of the whole body, for HEAD too
  if (request.method() == beast_http::verb::head) r.body() = nullptr;
  return r;
}

Response HttpServer::Dispatch(const Request& request) const {
  std::string path = TargetPath(TargetOf(request));
  const bool get =
      request.method() == beast_http::verb::get || request.method() == beast_http::verb::head;
  const bool post = request.method() == beast_http::verb::post;
  if (auto it = post_handlers_.find(path); it != post_handlers_.end()) {
    if (post) return it->second(request);
    Response r = Make(request, beast_http::status::method_not_allowed, "text/plain", "POST only\n");
    r.set(beast_http::field::allow, "POST");
    return r;
  }
  if (!get) {
    Response r =
        Make(request, beast_http::status::method_not_allowed, "text/plain", "GET or HEAD only\n");
    r.set(beast_http::field::allow, "GET, HEAD");
    return r;
  }
  if (auto it = handlers_.find(path); it != handlers_.end()) return it->second(request);
  // The longest registered prefix of `path`: the last key not above it
  // that is a prefix, walking down.
  for (auto it = prefix_handlers_.upper_bound(path); it != prefix_handlers_.begin();) {
    --it;
    if (absl::StartsWith(path, it->first)) return it->second(request);
  }
  return Make(request, beast_http::status::not_found, "text/plain", "not found\n");
}

}  // namespace rtr42::http
