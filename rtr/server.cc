#include "rtr/server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/log.h"
#include "rtr/session.h"

namespace rtr42::rtr {

absl::StatusOr<tcp::endpoint> ParseListenAddress(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not ADDRESS:PORT"));
  }
  std::string host = text.substr(0, colon);
  uint32_t port = 0;
  if (!absl::SimpleAtoi(text.substr(colon + 1), &port) || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' has a bad port"));
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "::";
  boost::system::error_code ec;
  asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("'", host, "' is not an IP address"));
  return tcp::endpoint(address, static_cast<uint16_t>(port));
}

std::string EndpointName(const tcp::endpoint& e) {
  return e.address().is_v6() ? absl::StrCat("[", e.address().to_string(), "]:", e.port())
                             : absl::StrCat(e.address().to_string(), ":", e.port());
}

void SetTcpKeepalive(int fd, absl::Duration idle) {
  int64_t seconds = absl::ToInt64Seconds(idle);
  if (seconds <= 0) return;
  int on = 1, idle_s = static_cast<int>(std::min<int64_t>(seconds, 32767)), interval = 10,
      count = 6;
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle_s, sizeof idle_s);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

const char* TransportName(Transport transport) {
  switch (transport) {
    case Transport::kTcp:
      return "tcp";
    case Transport::kTls:
      return "tls";
    case Transport::kSsh:
      return "ssh";
    case Transport::kCount:
      break;
  }
  return "?";
}

const char* CloseReasonName(CloseReason reason) {
  switch (reason) {
    case CloseReason::kSlowReader:
      return "slow_reader";
    case CloseReason::kBacklog:
      return "queued_bytes";
    case CloseReason::kNoQuery:
      return "no_query";
    case CloseReason::kIdle:
      return "idle";
    case CloseReason::kCount:
      break;
  }
  return "?";
}

Server::Server(asio::io_context& io, ServerOptions options)
    : io_(io), options_(std::move(options)) {}

Server::~Server() { Stop(); }

absl::Status Server::Bind(const tcp::endpoint& endpoint, bool tls) {
  auto acceptor = std::make_unique<tcp::acceptor>(io_);
  boost::system::error_code ec;
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec && endpoint.address().is_v6()) {
    // [::] takes IPv4 too (dn42's routers are mostly IPv4), unless 0.0.0.0
    // on the same port is configured as well.
    bool v4_too = false;
    for (const auto* list : {&options_.listen, &options_.tls_listen}) {
      for (const tcp::endpoint& e : *list) {
        v4_too = v4_too || (e.address().is_v4() && e.address().is_unspecified() &&
                            e.port() == endpoint.port());
      }
    }
    bool dual = endpoint.address().is_unspecified() && !v4_too;
    acceptor->set_option(asio::ip::v6_only(!dual), ec);
  }
  if (!ec && !options_.md5_peers.empty()) {
    absl::Status md5 =
        SetListenerKeys(acceptor->native_handle(), endpoint.address().is_v6(), options_.md5_peers);
    if (!md5.ok()) return md5;
  }
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::string message =
        absl::StrCat(tls ? "TLS " : "", "listen on ", endpoint.address().to_string(), " port ",
                     endpoint.port(), ": ", ec.message());
    if (options_.require_every_listener) return absl::UnavailableError(message);
    RTR42_LOG_WARNING("%s; going on without it", message);
    return absl::OkStatus();
  }
  tcp::endpoint bound = acceptor->local_endpoint(ec);
  RTR42_LOG_INFO("listening%s on %s port %d", tls ? " (TLS)" : "", bound.address().to_string(),
                 bound.port());
  listeners_.push_back({std::move(acceptor), tls});
  return absl::OkStatus();
}

