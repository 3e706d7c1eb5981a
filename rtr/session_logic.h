// SessionLogic: the cache side of one RTR session, as a state machine over
// bytes. It knows nothing of sockets: the transport feeds it what it reads,
// asks it for the next thing to send, and closes when it says so.
//
// Phases (each transition is logged at debug level):
//
//   kNegotiating --first PDU of a version we serve--> kEstablished
//   kEstablished --data sent (Reset or Serial Query)--> kSynchronized
//   any --Error Report sent that ends the session, or received--> kClosed
//
// It implements RFC 6810 (version 0), RFC 8210 (version 1) and
// draft-ietf-sidrops-8210bis-27 (version 2) as a cache:
//  * the first PDU fixes the version; a higher one than we serve gets
//    Unsupported Protocol Version carrying our highest, and the connection
//    stays open so the router can fall back on it (StayRTR's client does) or
//    reconnect (BIRD, RTRlib); a PDU of another version later gets
//    VersionMismatchCode() (pdu.h) and ends the session (section 7);
//  * Reset Query -> the full set; Serial Query -> the diff from that serial,
//    or Cache Reset when the serial or session id is not in the history
//    (a session id other than the one this connection was already told is
//    Corrupt Data, section 5.1); before any data exists, No Data Available
//    (the session stays up);
//  * a malformed PDU gets the Error Report the RFC names for it, a PDU a
//    router never sends gets Invalid Request, an unknown type Unsupported PDU
//    Type, and the session ends;
//  * an Error Report from the router, well formed or not, of any version and
//    up to 65,535 bytes, is never answered (section 5.8): it is logged with
//    its code and text, and the session ends.
// One PDU is handled per Next() call, so the transport can hold further
// queries back until the previous response is written. Not thread-safe: the
// session's strand owns it.
#ifndef RTR42_RTR_SESSION_LOGIC_H_
#define RTR42_RTR_SESSION_LOGIC_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "rtr/payload.h"

namespace rtr42::rtr {

class SessionLogic {
 public:
  enum class Phase {
    kNegotiating,   // no PDU of a version we serve yet
    kEstablished,   // the version is fixed; the router has no data from us yet
    kSynchronized,  // the router holds our session id and a serial
    kClosed,        // the session ends; further input is ignored
  };
  static const char* PhaseName(Phase phase);

  struct Action {
    Response send;         // may be empty
    bool close = false;    // close once `send` is written
    bool handled = false;  // a PDU was consumed (false: more bytes needed)
    std::string event;     // what happened, for the log; empty for routine queries
    std::optional<ErrorCode> error_sent;
    size_t pdus = 0;  // PDUs in `send`
    enum class Query { kNone, kReset, kSerial, kCacheReset } query = Query::kNone;
  };

  // `max_version` is the highest version offered; `peer` names the session
  // in debug lines.
  explicit SessionLogic(uint8_t max_version = kMaxVersion, std::string peer = "")
      : max_version_(max_version), peer_(std::move(peer)) {}

  // Bytes read from the router.
  void Receive(absl::string_view bytes) { input_.append(bytes.data(), bytes.size()); }
  size_t buffered() const { return input_.size(); }

  // Handles the next whole PDU in the input, answering from `current` (null:
  // no data yet).
  Action Next(const EncodedUpdate* current);

  // Should a Serial Notify for `current` be sent now? True when the router
  // has had data from us (kSynchronized) and `current` is newer than what it
  // was last told of. Call MarkNotified() when it is sent. (The once a
  // minute rule is the transport's: rtr/notify_pacer.h.)
  bool WantsNotify(const EncodedUpdate& current) const;
  void MarkNotified(uint32_t serial) { last_serial_told_ = serial; }

  // The Error Report a cache sends on its own before it closes a session
  // (Cache Restart, Cache Shutdown: 8210bis sections 8.5, 8.6), if the
  // session's version defines `code`; nullopt otherwise (the transport just
  // closes). Enters kClosed.
  std::optional<Buffer> Farewell(ErrorCode code, absl::string_view text);

  Phase phase() const { return phase_; }
  std::optional<uint8_t> version() const { return version_; }

 private:
  // An Error Report of `code` about `pdu`; `ends` closes the session.
  Action ErrorReport(ErrorCode code, absl::string_view pdu, std::string message,
                     uint8_t report_version, bool ends = true);
  // The router's Error Report (or bytes that claim to be one): never
  // answered; the session ends.
  Action RouterErrorReport(std::string description);
  // A PDU whose version we do not serve, while negotiating or after.
  Action UnsupportedVersion(const DecodeError& error, uint8_t pdu_version);
  Action Query(const Pdu& pdu, absl::string_view bytes, const EncodedUpdate* current);
  void EnterPhase(Phase next, absl::string_view why);

  const uint8_t max_version_;
  const std::string peer_;
  Phase phase_ = Phase::kNegotiating;
  std::string input_;
  size_t discard_ = 0;  // bytes still to drop of a PDU of an unsupported version
  std::optional<uint8_t> version_;
  std::optional<uint32_t> last_serial_told_;  // set in kSynchronized
};

}  // namespace rtr42::rtr

#endif  // RTR42_RTR_SESSION_LOGIC_H_
