// HttpsClient: GET over HTTPS (Boost.Beast over OpenSSL), fit for the web
// servers operators run (nginx, Apache, CDNs). Every HTTPS download in the
// project goes through it.
//
// The contract:
//  * the server's certificate is checked against `ca_file` (or the system's
//    CAs) and the host name; TLS 1.2 or newer;
//  * a body may be sized by Content-Length, chunked, or delimited by the
//    server closing the connection; it is taken as opaque bytes (a .gz file
//    stays compressed: no Accept-Encoding is sent), unless `accept_gzip`:
//    then Get() sends Accept-Encoding: gzip and inflates a gzip
//    Content-Encoding (at most `max_body_bytes` inflated);
//  * a body larger than `max_body_bytes` is refused, naming the limit;
//  * redirects (301, 302, 303, 307, 308) are followed up to `max_redirects`
//    times, to https URLs only (never down to http);
//  * `connect_timeout` bounds name resolution, the TCP connect and the TLS
//    handshake; `read_timeout` bounds each read and write, so a server that
//    trickles stays alive but one that stalls is given up on;
//  * Get() with validators makes a conditional request (If-None-Match,
//    If-Modified-Since) and reports 304 Not Modified as such;
//  * any failure is an error naming the URL and, for an HTTP error, its
//    status.
// One request per connection (Connection: close). Not thread-safe: use one
// client per thread.
#ifndef RTR42_HTTP_CLIENT_H_
#define RTR42_HTTP_CLIENT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace rtr42::http {

// An https URL, split.
struct HttpsUrl {
  std::string host;  // without brackets for IPv6
  std::string port = "443";
  std::string target = "/";  // path and query
  std::string ToString() const;
};
// Parses "https://host[:port][/path]"; anything else is an error.
absl::StatusOr<HttpsUrl> ParseHttpsUrl(const std::string& url);
// `reference` (absolute https URL, "//host/...", "/path" or "relative")
// resolved against `base` (RFC 3986 section 5.2).
absl::StatusOr<HttpsUrl> ResolveHttpsUrl(const HttpsUrl& base, const std::string& reference);

struct ClientOptions {
  std::string ca_file;  // empty: the system's CAs
  absl::Duration connect_timeout = absl::Seconds(15);
  absl::Duration read_timeout = absl::Seconds(60);
  int max_redirects = 5;
  uint64_t max_body_bytes = uint64_t{4} << 30;  // 4 GiB
  std::string user_agent = "rtr42";
  bool accept_gzip = false;
};

// What a response said that lets the next request be conditional.
struct Validators {
  std::string etag;
  std::string last_modified;
  bool empty() const { return etag.empty() && last_modified.empty(); }
};

struct FetchResult {
  bool not_modified = false;     // 304: nothing was downloaded
  std::string url;               // where the body came from, after redirects
  Validators validators;         // of a 200 response
  uint64_t body_bytes = 0;       // as sent (compressed, with a Content-Encoding)
  std::string content_encoding;  // lower case, as sent
};

// Inflates a gzip stream (one or more members) of at most `max_bytes`.
absl::StatusOr<std::string> Gunzip(absl::string_view gzip, uint64_t max_bytes);

class HttpsClient {
 public:
  explicit HttpsClient(ClientOptions options) : options_(std::move(options)) {}

  // GETs `url` into `body`, at most `max_bytes` of it (0: max_body_bytes).
  // With non-empty `if_changed` the request is conditional.
  absl::StatusOr<FetchResult> Get(const std::string& url, std::string* body,
                                  const Validators& if_changed = {}, uint64_t max_bytes = 0);
  // GETs `url` into the file `path` (created or truncated).
  absl::StatusOr<FetchResult> Download(const std::string& url, const std::string& path);

  const ClientOptions& options() const { return options_; }

 private:
  ClientOptions options_;
};

}  // namespace rtr42::http

#endif  // RTR42_HTTP_CLIENT_H_
