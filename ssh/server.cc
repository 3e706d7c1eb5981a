#include "ssh/server.h"

#include <fcntl.h>
#include <libssh/callbacks.h>
#include <libssh/server.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "ssh/key.h"

namespace rtr42::ssh {
namespace {

using Clock = std::chrono::steady_clock;

// What the bridge holds of the router's input while the pair is full, and
// reads of the server's output at once.
constexpr size_t kMaxToServer = 256 << 10;
constexpr size_t kChunk = 32 << 10;
// The most RTR bytes one SSH packet carries. BIRD reads its SSH channel
// once per wakeup of its socket, at most its receive buffer (4 KB in BIRD's
// current sources), and libssh under it reads the socket 4 KB at a time: data that
// libssh has already decrypted beyond what BIRD read waits, unseen, until
// the socket has something new, and at the end of a response nothing new
// comes, so BIRD would never see End of Data. Packets this small keep what
// one 4 KB read of the socket decrypts below what BIRD reads next.
constexpr size_t kMaxPacketPayload = 512;
// After the server ended a session: how long the rest may take to reach the
// router before the connection is dropped.
constexpr auto kClosingTime = std::chrono::seconds(2);

enum State { kHandshake, kBridged, kClosing };
const char* StateName(int state) {
  switch (state) {
    case kHandshake:
      return "handshake";
    case kBridged:
      return "bridged";
    case kClosing:
      return "closing";
  }
  return "?";
}

}  // namespace

struct SshServer::Connection {
  SshServer* server = nullptr;
  ssh_session session = nullptr;
  ssh_event event = nullptr;  // this connection's session only
  ssh_channel channel = nullptr;
  int local = -1;  // our end of the socket pair, once bridged
  int state = kHandshake;
  tcp::endpoint peer;
  std::string peer_name;
  std::string user;
  std::string key;  // the authorized key it authenticated with: comment and fingerprint
  bool authenticated = false;
  bool offered_key = false;  // any publickey request came
  int auth_failures = 0;
  bool failure_logged = false;
  Clock::time_point deadline;     // of the handshake, or of closing
  std::string to_server;          // the router's bytes the pair has not taken
  std::string to_router;          // the server's bytes the channel has not taken
  bool channel_has_more = false;  // input left in the channel by a full bridge
  bool server_done = false;       // the server closed its end
  bool router_done = false;       // the router sent EOF or closed the channel
  bool eof_sent = false;          // the channel is closed on our side
  std::string end_reason;         // set: free it
  ssh_server_callbacks_struct server_callbacks{};
  ssh_channel_callbacks_struct channel_callbacks{};
};

SshServer::SshServer(SshServerOptions options, Handoff handoff)
    : options_(std::move(options)), handoff_(std::move(handoff)) {}

SshServer::~SshServer() {
  Stop();
  for (Listener& l : listeners_) ::close(l.fd);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (bind_) ssh_bind_free(bind_);
}

absl::Status SshServer::Start() {
  ssh_init();
  absl::StatusOr<HostKey> host = LoadOrCreateHostKey(options_.host_key);
  if (!host.ok()) return host.status();
  host_key_line_ = PublicKeyLine(host->key.get());
  host_key_fingerprint_ = Fingerprint(host->key.get());
  RTR42_LOG_INFO("SSH host key %s%s: %s (%s)", options_.host_key, host->created ? " created" : "",
                 host_key_fingerprint_, ssh_key_type_to_char(ssh_key_type(host->key.get())));
  absl::StatusOr<std::unique_ptr<AuthorizedKeysFile>> keys =
      AuthorizedKeysFile::Open(options_.authorized_keys);
  if (!keys.ok()) return keys.status();
  keys_ = std::move(*keys);

  bind_ = ssh_bind_new();
  if (ssh_bind_options_set(bind_, SSH_BIND_OPTIONS_HOSTKEY, options_.host_key.c_str()) != SSH_OK) {
    return absl::InvalidArgumentError(
        absl::StrCat("SSH host key ", options_.host_key, ": ", ssh_get_error(bind_)));
  }
  for (const tcp::endpoint& e : options_.listen) {
    int fd = ::socket(e.address().is_v6() ? AF_INET6 : AF_INET,
                      SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (e.address().is_v6()) {
      int v6only = e.address().is_unspecified() ? 0 : 1;
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
    }
    if (::bind(fd, e.data(), static_cast<socklen_t>(e.size())) != 0 || ::listen(fd, 128) != 0) {
      std::string message = absl::StrCat("SSH listen on ", e.address().to_string(), " port ",
                                         e.port(), ": ", std::strerror(errno));
      ::close(fd);
      if (options_.require_every_listener) return absl::UnavailableError(message);
      RTR42_LOG_WARNING("%s; going on without it", message);
      continue;
    }
    tcp::endpoint bound = e;
    socklen_t length = static_cast<socklen_t>(bound.capacity());
    ::getsockname(fd, bound.data(), &length);
    bound.resize(length);
    RTR42_LOG_INFO("listening (SSH) on %s port %d", bound.address().to_string(), bound.port());
    bound_.push_back(bound);
    listeners_.push_back({fd});
  }
  if (listeners_.empty()) return absl::UnavailableError("no address to listen on for SSH");
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void SshServer::Stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  thread_.join();
}

void SshServer::ReloadKeys() {
  if (!keys_) return;
  keys_->Reload();
}

void SshServer::Run() {
  std::vector<pollfd> fds;
  while (!stopping_) {
    auto now = Clock::now();
    fds.clear();
    fds.push_back({wake_fd_, POLLIN, 0});
    for (Listener& l : listeners_) {
      bool paused = l.failing && now < l.resume;
      fds.push_back({l.fd, static_cast<short>(paused ? 0 : POLLIN), 0});
    }
    size_t first_connection = fds.size();
    int timeout_ms = 1000;
    for (auto& c : connections_) {
      short session_events = POLLIN;
      if (ssh_get_poll_flags(c->session) & SSH_WRITE_PENDING) session_events |= POLLOUT;
      fds.push_back({ssh_get_fd(c->session), session_events, 0});
      short local_events = 0;
      if (c->local >= 0) {
        // The server's output is read only when the channel can take it.
        if (c->to_router.empty() && !c->server_done && c->channel &&
            ssh_channel_window_size(c->channel) > 0)
          local_events |= POLLIN;
        if (!c->to_server.empty()) local_events |= POLLOUT;
        // A channel window that opens arrives on the session socket.
      }
      fds.push_back({c->local, local_events, 0});
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(c->deadline - now);
      if (c->state != kBridged) timeout_ms = std::max(0, std::min<int>(timeout_ms, left.count()));
    }
    for (Listener& l : listeners_) {
      if (l.failing && now < l.resume) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(l.resume - now);
        timeout_ms = std::max(0, std::min<int>(timeout_ms, left.count() + 1));
      }
    }
    if (::poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) {
      RTR42_LOG_ERROR("SSH: poll: %s", std::strerror(errno));
      break;
    }
    if (stopping_) break;
    for (size_t i = 0; i < listeners_.size(); ++i) {
      if (fds[1 + i].revents & POLLIN) Accept(listeners_[i]);
      if (listeners_[i].failing && Clock::now() >= listeners_[i].resume && !fds[1 + i].events) {
        // Paused after a failed accept: try again now.
        Accept(listeners_[i]);
      }
    }
    // Connections accepted just now have no pollfd yet; they are driven on
    // the next round.
    size_t polled = (fds.size() - first_connection) / 2;
    for (size_t i = 0; i < polled; ++i) {
      Drive(*connections_[i], fds[first_connection + 2 * i].revents,
            fds[first_connection + 2 * i + 1].revents);
    }
    now = Clock::now();
    for (auto& c : connections_) {
      if (!c->end_reason.empty()) continue;
      if (c->state == kHandshake && now >= c->deadline) {
        ++stats_.handshakes_timed_out;
        c->end_reason = absl::StrCat("no rpki-rtr session within ",
                                     absl::FormatDuration(options_.handshake_timeout),
                                     c->authenticated ? " (authenticated)" : "");
      } else if (c->state == kClosing && now >= c->deadline) {
        c->end_reason = "closed";
      }
    }
    for (size_t i = 0; i < connections_.size();) {
      Connection& c = *connections_[i];
      if (c.end_reason.empty()) {
        ++i;
        continue;
      }
      Free(c, c.end_reason);
      connections_.erase(connections_.begin() + static_cast<ptrdiff_t>(i));
    }
    if (handshakes_full_ &&
        static_cast<size_t>(stats_.handshaking.load()) < options_.max_handshakes) {
      handshakes_full_ = false;
      RTR42_LOG_INFO("SSH handshakes below the limit again: accepting");
    }
  }
  for (auto& c : connections_) Free(*c, "server shutting down");
  connections_.clear();
}

void SshServer::Accept(Listener& listener) {
  tcp::endpoint peer;
  socklen_t length = static_cast<socklen_t>(peer.capacity());
  // Non-blocking: libssh leaves the descriptor as it is given, and one
  // blocking write to a router that stopped reading would stall the thread
  // every SSH connection shares.
  int fd = ::accept4(listener.fd, peer.data(), &length, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED) return;
    if (!listener.failing) {
      RTR42_LOG_WARNING("SSH accept failed: %s; retrying every %s until it works (logged once)",
                        std::strerror(errno), absl::FormatDuration(options_.accept_retry));
    }
    listener.failing = true;
    listener.resume = Clock::now() + absl::ToChronoNanoseconds(options_.accept_retry);
    return;
  }
  if (listener.failing) {
    RTR42_LOG_INFO("SSH: accepting connections again");
    listener.failing = false;
  }
  peer.resize(length);
  ++stats_.connections;
  if (static_cast<size_t>(stats_.handshaking.load()) >= options_.max_handshakes) {
    ++stats_.handshakes_refused;
    if (!handshakes_full_) {
      handshakes_full_ = true;
      RTR42_LOG_WARNING(
          "%d SSH handshakes under way: refusing new SSH connections until one ends, first from "
          "%s (logged once)",
          options_.max_handshakes, peer.address().to_string());
    }
    ::close(fd);
    return;
  }
  int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  rtr::SetTcpKeepalive(fd, options_.keepalive_idle);