namespace {

// RFC 8210 section 9.2: the client certificate's iPAddress subjectAltNames
// must include the address of the connection. Empty if so, else why not.
std::string CheckClientAddress(SSL* ssl, asio::ip::address address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return "no client certificate";
  int match;
  if (address.is_v4()) {
    auto bytes = address.to_v4().to_bytes();
    match = X509_check_ip(cert, bytes.data(), bytes.size(), 0);
  } else {
    auto bytes = address.to_v6().to_bytes();
    match = X509_check_ip(cert, bytes.data(), bytes.size(), 0);
  }
  X509_free(cert);
  if (match == 1) return "";
  return absl::StrCat("its certificate has no iPAddress subjectAltName ", address.to_string(),
                      " (RFC 8210 section 9.2)");
}

}  // namespace

absl::Status Server::Start() {
  if (!options_.tls_listen.empty()) {
    tls_context_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    tls_context_->set_options(asio::ssl::context::default_workarounds |
                              asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                              asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    boost::system::error_code ec;
    tls_context_->use_certificate_chain_file(options_.tls_cert, ec);
    if (ec)
      return absl::InvalidArgumentError(
          absl::StrCat("TLS certificate ", options_.tls_cert, ": ", ec.message()));
    if (!options_.tls_client_ca.empty()) {
      tls_context_->load_verify_file(options_.tls_client_ca, ec);
      if (ec) {
        return absl::InvalidArgumentError(
            absl::StrCat("TLS client CA ", options_.tls_client_ca, ": ", ec.message()));
      }
      tls_context_->set_verify_mode(asio::ssl::verify_peer |
                                    asio::ssl::verify_fail_if_no_peer_cert);
      RTR42_LOG_INFO("TLS clients must present a certificate from %s naming their address",
                     options_.tls_client_ca);
    } else {
      RTR42_LOG_WARNING(
          "TLS clients are not authenticated (no --tls-client-ca; RFC 8210 section 9.2 wants "
          "client certificates)");
    }
    tls_context_->use_private_key_file(options_.tls_key, asio::ssl::context::pem, ec);
    if (ec)
      return absl::InvalidArgumentError(
          absl::StrCat("TLS key ", options_.tls_key, ": ", ec.message()));
  }
  for (const tcp::endpoint& endpoint : options_.listen) {
    if (absl::Status s = Bind(endpoint, false); !s.ok()) return s;
  }
  for (const tcp::endpoint& endpoint : options_.tls_listen) {
    if (absl::Status s = Bind(endpoint, true); !s.ok()) return s;
  }
  if (listeners_.empty()) return absl::UnavailableError("no address to listen on");
  for (size_t i = 0; i < listeners_.size(); ++i) Accept(i);
  return absl::OkStatus();
}

template <typename Stream>
void Server::Admit(Stream stream, const asio::ip::address& address, const std::string& peer,
                   Transport transport) {
  std::shared_ptr<Session> session;
  size_t active = 0;
  bool first_refusal = false;
  bool address_full = false, first_address_refusal = false;
  {
    absl::MutexLock lock(&mutex_);
    if (stopped_) return;
    active = sessions_.size();
    address_full = per_address_[address] >= options_.max_connections_per_address;
    if (address_full) {
      first_address_refusal = !per_address_warned_;
      per_address_warned_ = true;
    } else if (active < options_.max_connections) {
      uint64_t id = next_id_++;
      session =
          std::make_shared<StreamSession<Stream>>(std::move(stream), *this, id, peer, transport);
      sessions_.emplace(id, session);
      session_address_.emplace(id, address);
      ++per_address_[address];
      ++active;
    } else {
      first_refusal = !at_limit_;
      at_limit_ = true;
      ++refused_at_limit_;
    }
    if (per_address_[address] == 0) per_address_.erase(address);
  }
  if (session) {
    ++stats_.sessions_opened;
    ++stats_.opened_by_transport[static_cast<size_t>(transport)];
    RTR42_LOG_INFO("session %s opened (%d active)", session->peer(), active);
    session->Start();
    return;
  }
  ++stats_.connections_refused;
  if (address_full) {
    if (first_address_refusal) {
      RTR42_LOG_WARNING(
          "%s already has %d sessions (the per-address limit): refusing more from it (logged "
          "once until a session ends)",
          address.to_string(), options_.max_connections_per_address);
    }
  } else if (first_refusal) {
    // Once per episode: a flood of connections must not flood the log too.
    RTR42_LOG_WARNING(
        "connection limit of %d reached (--max-connections): refusing new connections, first "
        "from %s",
        options_.max_connections, address.to_string());
  } else {
    RTR42_LOG_DEBUG("connection from %s refused at the limit", address.to_string());
  }
  boost::system::error_code ignored;
  stream.lowest_layer().close(ignored);
}

void Server::AdoptSsh(int fd, const tcp::endpoint& peer, const std::string& user) {
  LocalStream stream(asio::make_strand(io_));
  boost::system::error_code ec;
  stream.assign(asio::local::stream_protocol(), fd, ec);
  if (ec) {
    ::close(fd);
    RTR42_LOG_ERROR("SSH session from %s: %s", EndpointName(peer), ec.message());
    return;
  }
  Admit(std::move(stream), peer.address(), absl::StrCat(EndpointName(peer), " (SSH ", user, ")"),
        Transport::kSsh);
}

void Server::Accept(size_t index) {
  listeners_[index].acceptor->async_accept(
      asio::make_strand(io_),
      [this, index](const boost::system::error_code& ec, tcp::socket socket) {
        OnAccept(index, ec, std::move(socket));
      });
}

void Server::OnAccept(size_t index, const boost::system::error_code& ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted) return;
  Listener& l = listeners_[index];
  if (!l.acceptor->is_open()) return;  // stopped
  if (ec) {
    // Out of descriptors (EMFILE) or memory: retrying at once would spin
    // and log without end; pause, and say it once.
    ++l.failures;
    if (!l.failing) {
      RTR42_LOG_WARNING("accept failed: %s; retrying every %s until it works (logged once)",
                        ec.message(), absl::FormatDuration(options_.accept_retry));
    }
    l.failing = true;
    if (!l.retry) l.retry = std::make_unique<asio::steady_timer>(io_);
    l.retry->expires_after(absl::ToChronoNanoseconds(options_.accept_retry));
    l.retry->async_wait([this, index](const boost::system::error_code& e) {
      if (!e) Accept(index);
    });
    return;
  }
  if (l.failing) {
    RTR42_LOG_INFO("accepting connections again after %d failed accepts", l.failures);
    l.failing = false;
    l.failures = 0;
  }
  if (!l.tls) {
    boost::system::error_code ignored;
    tcp::endpoint peer = socket.remote_endpoint(ignored);
    Admit(std::move(socket), peer.address(), ignored ? "unknown peer" : EndpointName(peer),
          Transport::kTcp);
  } else {
    StartTls(std::move(socket));
  }
  Accept(index);
}

