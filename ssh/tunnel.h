// SshTunnel: the router side of RTR over SSH (RFC 8210 section 9.1), for
// rtr-dump: connects to a cache, checks its host key against a known_hosts
// file, authenticates with a private key, opens the "rpki-rtr" subsystem and
// joins the channel to a socket pair. The RTR client reads and writes the
// other end (fd()) as it would a TCP socket; a thread of the tunnel's own
// carries the bytes, and ends when either side closes.
//
// The host key check is strict: a key different from the file's is refused
// (a man in the middle, or a new key to confirm), and so is a host the file
// does not know; the error gives the line to add after checking it.
#ifndef RTR42_SSH_TUNNEL_H_
#define RTR42_SSH_TUNNEL_H_

#include <libssh/libssh.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "rtr/client.h"

namespace rtr42::ssh {

struct SshTunnelOptions {
  std::string user;
  std::string host;
  std::string port = "22";
  std::string private_key;  // OpenSSH or PEM, unencrypted
  std::string known_hosts;  // empty: ~/.ssh/known_hosts
  absl::Duration timeout = absl::Seconds(30);
};

// "USER@HOST:PORT", "USER@[v6]:PORT", "USER@HOST" (port 22).
absl::Status ParseSshTarget(const std::string& text, SshTunnelOptions* options);

class SshTunnel {
 public:
  static absl::StatusOr<std::unique_ptr<SshTunnel>> Open(const SshTunnelOptions& options);
  ~SshTunnel();  // closes the channel and joins the thread

  // The RTR client's end of the pair; the caller owns it once taken.
  int TakeClientFd();

 private:
  SshTunnel() = default;
  void Pump();

  ssh_session session_ = nullptr;
  ssh_channel channel_ = nullptr;
  int local_ = -1;   // the tunnel's end
  int client_ = -1;  // the caller's end, until taken
  int wake_ = -1;    // an eventfd: the destructor ends Pump()
  std::thread thread_;
};

// RtrClient::Options::dial for RTR over SSH: each call opens a tunnel and
// gives the client its end, the tunnel kept alive with the socket.
std::function<absl::StatusOr<rtr::RtrClient::Options::Dialed>()> DialRtr(SshTunnelOptions options);

}  // namespace rtr42::ssh

#endif  // RTR42_SSH_TUNNEL_H_
