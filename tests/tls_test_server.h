// TlsTestServer: an HTTPS server on 127.0.0.1 for client tests, answering
// each request with whatever bytes the test hands it, so a test can behave as
// any server might (chunked, close-delimited, stalling, redirecting).
//
// It makes its own self-signed certificate (P-256) for the names given;
// ca_file() is that certificate, to trust. Connections are served one at a
// time on the server's thread; the destructor stops it.
#ifndef RTR42_TESTS_TLS_TEST_SERVER_H_
#define RTR42_TESTS_TLS_TEST_SERVER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"

namespace rtr42::testing {

// Writes a self-signed certificate for `subject_alt_names` (OpenSSL's form,
// "DNS:localhost,IP:127.0.0.1") and its key as PEM files.
void MakeSelfSignedCertificate(const std::string& cert_file, const std::string& key_file,
                               const std::string& subject_alt_names);

class TlsTestServer {
 public:
  struct Reply {
    std::vector<std::string> pieces;  // written in order, `gap` apart
    absl::Duration gap = absl::ZeroDuration();
    absl::Duration linger = absl::ZeroDuration();  // before closing
    bool close_notify = true;                      // TLS shutdown before closing
  };
  // `request` is the request's head (request line and header fields).
  using Handler = std::function<Reply(const std::string& request)>;

  // Certificate and key go to `dir`.
  TlsTestServer(const std::string& dir, Handler handler,
                const std::string& subject_alt_names = "DNS:localhost,IP:127.0.0.1");
  ~TlsTestServer();

  uint16_t port() const { return port_; }
  const std::string& ca_file() const { return cert_file_; }
  std::string Url(const std::string& path) const;
  // Accept connections but never start TLS (hold each for `hold`).
  void set_silent(absl::Duration hold) {
    silent_hold_ms_ = static_cast<int>(absl::ToInt64Milliseconds(hold));
  }
  std::vector<std::string> requests() const;

 private:
  void Serve();

  std::string cert_file_, key_file_;
  Handler handler_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<int> silent_hold_ms_{-1};
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

}  // namespace rtr42::testing

#endif  // RTR42_TESTS_TLS_TEST_SERVER_H_
