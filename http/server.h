// HttpServer: a small HTTP/1.1 server (Boost.Beast) for the daemon's
// operational endpoints. Handlers are registered by exact path (or by a path
// prefix, "/api/v1/validity/") and run on the connection's strand; they must
// be quick and must not block. GET and HEAD, and POST where a handler is
// registered for it (a body of at most 1 MiB); keep-alive; a 30 s limit on
// every read and write.
#ifndef RTR42_HTTP_SERVER_H_
#define RTR42_HTTP_SERVER_H_

#include <atomic>
#include <boost/beast/http.hpp>
#include <boost/optional.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rtr/asio.h"

namespace rtr42::http {

namespace asio = boost::asio;
namespace beast_http = boost::beast::http;
using tcp = asio::ip::tcp;

using Request = beast_http::request<beast_http::string_body>;

// A response body that is shared, not copied: a large document (/rpki.json
// of ten million VRPs) served to many clients at once is held once, and
// each response only keeps a reference.
struct SharedStringBody {
  using value_type = std::shared_ptr<const std::string>;
  static uint64_t size(const value_type& body) { return body ? body->size() : 0; }
  class writer {
   public:
    using const_buffers_type = asio::const_buffer;
    template <bool isRequest, class Fields>
    writer(const beast_http::header<isRequest, Fields>&, const value_type& body) : body_(body) {}
    void init(boost::system::error_code& ec) { ec = {}; }
    boost::optional<std::pair<const_buffers_type, bool>> get(boost::system::error_code& ec) {
      ec = {};
      if (done_ || !body_ || body_->empty()) return boost::none;
      done_ = true;
      return {{asio::const_buffer(body_->data(), body_->size()), false}};
    }

   private:
    const value_type& body_;
    bool done_ = false;
  };
};
using Response = beast_http::response<SharedStringBody>;
using Handler = std::function<Response(const Request&)>;

// Does an If-None-Match header value match `etag` (RFC 9110 section
// 13.1.2: "*", a list, weak "W/" tags compared weakly)?
bool IfNoneMatchMatches(absl::string_view header, absl::string_view etag);

// The request's target ("/validity?asn=..."), as an absl::string_view.
inline absl::string_view TargetOf(const Request& request) {
  return {request.target().data(), request.target().size()};
}
// The path of a request target, without its query, percent-decoded.
std::string TargetPath(absl::string_view target);
// The value of `name` in the target's query ("?asn=AS1&prefix=10.0.0.0%2F8"),
// percent-decoded, '+' as a space; nullopt when absent.
std::optional<std::string> QueryParameter(absl::string_view target, absl::string_view name);

class HttpServer {
 public:
  // At most `max_connections` connections at once; more are closed at
  // accept (logged once per episode). `io` should be the server's own
  // (rtr42d runs it on its own thread, so no handler delays an RTR session).
  HttpServer(asio::io_context& io, tcp::endpoint endpoint, size_t max_connections = 256);
  ~HttpServer();

  // GET and HEAD of `path`.
  void Handle(const std::string& path, Handler handler);
  // GET and HEAD of every path that starts with `prefix` (and has no exact
  // handler); the longest such prefix wins.
  void HandlePrefix(const std::string& prefix, Handler handler);
  // POST to `path`.
  void HandlePost(const std::string& path, Handler handler);
  absl::Status Start();
  void Stop();
  tcp::endpoint local_endpoint() const;

  // A response with `status`, `content_type` and `body`, shaped for `request`
  // (version, keep-alive, HEAD).
  static Response Make(const Request& request, beast_http::status status,
                       const std::string& content_type, std::string body);
  // The same around a shared body, which is not copied.
  static Response MakeShared(const Request& request, beast_http::status status,
                             const std::string& content_type,
                             std::shared_ptr<const std::string> body);

 private:
  class Connection;
  void Accept();
  void OnAccept(boost::system::error_code ec, tcp::socket socket);
  Response Dispatch(const Request& request) const;

  asio::io_context& io_;
  tcp::endpoint endpoint_;
  tcp::acceptor acceptor_;
  std::map<std::string, Handler> handlers_;
  std::map<std::string, Handler> prefix_handlers_;
  std::map<std::string, Handler> post_handlers_;
  const size_t max_connections_;
  std::shared_ptr<std::atomic<size_t>> connections_ = std::make_shared<std::atomic<size_t>>(0);
  bool at_limit_ = false;  // logged; reset when below again
};

}  // namespace rtr42::http

#endif  // RTR42_HTTP_SERVER_H_
