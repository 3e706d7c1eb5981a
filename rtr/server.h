// Server: the RTR cache server over TCP (Boost.Asio).
//
// Acceptors on several addresses; one Session per connection, each on its
// own strand, so a small fixed pool of threads serves every router; a
// connection limit that is enforced at accept. Publish() hands a new Update
// to every session (Serial Notify fan-out). Sessions answer queries with
// gather-writes of the shared EncodedUpdate buffers and read no further query
// until the previous answer is written.
//
// Limits, each logged when it closes a session and counted by reason:
//   write_stall_timeout  a write made no progress (a router stopped reading)
//   max_queued_bytes     unwritten output of one session
//   max_input_bytes      unread input buffered (reading pauses; not a close)
//   first_query_timeout  a connection that sends no PDU at all
//   idle_timeout         a session that sends nothing for this long
//   TCP keepalive        reaps peers that vanished without a FIN or RST
// A slow session only ever waits on its own socket, never holds a lock or a
// thread, so it cannot stall others.
#ifndef RTR42_RTR_SERVER_H_
#define RTR42_RTR_SERVER_H_

#include <array>
#include <atomic>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "rtr/asio.h"
#include "rtr/history.h"
#include "rtr/payload.h"
#include "rtr/tcp_md5.h"

namespace rtr42::rtr {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// "127.0.0.1:8282", "[::1]:8282", ":8282" (all IPv6 and IPv4 addresses).
absl::StatusOr<tcp::endpoint> ParseListenAddress(const std::string& text);
// "192.0.2.1:323", "[2001:db8::1]:323": how logs name a peer.
std::string EndpointName(const tcp::endpoint& endpoint);
// TCP keepalive on a connected socket: probes every 10 s after `idle` of
// silence, and 6 unanswered ones end the connection (zero `idle`: off).
// Every transport's TCP socket gets it, so a vanished router is reaped.
void SetTcpKeepalive(int fd, absl::Duration idle);

struct ServerOptions {
  std::vector<tcp::endpoint> listen;
  // RTR over TLS (RFC 8210 section 9.2; port 324 by convention).
  std::vector<tcp::endpoint> tls_listen;
  std::string tls_cert;  // PEM certificate chain
  std::string tls_key;   // PEM private key
  // PEM CA(s) for client certificates. Set: every TLS client must present a
  // certificate from them whose iPAddress subjectAltName is the address it
  // connects from (RFC 8210 section 9.2); empty: TLS clients are not
  // authenticated (logged at start).
  std::string tls_client_ca;
  // TCP-MD5 keys (RFC 2385) by router address or prefix, on every listener.
  std::vector<Md5Peer> md5_peers;
  // False: an address that cannot be bound is a warning while another one
  // works (rtr42d's defaults include [::1], which a host may lack).
  bool require_every_listener = true;
  size_t max_connections = 4096;
  // Sessions from one address at once (a router needs one or two).
  size_t max_connections_per_address = 64;
  // TLS handshakes under way at once (each holds ~90 KB): more are refused,
  // and each must finish within tls_handshake_timeout.
  size_t max_tls_handshakes = 256;
  absl::Duration tls_handshake_timeout = absl::Seconds(10);
  // After accept() fails (out of descriptors: EMFILE), accepting pauses this
  // long instead of spinning; logged once per episode.
  absl::Duration accept_retry = absl::Milliseconds(100);
  uint8_t max_version = kMaxVersion;  // the highest RTR version offered
  Timers timers;
  absl::Duration write_stall_timeout = absl::Seconds(60);
  // At most one Serial Notify per session this often (RFC 8210 section 8.2:
  // a minute; shorter only in tests).
  absl::Duration notify_interval = absl::Minutes(1);
  size_t max_queued_bytes = 256 << 20;
  size_t max_input_bytes = 64 << 10;
  absl::Duration first_query_timeout = absl::Seconds(60);
  absl::Duration idle_timeout = absl::Hours(4);  // InfiniteDuration(): none
  // TCP keepalive probes after this much silence (zero: off).
  absl::Duration keepalive_idle = absl::Seconds(60);
};

// How a router reached us. SSH sessions come from ssh/server.h through
// AdoptSsh(), which terminates SSH and hands over the rpki-rtr channel.
enum class Transport { kTcp, kTls, kSsh, kCount };
const char* TransportName(Transport transport);

// Why the server ended a session on its own.
enum class CloseReason { kSlowReader, kBacklog, kNoQuery, kIdle, kCount };
const char* CloseReasonName(CloseReason reason);

// Counters, readable from any thread.
struct ServerStats {
  std::atomic<uint64_t> sessions_opened{0};
  std::atomic<uint64_t> connections_refused{0};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(CloseReason::kCount)> closed_by_limit{};
  std::atomic<uint64_t> reset_queries{0};
  std::atomic<uint64_t> serial_queries{0};
  std::atomic<uint64_t> cache_resets{0};
  std::atomic<uint64_t> error_reports_sent{0};
  std::atomic<uint64_t> notifies_sent{0};
  std::atomic<uint64_t> bytes_sent{0};
  std::atomic<uint64_t> pdus_sent{0};
  std::array<std::atomic<uint64_t>, 16> error_reports_by_code{};            // by ErrorCode
  std::array<std::atomic<int64_t>, kMaxVersion + 1> sessions_by_version{};  // live, negotiated
  // Live sessions and sessions opened, by Transport.
  std::array<std::atomic<int64_t>, static_cast<size_t>(Transport::kCount)> sessions_by_transport{};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(Transport::kCount)> opened_by_transport{};
  // Serial Notify fan-out of the newest serial: from Publish() until the last
  // session's notify was written.
  std::atomic<int64_t> publish_time_ns{0};
  std::atomic<uint32_t> publish_serial{0};
  std::atomic<int64_t> notify_fanout_ns{0};
};

// A live session as the status page shows it (Server::Sessions()).
struct SessionInfo {
  uint64_t id = 0;
  std::string peer;  // "192.0.2.1:40000"
  Transport transport = Transport::kTcp;
  std::optional<uint8_t> version;  // negotiated; none before the first query
  std::optional<uint32_t> serial;  // what the last Reset or Serial Query was answered with
  absl::Time connected;
  uint64_t bytes_sent = 0;
  uint64_t queries = 0;
  absl::Time last_query = absl::InfinitePast();
  const char* last_query_kind = "";  // "Reset Query", "Serial Query", "Cache Reset"
};

class Session;
template <typename Stream>
class StreamSession;
using TlsStream = asio::ssl::stream<tcp::socket>;
// One end of a socket pair whose other end an SSH channel is bridged to.
using LocalStream = asio::local::stream_protocol::socket;

class Server {
 public:
  Server(asio::io_context& io, ServerOptions options);
  ~Server();

