// RtrClient: the router side of RTR, for rtr-dump and the tests.
//
// A blocking client over one TCP (or TLS) connection, or over a stream
// another transport made (Options::dial: RTR over SSH, ssh/tunnel.h). It keeps what a router
// keeps — session id, serial, the VRP set — and checks the cache's stream the
// way strict routers do: a duplicate announcement, a withdrawal of an unknown
// record, a PDU of the wrong version or type, or a PDU out of place is an
// error (and the client sends the matching Error Report before giving up).
// In version 2 sessions it also checks draft-ietf-sidrops-8210bis-27: the
// payload order of section 11.2 (Ordering Error, 11) and the ASPA provider
// rules of section 5.12 (ASPA Provider List Error, 9). ASPA records are kept
// per customer: an announcement replaces the customer's record, a withdrawal
// of a customer not held is an error.
//
// States (each change logged at debug level):
//   kIdle --query sent--> kQuerying --Cache Response--> kReceiving
//   kReceiving --End of Data--> kIdle;  kQuerying --Cache Reset--> kIdle
//   any --Error Report sent or received, connection lost--> kFailed
// (an Unsupported Protocol Version while kQuerying reconnects at the
// version the Error Report has, and queries again; a version 2 query that
// the cache closes the connection on before its first PDU is tried once
// more at version 1: StayRTR 0.6 closes on a version it lacks, racing its
// own Error Report, which then arrives or not. A cache refusing the
// connection at its limit looks the same, and is asked twice. Only with
// Options::retry_v1_on_silent_close).
#ifndef RTR42_RTR_CLIENT_H_
#define RTR42_RTR_CLIENT_H_

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ssl.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "rtr/asio.h"
#include "rtr/pdu.h"

namespace rtr42::rtr {

class RtrClient {
 public:
  struct Options {
    std::string host;
    std::string port;
    uint8_t version = kMaxVersion;
    // Fall back to the version a cache names in Unsupported Protocol Version.
    bool negotiate = true;
    // With `negotiate`: a version 2 query the cache closes the first
    // connection on unanswered is tried once more at version 1 (for
    // CacheFollower, which would otherwise wait out its back-off; off for
    // rtr-dump, which makes one connection per refusal).
    bool retry_v1_on_silent_close = false;
    absl::Duration timeout = absl::Seconds(30);
    // RTR over TLS (RFC 8210 section 9.2): the certificate is checked against
    // `tls_ca` (or the system's CAs) and `host`, unless `tls_insecure`.
    bool tls = false;
    std::string tls_ca;
    bool tls_insecure = false;
    // A client certificate and key to present (PEM), for caches that ask.
    std::string tls_cert;
    std::string tls_key;
    // TCP-MD5 (RFC 2385) key for the connection, if any.
    std::string md5_key;
    // Set: called instead of connecting to host:port (at Connect and at
    // each version fallback), it returns a connected stream socket the
    // client then owns, and what must live while the socket is used (an
    // SSH tunnel's thread).
    struct Dialed {
      int fd = -1;
      std::shared_ptr<void> keep;
    };
    std::function<absl::StatusOr<Dialed>()> dial;
    // Check the section 11.2 order in version 2 sessions (caches written
    // before it, such as StayRTR 0.5, send another order).
    bool check_order = true;
  };
  // What one query brought.
  struct SyncResult {
    bool reset = false;  // the cache answered Cache Reset (the client then resets)
    size_t announced = 0;
    size_t withdrawn = 0;
    roa::VrpDiff diff;  // of this sync, when `record_diff` is set
  };

  static absl::StatusOr<std::unique_ptr<RtrClient>> Connect(const Options& options);
  ~RtrClient();

  // Reset Query: replaces the set with the cache's full set.
  absl::StatusOr<SyncResult> Reset(bool record_diff = false);
  // Serial Query from the current serial; on Cache Reset does a Reset Query.
  absl::StatusOr<SyncResult> Refresh(bool record_diff = false);
  // Waits up to `timeout` for a Serial Notify; true if one came.
  absl::StatusOr<bool> WaitForNotify(absl::Duration timeout);

