// SshServer: RTR over SSH (RFC 8210 section 9.1, unchanged in
// draft-ietf-sidrops-8210bis-27 section 9.1): the "rpki-rtr" subsystem on
// a session channel, publickey user authentication only.
//
// One thread runs every SSH connection through one poll() loop, each
// connection driven by libssh in non-blocking mode (no thread per
// connection). A connection's states, each change logged at debug level:
//
//   kHandshake --key exchange, publickey authentication with an authorized
//               key, one session channel, the rpki-rtr subsystem--> kBridged
//   kBridged   --the router or the RTR server ends it--> kClosing --> freed
//   kHandshake --handshake_timeout, too many failed authentications--> freed
//
// At most max_handshakes connections are in kHandshake at once (more are
// closed at accept, logged once per episode) and each must reach kBridged
// within handshake_timeout, so stalled or abandoned handshakes cost bounded
// memory and time. Only publickey authentication exists: "none" is refused
// quietly (clients start with it to learn the methods), password and
// keyboard-interactive are refused and counted as failures; a shell, exec,
// a pty, env, X11 or agent forwarding, port forwarding, another subsystem and
// a second channel are refused and logged with the peer. Authentication
// failures are counted and logged (one line per connection's first failure,
// at most kFailureLinesPerMinute a minute, the rest counted in the next line).
//
// In kBridged the channel is joined to one end of a socket pair whose other
// end goes to the RTR server through `handoff` (rtr::Server::AdoptSsh), so
// sessions over SSH have TCP's session logic, limits, Serial Notify and
// metrics. Flow control crosses the bridge: the server's output is read only
// as far as the channel window allows, so a router that stops reading stalls
// the server's write and its write-stall limit applies; the router's input
// waits in the channel (its window closes) while the pair is full.
#ifndef RTR42_SSH_SERVER_H_
#define RTR42_SSH_SERVER_H_

#include <libssh/server.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "rtr/server.h"
#include "ssh/authorized_keys.h"

namespace rtr42::ssh {

using rtr::tcp;

struct SshServerOptions {
  std::vector<tcp::endpoint> listen;
  std::string host_key;         // OpenSSH private key file, made when absent
  std::string authorized_keys;  // OpenSSH authorized_keys file
  size_t max_handshakes = 64;
  absl::Duration handshake_timeout = absl::Seconds(10);
  int max_auth_failures = 6;  // per connection, then it is closed (as sshd's MaxAuthTries)
  absl::Duration keepalive_idle = rtr::ServerOptions{}.keepalive_idle;
  absl::Duration accept_retry = rtr::ServerOptions{}.accept_retry;
  // False: an address that cannot be bound is a warning while another works.
  bool require_every_listener = true;
};

// Counters, readable from any thread.
struct SshStats {
  std::atomic<uint64_t> connections{0};           // TCP connections accepted
  std::atomic<uint64_t> handshakes_refused{0};    // closed at accept: max_handshakes
  std::atomic<uint64_t> handshakes_timed_out{0};  // no session within handshake_timeout
  std::atomic<uint64_t> auth_failures{0};         // keys not authorized, bad signatures, passwords
  std::atomic<uint64_t> requests_refused{0};      // shells, other subsystems, forwarding...
  std::atomic<uint64_t> sessions{0};              // rpki-rtr subsystems handed to the server
  std::atomic<int64_t> handshaking{0};            // now in kHandshake
  std::atomic<int64_t> open{0};                   // now open, in any state
};

class SshServer {
 public:
  // Takes our end of a bridged rpki-rtr channel: `fd`, the router's address
  // and the user it authenticated as. Called on the SSH thread.
  using Handoff = std::function<void(int fd, const tcp::endpoint& peer, const std::string& user)>;

  static constexpr int kFailureLinesPerMinute = 10;

  SshServer(SshServerOptions options, Handoff handoff);
  ~SshServer();  // Stop()

  // Loads (or makes) the host key, reads the authorized keys, binds, and
  // starts the thread. Logs the host key's fingerprint.
  absl::Status Start();
  // Closes every connection and joins the thread.
  void Stop();
  // Reads the authorized keys file again (SIGHUP); any thread.
  void ReloadKeys();

  std::vector<tcp::endpoint> bound_endpoints() const { return bound_; }
  const std::string& host_key_line() const { return host_key_line_; }  // "ssh-ed25519 AAAA..."
  const std::string& host_key_fingerprint() const { return host_key_fingerprint_; }
  const SshStats& stats() const { return stats_; }

 private:
  struct Connection;
  struct Listener {
    int fd = -1;
    bool failing = false;  // accept() fails (out of descriptors); logged once
    std::chrono::steady_clock::time_point resume;
  };
  void Run();
  void Accept(Listener& listener);
  void Drive(Connection& c, short session_events, short local_events);
  void Bridge(Connection& c);
  void PumpToRouter(Connection& c);
  void PumpToServer(Connection& c);
  void EnterState(Connection& c, int state, const std::string& why);
  void AuthFailure(Connection& c, const std::string& why);
  void Refused(Connection& c, const std::string& what);
  void Free(Connection& c, const std::string& why);
  // libssh callbacks; `userdata` is the Connection.
  static int OnAuthPubkey(ssh_session, const char* user, ssh_key key, char state, void* data);
  static int OnAuthPassword(ssh_session, const char* user, const char* password, void* data);
  static int OnAuthNone(ssh_session, const char* user, void* data);
  static ssh_channel OnChannelOpen(ssh_session, void* data);
  static int OnSubsystem(ssh_session, ssh_channel, const char* subsystem, void* data);
  static int OnShell(ssh_session, ssh_channel, void* data);
  static int OnExec(ssh_session, ssh_channel, const char* command, void* data);
  static int OnPty(ssh_session, ssh_channel, const char* term, int, int, int, int, void* data);
  static int OnEnv(ssh_session, ssh_channel, const char* name, const char* value, void* data);
  static int OnData(ssh_session, ssh_channel, void* bytes, uint32_t len, int is_stderr, void* data);
  static void OnEof(ssh_session, ssh_channel, void* data);
  // Every request no callback above took (port forwarding, other channel
  // types, global requests): logged, counted, refused.
  static int OnOtherMessage(ssh_session, ssh_message message, void* data);
  static void OnClose(ssh_session, ssh_channel, void* data);

  const SshServerOptions options_;
  const Handoff handoff_;
  std::unique_ptr<AuthorizedKeysFile> keys_;
  ssh_bind bind_ = nullptr;
  std::string host_key_line_, host_key_fingerprint_;
  std::vector<Listener> listeners_;
  std::vector<tcp::endpoint> bound_;
  int wake_fd_ = -1;  // an eventfd: Stop() wakes the loop
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  // The SSH thread's own (no lock): connections and the log rate limit.
  std::vector<std::unique_ptr<Connection>> connections_;
  bool handshakes_full_ = false;  // refusing at accept; logged once
  std::chrono::steady_clock::time_point failure_minute_;
  int failure_lines_ = 0;  // logged in the current minute
  uint64_t failures_unlogged_ = 0;
  SshStats stats_;
};

}  // namespace rtr42::ssh

#endif  // RTR42_SSH_SERVER_H_