  auto c = std::make_unique<Connection>();
  c->server = this;
  c->peer = peer;
  c->peer_name = rtr::EndpointName(peer);
  c->deadline = Clock::now() + absl::ToChronoNanoseconds(options_.handshake_timeout);
  c->session = ssh_new();
  if (c->session == nullptr || ssh_bind_accept_fd(bind_, c->session, fd) != SSH_OK) {
    RTR42_LOG_ERROR("SSH connection from %s: %s", c->peer_name,
                    c->session ? ssh_get_error(bind_) : "out of memory");
    if (c->session) ssh_free(c->session);
    ::close(fd);
    return;
  }
  ssh_set_auth_methods(c->session, SSH_AUTH_METHOD_PUBLICKEY);
  ssh_server_callbacks_struct& cb = c->server_callbacks;
  cb.userdata = c.get();
  cb.auth_pubkey_function = &SshServer::OnAuthPubkey;
  cb.auth_password_function = &SshServer::OnAuthPassword;
  cb.auth_none_function = &SshServer::OnAuthNone;
  cb.channel_open_request_session_function = &SshServer::OnChannelOpen;
  ssh_callbacks_init(&cb);
  ssh_set_server_callbacks(c->session, &cb);
  ssh_set_message_callback(c->session, &SshServer::OnOtherMessage, c.get());
  ssh_set_blocking(c->session, 0);
  if (ssh_handle_key_exchange(c->session) == SSH_ERROR) {
    RTR42_LOG_INFO("SSH connection from %s closed before the key exchange: %s", c->peer_name,
                   ssh_get_error(c->session));
    ssh_free(c->session);
    return;
  }
  c->event = ssh_event_new();
  ssh_event_add_session(c->event, c->session);
  ++stats_.handshaking;
  ++stats_.open;
  RTR42_LOG_DEBUG("SSH connection from %s: handshake", c->peer_name);
  connections_.push_back(std::move(c));
}