  enum class State { kIdle, kQuerying, kReceiving, kFailed };
  static const char* StateName(State state);
  State state() const { return state_; }

  uint8_t version() const { return version_; }
  uint16_t session_id() const { return session_id_; }
  uint32_t serial() const { return serial_; }
  const std::optional<Timers>& timers() const { return timers_; }
  // The prefixes, Router Keys (from version 1 on) and ASPA records (from
  // version 2 on) held.
  roa::VrpSet set() const;
  size_t size() const { return vrps_.size(); }
  size_t aspa_count() const { return aspas_.size(); }
  size_t router_key_count() const { return keys_.size(); }

  // Low level, for wire tests.
  absl::Status SendBytes(const std::string& bytes);
  // The next PDU; a connection closed by the cache is kUnavailable.
  absl::StatusOr<Pdu> ReadPdu(absl::Duration timeout);

 private:
  // What one response has brought so far.
  struct Transfer {
    bool reset = false;
    bool record_diff = false;
    SyncResult result;
    // A Reset Query's answer replaces the set at End of Data; a Serial
    // Query's applies to it as it comes.
    absl::btree_set<roa::Vrp> vrps;
    absl::btree_map<uint32_t, std::vector<uint32_t>> aspas;
    absl::btree_set<roa::RouterKey> keys;
    std::optional<Pdu> last_payload;  // for the section 11.2 order
  };
  // nullopt: the response goes on; otherwise how it ended.
  using Step = std::optional<absl::StatusOr<SyncResult>>;

  explicit RtrClient(const Options& options);
  absl::Status Open();
  absl::StatusOr<SyncResult> Query(bool reset, bool record_diff);
  Step OnPdu(const Pdu& pdu);
  Step OnErrorReport(const Pdu& pdu);
  Step OnCacheResponse(const Pdu& pdu);
  Step OnCacheReset();
  Step OnPayload(const Pdu& pdu);
  absl::Status ApplyPrefix(const Pdu& pdu);
  absl::Status ApplyAspa(const Pdu& pdu);
  absl::Status ApplyRouterKey(const Pdu& pdu);
  Step OnEndOfData(const Pdu& pdu);
  absl::Status Reject(ErrorCode code, const std::string& pdu, const std::string& message);
  void EnterState(State next, const std::string& why);
  // The cache closed the first connection unheard: one version lower?
  bool FallBackAfterSilentClose(const absl::Status& read);

  Options options_;
  uint8_t version_;
  // A PDU has come from the cache: the version is settled, and a closed
  // connection is no longer a sign of one it lacks.
  bool heard_from_cache_ = false;
  State state_ = State::kIdle;
  Transfer transfer_;
  boost::asio::io_context io_;
  using Socket = boost::asio::generic::stream_protocol::socket;
  std::shared_ptr<void> dialed_;  // declared first: destroyed after the socket
  std::unique_ptr<Socket> socket_;
  std::unique_ptr<boost::asio::ssl::context> tls_context_;
  std::unique_ptr<boost::asio::ssl::stream<Socket&>> tls_;
  // Transport-neutral reads and writes.
  size_t ReadSome(char* data, size_t size, boost::system::error_code& ec);
  std::string buffer_;
  std::string last_pdu_bytes_;
  bool have_session_ = false;
  uint16_t session_id_ = 0;
  uint32_t serial_ = 0;
  std::optional<Timers> timers_;
  absl::btree_set<roa::Vrp> vrps_;
  // Customer ASN to its providers (version 2).
  absl::btree_map<uint32_t, std::vector<uint32_t>> aspas_;
  absl::btree_set<roa::RouterKey> keys_;  // versions 1 and 2
};

// Splits "host:port" / "[v6]:port".
absl::Status SplitHostPort(const std::string& text, std::string* host, std::string* port);

}  // namespace rtr42::rtr

#endif  // RTR42_RTR_CLIENT_H_