void Server::StartTls(tcp::socket socket) {
  boost::system::error_code ignored;
  tcp::endpoint peer = socket.remote_endpoint(ignored);  // known now, not after a failure
  if (tls_handshakes_ >= options_.max_tls_handshakes) {
    ++stats_.connections_refused;
    if (!tls_handshakes_full_.exchange(true)) {
      RTR42_LOG_WARNING(
          "%d TLS handshakes under way: refusing new TLS connections until one ends, first "
          "from %s (logged once)",
          options_.max_tls_handshakes, peer.address().to_string());
    }
    socket.close(ignored);
    return;
  }
  ++tls_handshakes_;
  auto tls = std::make_shared<TlsStream>(std::move(socket), *tls_context_);
  auto timer = std::make_shared<asio::steady_timer>(tls->get_executor());
  timer->expires_after(absl::ToChronoNanoseconds(options_.tls_handshake_timeout));
  timer->async_wait([tls](const boost::system::error_code& e) {
    if (!e) {
      boost::system::error_code closed;
      tls->next_layer().close(closed);
    }
  });
  tls->async_handshake(asio::ssl::stream_base::server, [this, tls, timer,
                                                        peer](const boost::system::error_code& e) {
    timer->cancel();
    if (--tls_handshakes_ < options_.max_tls_handshakes && tls_handshakes_full_.exchange(false)) {
      RTR42_LOG_INFO("TLS handshakes below the limit again: accepting");
    }
    OnTlsHandshake(tls, peer, e);
  });
}

