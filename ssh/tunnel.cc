#include "ssh/tunnel.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "ssh/key.h"

namespace rtr42::ssh {

absl::Status ParseSshTarget(const std::string& text, SshTunnelOptions* options) {
  size_t at = text.find('@');
  if (at == std::string::npos || at == 0) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not USER@HOST:PORT"));
  }
  options->user = text.substr(0, at);
  std::string rest = text.substr(at + 1);
  bool has_port = rest.rfind(':') != std::string::npos &&
                  (rest.front() != '[' || rest.rfind(']') < rest.rfind(':'));
  if (!has_port) {
    options->host = rest.front() == '[' ? rest.substr(1, rest.size() - 2) : rest;
    options->port = "22";
    return options->host.empty()
               ? absl::InvalidArgumentError(absl::StrCat("'", text, "' names no host"))
               : absl::OkStatus();
  }
  return rtr::SplitHostPort(rest, &options->host, &options->port);
}

namespace {

// Why the server's key is not accepted, or empty.
std::string CheckHostKey(ssh_session session, const SshTunnelOptions& options) {
  ssh_key key = nullptr;
  if (ssh_get_server_publickey(session, &key) != SSH_OK) return "the server sent no host key";
  UniqueKey owned(key);
  std::string file = options.known_hosts.empty() ? "~/.ssh/known_hosts" : options.known_hosts;
  std::string name =
      options.port == "22" ? options.host : absl::StrCat("[", options.host, "]:", options.port);
  std::string seen = absl::StrCat(PublicKeyLine(key), " (", Fingerprint(key), ")");
  switch (ssh_session_is_known_server(session)) {
    case SSH_KNOWN_HOSTS_OK:
      return "";
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER:
      return absl::StrCat("the host key of ", name, " is ", seen, ", not the one ", file,
                          " holds for it: refusing (a man in the middle, or a new key to check "
                          "and put in the file)");
    case SSH_KNOWN_HOSTS_NOT_FOUND:
    case SSH_KNOWN_HOSTS_UNKNOWN:
      return absl::StrCat(file, " does not know ", name, "; its key is ", seen,
                          ". If that is right, add this line: ", name, " ", PublicKeyLine(key));
    case SSH_KNOWN_HOSTS_ERROR:
      break;
  }
  return absl::StrCat("cannot check the host key against ", file, ": ", ssh_get_error(session));
}

}  // namespace

absl::StatusOr<std::unique_ptr<SshTunnel>> SshTunnel::Open(const SshTunnelOptions& options) {
  ssh_init();
  std::unique_ptr<SshTunnel> t(new SshTunnel());
  t->session_ = ssh_new();
  if (!t->session_) return absl::ResourceExhaustedError("ssh_new");
  long timeout = std::max<long>(1, absl::ToInt64Seconds(options.timeout));
  int verbosity = SSH_LOG_NOLOG;
  ssh_options_set(t->session_, SSH_OPTIONS_LOG_VERBOSITY, &verbosity);
  ssh_options_set(t->session_, SSH_OPTIONS_HOST, options.host.c_str());
  ssh_options_set(t->session_, SSH_OPTIONS_PORT_STR, options.port.c_str());
  ssh_options_set(t->session_, SSH_OPTIONS_USER, options.user.c_str());
  ssh_options_set(t->session_, SSH_OPTIONS_TIMEOUT, &timeout);
  // No ~/.ssh/config: what is asked for is what is done.
  int no = 0;
  ssh_options_set(t->session_, SSH_OPTIONS_PROCESS_CONFIG, &no);
  if (!options.known_hosts.empty()) {
    ssh_options_set(t->session_, SSH_OPTIONS_KNOWNHOSTS, options.known_hosts.c_str());
    // Only this file: not the system's too.
    ssh_options_set(t->session_, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
  }
  std::string where = absl::StrCat(options.user, "@", options.host, ":", options.port);
  if (ssh_connect(t->session_) != SSH_OK) {
    return absl::UnavailableError(
        absl::StrCat("SSH connect ", where, ": ", ssh_get_error(t->session_)));
  }
  if (std::string bad = CheckHostKey(t->session_, options); !bad.empty()) {
    return absl::PermissionDeniedError(absl::StrCat("SSH ", where, ": ", bad));
  }
  ssh_key key = nullptr;
  if (ssh_pki_import_privkey_file(options.private_key.c_str(), nullptr, nullptr, nullptr, &key) !=
      SSH_OK) {
    return absl::InvalidArgumentError(
        absl::StrCat("SSH key ", options.private_key, ": not a readable, unencrypted private key"));
  }
  UniqueKey owned(key);
  // "none" first, as OpenSSH's client does: its answer comes after the
  // server's EXT_INFO, so libssh then knows the server takes rsa-sha2
  // signatures (without it an RSA key is never offered).
  (void)ssh_userauth_none(t->session_, nullptr);
  if (ssh_userauth_publickey(t->session_, nullptr, key) != SSH_AUTH_SUCCESS) {
    return absl::PermissionDeniedError(absl::StrCat("SSH ", where, ": the key ",
                                                    options.private_key, " (", Fingerprint(key),
                                                    ") was not accepted"));
  }
  t->channel_ = ssh_channel_new(t->session_);
  if (!t->channel_ || ssh_channel_open_session(t->channel_) != SSH_OK) {
    return absl::UnavailableError(
        absl::StrCat("SSH ", where, ": no session channel: ", ssh_get_error(t->session_)));
  }
  if (ssh_channel_request_subsystem(t->channel_, "rpki-rtr") != SSH_OK) {
    return absl::UnavailableError(absl::StrCat(
        "SSH ", where, ": the rpki-rtr subsystem was refused: ", ssh_get_error(t->session_)));
  }
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    return absl::InternalError(absl::StrCat("socketpair: ", std::strerror(errno)));
  }
  t->local_ = pair[0];
  t->client_ = pair[1];
  t->wake_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  ssh_set_blocking(t->session_, 0);
  t->thread_ = std::thread([p = t.get()] { p->Pump(); });
  return t;
}