void SshServer::Drive(Connection& c, short session_events, short local_events) {
  if (!c.end_reason.empty()) return;
  if (session_events) {
    // Runs the key exchange, authentication, requests and channel data
    // through the callbacks below.
    ssh_event_dopoll(c.event, 0);
    int status = ssh_get_status(c.session);
    if ((status & (SSH_CLOSED | SSH_CLOSED_ERROR)) || !ssh_is_connected(c.session)) {
      c.router_done = true;
      if (c.state == kHandshake) {
        const char* error = ssh_get_error(c.session);
        c.end_reason = absl::StrCat("closed during the handshake",
                                    error && *error ? absl::StrCat(": ", error) : "");
        const char* cipher = ssh_get_cipher_in(c.session);
        bool keys_exchanged = cipher != nullptr && std::strcmp(cipher, "none") != 0;
        if (!c.offered_key && c.auth_failures == 0 && keys_exchanged) {
          // BIRD with an RSA key: its libssh decides which keys to offer
          // before our EXT_INFO (server-sig-algs) has reached it, finds
          // only SHA-1 "ssh-rsa" and offers nothing.
          absl::StrAppend(&c.end_reason,
                          " (the client offered no key; a BIRD with an RSA key does this: "
                          "give it an Ed25519 or ECDSA key)");
        }
      } else {
        c.end_reason = "closed by peer";
      }
      return;
    }
  }
  if (c.state == kHandshake) return;
  if ((local_events & (POLLHUP | POLLERR)) && !c.server_done) {
    // The server closed its end (poll says so whatever was asked): what it
    // wrote last is still in the socket, bounded by the socket's buffer.
    char buffer[kChunk];
    ssize_t n;
    while ((n = ::recv(c.local, buffer, sizeof buffer, MSG_DONTWAIT)) > 0) {
      c.to_router.append(buffer, static_cast<size_t>(n));
    }
    c.server_done = true;
    c.to_server.clear();
  }
  if (local_events & POLLOUT) PumpToServer(c);
  if (local_events & (POLLIN | POLLHUP | POLLERR) && !c.server_done) PumpToRouter(c);
  // Input the router sent while the pair was full waits in the channel.
  if (c.channel_has_more && c.to_server.size() < kMaxToServer && !c.router_done) {
    char buffer[kChunk];
    size_t room = std::min(sizeof buffer, kMaxToServer - c.to_server.size());
    int n = ssh_channel_read_nonblocking(c.channel, buffer, static_cast<uint32_t>(room), 0);
    if (n > 0) {
      c.to_server.append(buffer, static_cast<size_t>(n));
      PumpToServer(c);
    } else {
      c.channel_has_more = false;
    }
  }
  if (!c.to_router.empty()) PumpToRouter(c);
  if (c.state == kBridged && c.router_done) {
    // The router is done: the server sees the end of its input.
    if (c.local >= 0 && c.to_server.empty()) ::shutdown(c.local, SHUT_WR);
    if (c.server_done || c.to_server.empty()) c.end_reason = "closed by peer";
  }
  if (c.state == kBridged && c.server_done) {
    // What the server wrote last (an Error Report, say) gets kClosingTime
    // to reach the router; a router that does not read loses it.
    c.deadline = Clock::now() + kClosingTime;
    EnterState(c, kClosing, "the RTR session ended");
  }
  if (c.state == kClosing && c.to_router.empty() && !c.eof_sent) {
    ssh_channel_send_eof(c.channel);
    ssh_channel_close(c.channel);
    c.eof_sent = true;
  }
  if (c.eof_sent && !(ssh_get_poll_flags(c.session) & SSH_WRITE_PENDING)) {
    c.end_reason = "the RTR session ended";
  }
}

