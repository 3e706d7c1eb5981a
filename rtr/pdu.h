// The RTR PDU layer: RFC 6810 (version 0), RFC 8210 (version 1) and
// draft-ietf-sidrops-8210bis (version 2, with ASPA PDUs in the layout without
// an AFI field: flags, zero, length, customer ASN, provider ASNs).
//
// Pure functions over bytes, no I/O. Encoders append one PDU to a string.
// FramePdu() finds where the first PDU in a buffer ends and checks its header
// (version, type, length); DecodePdu() parses exactly one PDU with strict
// length and field checks. Both report problems as the Error Report code the
// RFC names for them, so a session can answer with it.
//
// Every PDU we build is at most kMaxPduSize bytes (BIRD discards anything
// longer), and we accept nothing longer.
#ifndef RTR42_RTR_PDU_H_
#define RTR42_RTR_PDU_H_

#include <cstdint>
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "roa/vrp.h"

namespace rtr42::rtr {

inline constexpr uint8_t kMaxVersion = 2;
inline constexpr size_t kHeaderSize = 8;
inline constexpr size_t kMaxPduSize = 848;
// An ASPA PDU grows with its providers (at most 65535 of them).
inline constexpr size_t kMaxAspaPduSize = 12 + 4 * 65535;

enum class PduType : uint8_t {
  kSerialNotify = 0,
  kSerialQuery = 1,
  kResetQuery = 2,
  kCacheResponse = 3,
  kIpv4Prefix = 4,
  kIpv6Prefix = 6,
  kEndOfData = 7,
  kCacheReset = 8,
  kRouterKey = 9,  // version 1 only
  kErrorReport = 10,
  kAspa = 11,  // version 2 only
};

enum class ErrorCode : uint16_t {
  kCorruptData = 0,
  kInternalError = 1,
  kNoDataAvailable = 2,
  kInvalidRequest = 3,
  kUnsupportedProtocolVersion = 4,
  kUnsupportedPduType = 5,
  kWithdrawalOfUnknownRecord = 6,
  kDuplicateAnnouncement = 7,
  kUnexpectedProtocolVersion = 8,  // version 1 only
};

const char* PduTypeName(PduType type);
const char* ErrorCodeName(ErrorCode code);

// RFC 8210 section 6 timers, in seconds.
struct Timers {
  uint32_t refresh = 3600;  // 1 .. 86400
  uint32_t retry = 600;     // 1 .. 7200
  uint32_t expire = 7200;   // 600 .. 172800, larger than refresh and retry
  friend bool operator==(const Timers&, const Timers&) = default;
};
absl::Status ValidateTimers(const Timers& timers);

// --- Encoding ---------------------------------------------------------------
void AppendSerialNotify(std::string* out, uint8_t version, uint16_t session_id, uint32_t serial);
void AppendSerialQuery(std::string* out, uint8_t version, uint16_t session_id, uint32_t serial);
void AppendResetQuery(std::string* out, uint8_t version);
void AppendCacheResponse(std::string* out, uint8_t version, uint16_t session_id);
void AppendPrefix(std::string* out, uint8_t version, bool announce, const roa::Vrp& vrp);
// Version 0 has no timers; they are left out there.
void AppendEndOfData(std::string* out, uint8_t version, uint16_t session_id, uint32_t serial,
                     const Timers& timers);
void AppendCacheReset(std::string* out, uint8_t version);
// A withdrawal carries no providers.
void AppendAspa(std::string* out, uint8_t version, bool announce, const roa::Aspa& aspa);
// The erroneous PDU and the text are cut so the whole PDU fits kMaxPduSize.
void AppendErrorReport(std::string* out, uint8_t version, ErrorCode code,
                       absl::string_view erroneous_pdu, absl::string_view text);

// --- Decoding ---------------------------------------------------------------
struct DecodeError {
  ErrorCode code;
  std::string message;
};

struct Pdu {
  uint8_t version = 0;
  PduType type = PduType::kResetQuery;
  uint16_t session_id = 0;  // Serial Notify/Query, Cache Response, End of Data
  uint32_t serial = 0;      // Serial Notify/Query, End of Data
  bool has_timers = false;  // End of Data, version 1
  Timers timers;
  bool announce = false;  // prefix, router key and ASPA PDUs
  roa::Aspa aspa;         // ASPA PDUs
  roa::Vrp vrp;           // prefix PDUs
  // Error Report
  ErrorCode error_code = ErrorCode::kCorruptData;
  std::string encapsulated;
  std::string error_text;
  // Router Key (parsed for completeness; rtr42 serves none)
  std::string ski;
  uint32_t router_key_asn = 0;
  std::string spki;
};

// Size of the first PDU in `buffer` if all of it is there; 0 if more bytes
// are needed; or the error its header shows (a version above kMaxVersion:
// Unsupported Protocol Version; a type unknown to its version: Unsupported
// PDU Type; a length below 8, above kMaxPduSize or wrong for the type:
// Corrupt Data).
std::variant<size_t, DecodeError> FramePdu(absl::string_view buffer);

// Decodes exactly one whole PDU (as framed by FramePdu).
std::variant<Pdu, DecodeError> DecodePdu(absl::string_view bytes);

}  // namespace rtr42::rtr

#endif  // RTR42_RTR_PDU_H_
