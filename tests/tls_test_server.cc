#include "tests/tls_test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace rtr42::testing {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(absl::StrCat("TlsTestServer: ", what));
}

void WritePem(const std::string& path, const std::function<int(FILE*)>& write) {
  FILE* f = std::fopen(path.c_str(), "w");
  Check(f != nullptr, "cannot write a PEM file");
  Check(write(f) == 1, "PEM write failed");
  std::fclose(f);
}

}  // namespace

void MakeSelfSignedCertificate(const std::string& cert_file, const std::string& key_file,
                               const std::string& subject_alt_names) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  Check(key != nullptr, "key generation failed");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("rtr42 test"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* san =
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, subject_alt_names.c_str());
  Check(san != nullptr, "bad subjectAltName");
  X509_add_ext(cert, san, -1);
  X509_EXTENSION_free(san);
  Check(X509_sign(cert, key, EVP_sha256()) > 0, "signing failed");
  WritePem(cert_file, [&](FILE* f) { return PEM_write_X509(f, cert); });
  WritePem(key_file, [&](FILE* f) {
    return PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  });
  X509_free(cert);
  EVP_PKEY_free(key);
}

TlsTestServer::TlsTestServer(const std::string& dir, Handler handler,
                             const std::string& subject_alt_names)
    : cert_file_(dir + "/test-server-cert.pem"),
      key_file_(dir + "/test-server-key.pem"),
      handler_(std::move(handler)) {
  ::signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not end the test
  MakeSelfSignedCertificate(cert_file_, key_file_, subject_alt_names);
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  Check(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0, "bind");
  Check(::listen(listen_fd_, 16) == 0, "listen");
  socklen_t len = sizeof(addr);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

TlsTestServer::~TlsTestServer() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
  thread_.join();
  ::close(listen_fd_);
}

std::string TlsTestServer::Url(const std::string& path) const {
  return absl::StrCat("https://127.0.0.1:", port_, path);
}

std::vector<std::string> TlsTestServer::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

void TlsTestServer::Serve() {
  // Sleeps, but gives up early when the server is stopping.
  auto pause = [this](absl::Duration d) {
    for (absl::Time end = absl::Now() + d; absl::Now() < end && !stopping_;) {
      absl::SleepFor(absl::Milliseconds(5));
    }
  };
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  Check(SSL_CTX_use_certificate_file(ctx, cert_file_.c_str(), SSL_FILETYPE_PEM) == 1, "cert");
  Check(SSL_CTX_use_PrivateKey_file(ctx, key_file_.c_str(), SSL_FILETYPE_PEM) == 1, "key");
  while (!stopping_) {
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    if (int hold = silent_hold_ms_; hold >= 0) {
      pause(absl::Milliseconds(hold));
      ::close(fd);
      continue;
    }
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
      std::string head;
      char buf[4096];
      while (head.find("\r\n\r\n") == std::string::npos) {
        int n = SSL_read(ssl, buf, sizeof(buf));
        if (n <= 0) break;
        head.append(buf, n);
      }
      if (head.find("\r\n\r\n") != std::string::npos) {
        {
          std::lock_guard<std::mutex> lock(mutex_);
          requests_.push_back(head);
        }
        Reply reply = handler_(head);
        for (size_t i = 0; i < reply.pieces.size() && !stopping_; ++i) {
          if (i > 0) pause(reply.gap);
          const std::string& piece = reply.pieces[i];
          if (SSL_write(ssl, piece.data(), static_cast<int>(piece.size())) <= 0) break;
        }
        pause(reply.linger);
        if (reply.close_notify) SSL_shutdown(ssl);
      }
    }
    SSL_free(ssl);
    ::close(fd);
  }
  SSL_CTX_free(ctx);
}

}  // namespace rtr42::testing