void SshServer::PumpToServer(Connection& c) {
  while (!c.to_server.empty()) {
    ssize_t n =
        ::send(c.local, c.to_server.data(), c.to_server.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      c.server_done = true;  // the server closed its end
      c.to_server.clear();
      return;
    }
    c.to_server.erase(0, static_cast<size_t>(n));
  }
}

void SshServer::PumpToRouter(Connection& c) {
  while (!c.to_router.empty() || !c.server_done) {
    if (c.to_router.empty()) {
      uint32_t window = ssh_channel_window_size(c.channel);
      if (window == 0) return;
      char buffer[kChunk];
      ssize_t n = ::recv(c.local, buffer, std::min<size_t>(sizeof buffer, window), MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
      if (n <= 0) {
        c.server_done = true;
        return;
      }
      c.to_router.assign(buffer, static_cast<size_t>(n));
    }
    int written =
        ssh_channel_write(c.channel, c.to_router.data(),
                          static_cast<uint32_t>(std::min(c.to_router.size(), kMaxPacketPayload)));
    if (written == SSH_ERROR) {
      c.end_reason = absl::StrCat("write: ", ssh_get_error(c.session));
      return;
    }
    c.to_router.erase(0, static_cast<size_t>(written));
    if (!c.to_router.empty()) return;  // the window closed; the session socket says when it opens
  }
}

void SshServer::Bridge(Connection& c) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    c.end_reason = absl::StrCat("socketpair: ", std::strerror(errno));
    return;
  }
  ::fcntl(pair[0], F_SETFL, ::fcntl(pair[0], F_GETFL) | O_NONBLOCK);
  c.local = pair[0];
  --stats_.handshaking;
  ++stats_.sessions;
  EnterState(c, kBridged, absl::StrCat("rpki-rtr subsystem for ", c.user));
  RTR42_LOG_INFO("SSH %s: user %s authenticated with key %s, rpki-rtr subsystem", c.peer_name,
                 c.user, c.key);
  handoff_(pair[1], c.peer, c.user);
}

