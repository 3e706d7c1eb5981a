// HttpServer: a small HTTP/1.1 server (Boost.Beast) for the daemon's
// operational endpoints. Handlers are registered by exact path and run on the
// connection's strand; they must be quick and must not block. GET and HEAD
// only; keep-alive; a 30 s limit on every read and write.
#ifndef RTR42_HTTP_SERVER_H_
#define RTR42_HTTP_SERVER_H_

#include <boost/beast/http.hpp>
#include <functional>
#include <map>
#include <memory>
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
using Response = beast_http::response<beast_http::string_body>;
using Handler = std::function<Response(const Request&)>;

// Does an If-None-Match header value match `etag` (RFC 9110 section
// 13.1.2: "*", a list, weak "W/" tags compared weakly)?
bool IfNoneMatchMatches(absl::string_view header, absl::string_view etag);

class HttpServer {
 public:
  HttpServer(asio::io_context& io, tcp::endpoint endpoint);
  ~HttpServer();

  void Handle(const std::string& path, Handler handler);
  absl::Status Start();
  void Stop();
  tcp::endpoint local_endpoint() const;

  // A response with `status`, `content_type` and `body`, shaped for `request`
  // (version, keep-alive, HEAD).
  static Response Make(const Request& request, beast_http::status status,
                       const std::string& content_type, std::string body);

 private:
  class Connection;
  void Accept();
  void OnAccept(boost::system::error_code ec, tcp::socket socket);
  Response Dispatch(const Request& request) const;

  asio::io_context& io_;
  tcp::endpoint endpoint_;
  tcp::acceptor acceptor_;
  std::map<std::string, Handler> handlers_;
};

}  // namespace rtr42::http

#endif  // RTR42_HTTP_SERVER_H_
