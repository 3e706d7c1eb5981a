// SessionLogic: the cache side of one RTR session, as a state machine over
// bytes. It knows nothing of sockets: the transport feeds it what it reads,
// asks it for the next thing to send, and closes when it says so.
//
// It implements RFC 8210 (and RFC 6810 for version 0) as a cache:
//  * the first PDU fixes the version (0 or 1); a higher version gets
//    Unsupported Protocol Version carrying our highest, and the connection
//    stays open so the router can fall back on it (StayRTR's client does) or
//    reconnect (BIRD, RTRlib); a PDU of another version later gets Unexpected Protocol
//    Version (Unsupported Protocol Version in a version 0 session, which has
//    no such code);
//  * Reset Query -> the full set; Serial Query -> the diff from that serial,
//    or Cache Reset when the serial or session id is not in the history
//    (a session id other than the one this connection was already told is
//    Corrupt Data); before any data exists, No Data Available (the session
//    stays up);
//  * a malformed PDU gets the Error Report the RFC names for it, a PDU a
//    router never sends gets Invalid Request, an unknown type Unsupported PDU
//    Type, and the session ends; an Error Report from the router ends the
//    session without reply.
// One PDU is handled per Next() call, so the transport can hold further
// queries back until the previous response is written.
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
  struct Action {
    Response send;         // may be empty
    bool close = false;    // close once `send` is written
    bool handled = false;  // a PDU was consumed (false: more bytes needed)
    std::string event;     // what happened, for the log; empty for routine queries
    std::optional<ErrorCode> error_sent;
    size_t pdus = 0;  // PDUs in `send`
    enum class Query { kNone, kReset, kSerial, kCacheReset } query = Query::kNone;
  };

  // `max_version` is the highest version offered (kMaxVersion normally).
  explicit SessionLogic(uint8_t max_version = kMaxVersion) : max_version_(max_version) {}

  // Bytes read from the router.
  void Receive(absl::string_view bytes) { input_.append(bytes.data(), bytes.size()); }
  size_t buffered() const { return input_.size(); }

  // Handles the next whole PDU in the input, answering from `current` (null:
  // no data yet).
  Action Next(const EncodedUpdate* current);

  // Should a Serial Notify for `current` be sent now? True when the version
  // is known, the router has had data from us, and `current` is newer than
  // what it was last told of. Call MarkNotified() when it is sent.
  bool WantsNotify(const EncodedUpdate& current) const;
  void MarkNotified(uint32_t serial) { last_serial_told_ = serial; }

  std::optional<uint8_t> version() const { return version_; }

 private:
  Action Fail(ErrorCode code, absl::string_view pdu, std::string message, uint8_t version);

  uint8_t max_version_;
  std::string input_;
  size_t discard_ = 0;  // bytes still to drop of a PDU of an unsupported version
  std::optional<uint8_t> version_;
  bool told_session_id_ = false;
  std::optional<uint32_t> last_serial_told_;
};

}  // namespace rtr42::rtr

#endif  // RTR42_RTR_SESSION_LOGIC_H_