  // Binds and starts accepting on every listen address.
  absl::Status Start();
  // Stops accepting and closes every session. With `farewell`, version 2
  // sessions are first sent that Error Report (Cache Restart or Cache
  // Shutdown, draft-ietf-sidrops-8210bis-27 sections 8.5 and 8.6) with
  // `text`; session_count() reaches 0 when they are written.
  void Stop(std::optional<ErrorCode> farewell = std::nullopt, std::string text = "");

  // Makes `update` current and notifies every session (null: nothing to do).
  // Thread-safe.
  void Publish(std::shared_ptr<const rtr::Update> update);

  // Any thread: a session over `fd`, a stream socket whose other end carries
  // the rpki-rtr subsystem of an SSH connection from `peer` authenticated as
  // `user` (RFC 8210 section 9.1). The server owns `fd` from now on; the
  // connection limits apply as to TCP (refused: `fd` is closed).
  void AdoptSsh(int fd, const tcp::endpoint& peer, const std::string& user);

  std::shared_ptr<const EncodedUpdate> current() const;
  std::vector<tcp::endpoint> bound_endpoints() const;
  size_t session_count() const;
  // Every live session, by id (the order they connected in). Any thread.
  std::vector<SessionInfo> Sessions() const;
  const ServerStats& stats() const { return stats_; }
  const ServerOptions& options() const { return options_; }

 private:
  template <typename Stream>
  friend class StreamSession;
  struct Listener {
    std::unique_ptr<tcp::acceptor> acceptor;
    bool tls = false;
    std::unique_ptr<asio::steady_timer> retry;  // the pause after a failed accept()
    bool failing = false;                       // accept() fails; logged once
    uint64_t failures = 0;
  };
  absl::Status Bind(const tcp::endpoint& endpoint, bool tls);
  void Accept(size_t index);
  void OnAccept(size_t index, const boost::system::error_code& ec, tcp::socket socket);
  // Handshake (bounded in time), then a session like any other.
  void StartTls(tcp::socket socket);
  void OnTlsHandshake(const std::shared_ptr<TlsStream>& tls, const tcp::endpoint& peer,
                      const boost::system::error_code& ec);
  // Registers and starts a session for an accepted connection from
  // `address`, named `peer` in the log, or refuses it.
  template <typename Stream>
  void Admit(Stream stream, const asio::ip::address& address, const std::string& peer,
             Transport transport);
  void Remove(uint64_t id);
  ServerStats& mutable_stats() { return stats_; }

  asio::io_context& io_;
  ServerOptions options_;
  std::vector<Listener> listeners_;
  std::unique_ptr<asio::ssl::context> tls_context_;
  mutable absl::Mutex mutex_;
  std::shared_ptr<const EncodedUpdate> current_ ABSL_GUARDED_BY(mutex_);
  std::map<uint64_t, std::shared_ptr<Session>> sessions_ ABSL_GUARDED_BY(mutex_);
  std::map<uint64_t, asio::ip::address> session_address_ ABSL_GUARDED_BY(mutex_);
  std::map<asio::ip::address, size_t> per_address_ ABSL_GUARDED_BY(mutex_);
  bool per_address_warned_ ABSL_GUARDED_BY(mutex_) = false;  // logged once per episode
  uint64_t next_id_ ABSL_GUARDED_BY(mutex_) = 1;
  bool stopped_ ABSL_GUARDED_BY(mutex_) = false;
  bool at_limit_ ABSL_GUARDED_BY(mutex_) = false;          // refusing connections now
  uint64_t refused_at_limit_ ABSL_GUARDED_BY(mutex_) = 0;  // refused since the limit was reached
  std::atomic<size_t> tls_handshakes_{0};                  // under way
  std::atomic<bool> tls_handshakes_full_{false};           // refusing; logged once
  ServerStats stats_;
};

}  // namespace rtr42::rtr

#endif  // RTR42_RTR_SERVER_H_
