#include "rtr/server.h"

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
  if (!ec && endpoint.address().is_v6()) acceptor->set_option(asio::ip::v6_only(true), ec);
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
void Server::Admit(Stream stream) {
  std::shared_ptr<Session> session;
  size_t active = 0;
  bool first_refusal = false;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    active = sessions_.size();
    if (active < options_.max_connections) {
      uint64_t id = next_id_++;
      session = std::make_shared<StreamSession<Stream>>(std::move(stream), *this, id);
      sessions_.emplace(id, session);
      ++active;
    } else {
      first_refusal = !at_limit_;
      at_limit_ = true;
      ++refused_at_limit_;
    }
  }
  if (session) {
    ++stats_.sessions_opened;
    RTR42_LOG_INFO("session %s opened (%d active)", session->peer(), active);
    session->Start();
    return;
  }
  ++stats_.connections_refused;
  boost::system::error_code ignored;
  tcp::socket& socket = [&]() -> tcp::socket& {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      return stream.next_layer();
    } else {
      return stream;
    }
  }();
  tcp::endpoint peer = socket.remote_endpoint(ignored);
  // Once per episode: a flood of connections must not flood the log too.
  if (first_refusal) {
    RTR42_LOG_WARNING(
        "connection limit of %d reached (--max-connections): refusing new connections, first "
        "from %s",
        options_.max_connections, peer.address().to_string());
  } else {
    RTR42_LOG_DEBUG("connection from %s refused at the limit", peer.address().to_string());
  }
  socket.close(ignored);
}

void Server::Accept(size_t index) {
  listeners_[index].acceptor->async_accept(
      asio::make_strand(io_),
      [this, index](const boost::system::error_code& ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (ec) {
          RTR42_LOG_WARNING("accept failed: %s", ec.message());
        } else if (!listeners_[index].tls) {
          Admit(std::move(socket));
        } else {
          // Handshake first (bounded in time), then a session like any other.
          auto tls = std::make_shared<TlsStream>(std::move(socket), *tls_context_);
          auto timer = std::make_shared<asio::steady_timer>(tls->get_executor());
          timer->expires_after(std::chrono::seconds(30));
          timer->async_wait([tls](const boost::system::error_code& e) {
            if (!e) {
              boost::system::error_code ignored;
              tls->next_layer().close(ignored);
            }
          });
          tls->async_handshake(asio::ssl::stream_base::server,
                               [this, tls, timer](const boost::system::error_code& e) {
                                 timer->cancel();
                                 if (e) {
                                   boost::system::error_code ignored;
                                   tcp::endpoint peer = tls->next_layer().remote_endpoint(ignored);
                                   RTR42_LOG_WARNING("TLS handshake with %s failed: %s",
                                                     peer.address().to_string(), e.message());
                                   tls->next_layer().close(ignored);
                                   return;
                                 }
                                 Admit(std::move(*tls));
                               });
        }
        Accept(index);
      });
}

void Server::Stop(std::optional<ErrorCode> farewell, std::string text) {
  std::map<uint64_t, std::shared_ptr<Session>> sessions;
  {
    std::lock_guard lock(mutex_);
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
  std::lock_guard lock(mutex_);
  sessions_.erase(id);
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
    std::lock_guard lock(mutex_);
    current_ = encoded;
    sessions.reserve(sessions_.size());
    for (auto& [id, session] : sessions_) sessions.push_back(session);
  }
  for (auto& session : sessions) session->OnUpdate(encoded);
}

std::shared_ptr<const EncodedUpdate> Server::current() const {
  std::lock_guard lock(mutex_);
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

size_t Server::session_count() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace rtr42::rtr