void SshServer::EnterState(Connection& c, int state, const std::string& why) {
  RTR42_LOG_DEBUG("SSH %s: %s -> %s (%s)", c.peer_name, StateName(c.state), StateName(state), why);
  c.state = state;
}

void SshServer::AuthFailure(Connection& c, const std::string& why) {
  ++stats_.auth_failures;
  ++c.auth_failures;
  auto now = Clock::now();
  if (now - failure_minute_ >= std::chrono::minutes(1)) {
    failure_minute_ = now;
    failure_lines_ = 0;
  }
  if (!c.failure_logged && failure_lines_ < kFailureLinesPerMinute) {
    ++failure_lines_;
    c.failure_logged = true;
    std::string more = failures_unlogged_ > 0
                           ? absl::StrCat(" (", failures_unlogged_, " failures not logged before)")
                           : "";
    failures_unlogged_ = 0;
    RTR42_LOG_WARNING("SSH %s: authentication failed: %s%s", c.peer_name, why, more);
  } else {
    ++failures_unlogged_;
  }
  if (c.auth_failures >= options_.max_auth_failures) {
    c.end_reason = absl::StrCat(c.auth_failures, " failed authentications");
  }
}

void SshServer::Refused(Connection& c, const std::string& what) {
  ++stats_.requests_refused;
  RTR42_LOG_WARNING("SSH %s: refused %s (only the rpki-rtr subsystem is served)", c.peer_name,
                    what);
}

void SshServer::Free(Connection& c, const std::string& why) {
  --stats_.open;
  if (c.state == kHandshake) {
    --stats_.handshaking;
    RTR42_LOG_INFO("SSH %s: connection closed: %s", c.peer_name, why);
  } else {
    RTR42_LOG_DEBUG("SSH %s: connection closed: %s", c.peer_name, why);
  }
  if (c.local >= 0) ::close(c.local);
  c.local = -1;
  if (c.event) {
    ssh_event_remove_session(c.event, c.session);
    ssh_event_free(c.event);
  }
  if (ssh_is_connected(c.session)) ssh_disconnect(c.session);
  ssh_free(c.session);  // and its channel
}

int SshServer::OnAuthPubkey(ssh_session, const char* user, ssh_key key, char state, void* data) {
  auto& c = *static_cast<Connection*>(data);
  c.offered_key = true;
  std::optional<AuthorizedKey> found = c.server->keys_->Find(key);
  if (!found) {
    c.server->AuthFailure(c, absl::StrCat("user ", user, ": key ", Fingerprint(key), " is not in ",
                                          c.server->keys_->path()));
    return SSH_AUTH_DENIED;
  }
  if (state == SSH_PUBLICKEY_STATE_NONE) return SSH_AUTH_SUCCESS;  // the key would do
  if (state != SSH_PUBLICKEY_STATE_VALID) {
    c.server->AuthFailure(c,
                          absl::StrCat("user ", user, ": bad signature by ", found->fingerprint));
    return SSH_AUTH_DENIED;
  }
  c.authenticated = true;
  c.user = user;
  c.key = found->comment.empty() ? found->fingerprint
                                 : absl::StrCat(found->comment, " ", found->fingerprint);
  RTR42_LOG_DEBUG("SSH %s: user %s authenticated (%s, %s line %d)", c.peer_name, user, c.key,
                  c.server->keys_->path(), found->line);
  return SSH_AUTH_SUCCESS;
}

int SshServer::OnAuthPassword(ssh_session, const char* user, const char*, void* data) {
  auto& c = *static_cast<Connection*>(data);
  c.server->AuthFailure(c, absl::StrCat("user ", user,
                                        ": password authentication refused "
                                        "(publickey only, RFC 8210 section 9.1)"));
  return SSH_AUTH_DENIED;
}

int SshServer::OnAuthNone(ssh_session, const char* user, void* data) {
  auto& c = *static_cast<Connection*>(data);
  RTR42_LOG_DEBUG("SSH %s: user %s: \"none\" authentication refused", c.peer_name, user);
  return SSH_AUTH_DENIED;
}