void Server::OnTlsHandshake(const std::shared_ptr<TlsStream>& tls, const tcp::endpoint& peer,
                            const boost::system::error_code& ec) {
  boost::system::error_code ignored;
  std::string refused;
  if (ec) {
    refused = absl::StrCat("TLS handshake failed: ", ec.message());
  } else if (!options_.tls_client_ca.empty()) {
    refused = CheckClientAddress(tls->native_handle(), peer.address());
  }
  if (!refused.empty()) {
    RTR42_LOG_WARNING("TLS client %s refused: %s", peer.address().to_string(), refused);
    tls->next_layer().close(ignored);
    return;
  }
  Admit(std::move(*tls), peer.address(), EndpointName(peer) + " (TLS)", Transport::kTls);
}

void Server::Stop(std::optional<ErrorCode> farewell, std::string text) {
  std::map<uint64_t, std::shared_ptr<Session>> sessions;
  {
    absl::MutexLock lock(&mutex_);
    if (stopped_) return;
    stopped_ = true;
    sessions = sessions_;
  }
  for (auto& listener : listeners_) {
    boost::system::error_code ec;
    listener.acceptor->close(ec);
  }
  for (auto& [id, session] : sessions) {
    if (farewell) {
      session->Farewell(*farewell, text);
    } else {
      session->Close("server shutting down");
    }
  }
}

void Server::Remove(uint64_t id) {
  absl::MutexLock lock(&mutex_);
  sessions_.erase(id);
  if (auto it = session_address_.find(id); it != session_address_.end()) {
    if (--per_address_[it->second] == 0) per_address_.erase(it->second);
    session_address_.erase(it);
    per_address_warned_ = false;
  }
  if (at_limit_ && sessions_.size() < options_.max_connections) {
    RTR42_LOG_INFO("below the connection limit again: accepting; %d connections were refused",
                   refused_at_limit_);
    at_limit_ = false;
    refused_at_limit_ = 0;
  }
}

void Server::Publish(std::shared_ptr<const rtr::Update> update) {
  if (!update) return;
  auto encoded = std::make_shared<const EncodedUpdate>(update, options_.timers);
  stats_.notify_fanout_ns = 0;
  stats_.publish_time_ns = absl::GetCurrentTimeNanos();
  stats_.publish_serial = update->serial();
  std::vector<std::shared_ptr<Session>> sessions;
  {
    absl::MutexLock lock(&mutex_);
    current_ = encoded;
    sessions.reserve(sessions_.size());
    for (auto& [id, session] : sessions_) sessions.push_back(session);
  }
  for (auto& session : sessions) session->OnUpdate(encoded);
}

std::shared_ptr<const EncodedUpdate> Server::current() const {
  absl::MutexLock lock(&mutex_);
  return current_;
}

std::vector<tcp::endpoint> Server::bound_endpoints() const {
  std::vector<tcp::endpoint> out;
  for (const auto& l : listeners_) {
    boost::system::error_code ec;
    tcp::endpoint e = l.acceptor->local_endpoint(ec);
    if (!ec) out.push_back(e);
  }
  return out;
}

std::vector<SessionInfo> Server::Sessions() const {
  std::vector<std::shared_ptr<Session>> sessions;
  {
    absl::MutexLock lock(&mutex_);
    for (const auto& [id, session] : sessions_) sessions.push_back(session);
  }
  std::vector<SessionInfo> out;
  out.reserve(sessions.size());
  for (const auto& session : sessions) out.push_back(session->info());
  return out;
}

size_t Server::session_count() const {
  absl::MutexLock lock(&mutex_);
  return sessions_.size();
}

}  // namespace rtr42::rtr