int SshTunnel::TakeClientFd() {
  int fd = client_;
  client_ = -1;
  return fd;
}

void SshTunnel::Pump() {
  std::string to_cache;  // read from the client, not yet taken by the channel
  char buffer[32 << 10];
  bool client_done = false;
  while (true) {
    short ssh_events = POLLIN;
    if (!to_cache.empty() || (ssh_get_poll_flags(session_) & SSH_WRITE_PENDING))
      ssh_events |= POLLOUT;
    pollfd fds[3] = {{ssh_get_fd(session_), ssh_events, 0},
                     {local_, static_cast<short>(to_cache.empty() && !client_done ? POLLIN : 0), 0},
                     {wake_, POLLIN, 0}};
    if (::poll(fds, 3, 1000) < 0 && errno != EINTR) break;
    if (fds[2].revents) break;
    // Cache -> client (blocking: the client reads at its own pace).
    int n;
    while ((n = ssh_channel_read_nonblocking(channel_, buffer, sizeof buffer, 0)) > 0) {
      for (int done = 0; done < n;) {
        ssize_t w = ::send(local_, buffer + done, static_cast<size_t>(n - done), MSG_NOSIGNAL);
        if (w <= 0) return;  // the client is gone
        done += static_cast<int>(w);
      }
    }
    if (n == SSH_ERROR || ssh_channel_is_eof(channel_) || !ssh_channel_is_open(channel_)) break;
    // Client -> cache.
    if (fds[1].revents & (POLLIN | POLLHUP)) {
      ssize_t r = ::recv(local_, buffer, sizeof buffer, MSG_DONTWAIT);
      if (r == 0) client_done = true;
      if (r > 0) to_cache.append(buffer, static_cast<size_t>(r));
    }
    if (!to_cache.empty()) {
      int w = ssh_channel_write(channel_, to_cache.data(), static_cast<uint32_t>(to_cache.size()));
      if (w == SSH_ERROR) break;
      to_cache.erase(0, static_cast<size_t>(w));
    }
    if (client_done && to_cache.empty()) break;
  }
  ::shutdown(local_, SHUT_RDWR);
}

SshTunnel::~SshTunnel() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    (void)!::write(wake_, &one, sizeof one);
    thread_.join();
  }
  if (channel_) {
    ssh_channel_close(channel_);
    ssh_channel_free(channel_);
  }
  if (session_) {
    ssh_disconnect(session_);
    ssh_free(session_);
  }
  for (int fd : {local_, client_, wake_}) {
    if (fd >= 0) ::close(fd);
  }
}

std::function<absl::StatusOr<rtr::RtrClient::Options::Dialed>()> DialRtr(SshTunnelOptions options) {
  return [options]() -> absl::StatusOr<rtr::RtrClient::Options::Dialed> {
    absl::StatusOr<std::unique_ptr<SshTunnel>> tunnel = SshTunnel::Open(options);
    if (!tunnel.ok()) return tunnel.status();
    int fd = (*tunnel)->TakeClientFd();
    return rtr::RtrClient::Options::Dialed{fd, std::shared_ptr<SshTunnel>(std::move(*tunnel))};
  };
}

}  // namespace rtr42::ssh