ssh_channel SshServer::OnChannelOpen(ssh_session session, void* data) {
  auto& c = *static_cast<Connection*>(data);
  if (!c.authenticated) {
    c.server->Refused(c, "a channel before authentication");
    return nullptr;
  }
  if (c.channel != nullptr) {
    c.server->Refused(c, "a second channel");
    return nullptr;
  }
  c.channel = ssh_channel_new(session);
  ssh_channel_callbacks_struct& cb = c.channel_callbacks;
  cb.userdata = &c;
  cb.channel_subsystem_request_function = &SshServer::OnSubsystem;
  cb.channel_shell_request_function = &SshServer::OnShell;
  cb.channel_exec_request_function = &SshServer::OnExec;
  cb.channel_pty_request_function = &SshServer::OnPty;
  cb.channel_env_request_function = &SshServer::OnEnv;
  cb.channel_data_function = &SshServer::OnData;
  cb.channel_eof_function = &SshServer::OnEof;
  cb.channel_close_function = &SshServer::OnClose;
  ssh_callbacks_init(&cb);
  ssh_set_channel_callbacks(c.channel, &cb);
  return c.channel;
}

int SshServer::OnSubsystem(ssh_session, ssh_channel, const char* subsystem, void* data) {
  auto& c = *static_cast<Connection*>(data);
  if (std::strcmp(subsystem, "rpki-rtr") != 0) {
    c.server->Refused(c, absl::StrCat("subsystem \"", subsystem, "\""));
    return 1;
  }
  if (c.state != kHandshake) {
    c.server->Refused(c, "a second rpki-rtr subsystem");
    return 1;
  }
  c.server->Bridge(c);
  return c.end_reason.empty() ? 0 : 1;
}

int SshServer::OnShell(ssh_session, ssh_channel, void* data) {
  auto& c = *static_cast<Connection*>(data);
  c.server->Refused(c, "a shell");
  return 1;
}

int SshServer::OnExec(ssh_session, ssh_channel, const char* command, void* data) {
  auto& c = *static_cast<Connection*>(data);
  c.server->Refused(c, absl::StrCat("exec \"", command, "\""));
  return 1;
}

int SshServer::OnPty(ssh_session, ssh_channel, const char*, int, int, int, int, void* data) {
  auto& c = *static_cast<Connection*>(data);
  c.server->Refused(c, "a pty");
  return 1;
}

int SshServer::OnEnv(ssh_session, ssh_channel, const char* name, const char*, void* data) {
  auto& c = *static_cast<Connection*>(data);
  RTR42_LOG_DEBUG("SSH %s: environment variable %s ignored", c.peer_name, name);
  return 1;
}

int SshServer::OnData(ssh_session, ssh_channel, void* bytes, uint32_t len, int is_stderr,
                      void* data) {
  auto& c = *static_cast<Connection*>(data);
  if (c.state != kBridged || is_stderr) return static_cast<int>(len);  // not RTR: dropped
  size_t room = kMaxToServer - std::min(kMaxToServer, c.to_server.size());
  size_t take = std::min<size_t>(room, len);
  c.to_server.append(static_cast<const char*>(bytes), take);
  if (take < len) c.channel_has_more = true;
  c.server->PumpToServer(c);
  return static_cast<int>(take);
}

int SshServer::OnOtherMessage(ssh_session, ssh_message message, void* data) {
  auto& c = *static_cast<Connection*>(data);
  int type = ssh_message_type(message), subtype = ssh_message_subtype(message);
  if (type == SSH_REQUEST_AUTH && subtype == SSH_AUTH_METHOD_INTERACTIVE) {
    c.server->AuthFailure(c, absl::StrCat("user ", ssh_message_auth_user(message),
                                          ": keyboard-interactive authentication refused "
                                          "(publickey only, RFC 8210 section 9.1)"));
  } else if (type == SSH_REQUEST_CHANNEL_OPEN) {
    c.server->Refused(c,
                      subtype == SSH_CHANNEL_DIRECT_TCPIP || subtype == SSH_CHANNEL_FORWARDED_TCPIP
                          ? "port forwarding"
                          : absl::StrCat("a channel of type ", subtype));
  } else if (type == SSH_REQUEST_GLOBAL) {
    c.server->Refused(c, subtype == SSH_GLOBAL_REQUEST_TCPIP_FORWARD ? "remote port forwarding"
                                                                     : "a global request");
  } else if (type == SSH_REQUEST_CHANNEL) {
    c.server->Refused(c, absl::StrCat("a channel request of type ", subtype));
  }
  return 1;  // libssh sends the default answer: failure
}

void SshServer::OnEof(ssh_session, ssh_channel, void* data) {
  static_cast<Connection*>(data)->router_done = true;
}

void SshServer::OnClose(ssh_session, ssh_channel, void* data) {
  static_cast<Connection*>(data)->router_done = true;
}

}  // namespace rtr42::ssh
