// The RTR PDU layer: RFC 6810 (version 0), RFC 8210 (version 1) and
// draft-ietf-sidrops-8210bis-27 (version 2, with the ASPA PDU of its section
// 5.12: flags, zero, length, customer ASN, provider ASNs).
//
// Pure functions over bytes, no I/O. Encoders append one PDU to a string.
// FramePdu() finds where the first PDU in a buffer ends and checks its header
// (version, type, length); DecodePdu() parses exactly one PDU with strict
// length and field checks. Both report problems as the Error Report code the
// RFC names for them, so a session can answer with it. Reserved fields are
// written as zero and ignored when read (8210bis section 5).
//
// Sizes: no PDU may exceed kMaxPduSize (65,535 bytes, 8210bis section 5.1)
// and we accept any PDU up to that, in every version. The Error Reports we
// send are cut to kMaxSentErrorReportSize, which BIRD before 2.16 can read.
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
inline constexpr size_t kMaxPduSize = 65535;
inline constexpr size_t kMaxSentErrorReportSize = 848;
// The most providers an ASPA PDU can carry within kMaxPduSize.
inline constexpr size_t kMaxAspaProviders = roa::kMaxAspaProviders;
static_assert(kMaxAspaProviders == (kMaxPduSize - 12) / 4);

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
  kUnexpectedProtocolVersion = 8,  // from version 1 on
  kAspaProviderListError = 9,      // version 2 only, as 10 to 13
  kTransportFailure = 10,
  kOrderingError = 11,
  kCacheRestart = 12,
  kCacheShutdown = 13,
};
inline constexpr uint16_t kHighestErrorCode = 13;

const char* PduTypeName(PduType type);
// "Corrupt Data"; "unknown error code N" for one no version defines.
std::string ErrorCodeName(ErrorCode code);
// True if `code` is defined for sessions of `version` (8210bis section 12:
// an implementation sends only the codes of its session's version).
bool ErrorCodeInVersion(ErrorCode code, uint8_t version);
// Fatal codes end the session (8210bis section 12); 2, 4 and 12 do not.
bool IsFatal(ErrorCode code);

// What a PDU of another version gets once a session's version is fixed
// (RFC 8210 section 7): Unexpected Protocol Version, which version 0 lacks,
// so there Unsupported Protocol Version.
ErrorCode VersionMismatchCode(uint8_t session_version);

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
// Versions 1 and 2 (RFC 8210 section 5.10): flags, zero, length, SKI (20
// bytes), ASN, SPKI.
void AppendRouterKey(std::string* out, uint8_t version, bool announce, const roa::RouterKey& key);
// A withdrawal carries no providers.
void AppendAspa(std::string* out, uint8_t version, bool announce, const roa::Aspa& aspa);
// The erroneous PDU and the text are cut so the whole PDU fits
// kMaxSentErrorReportSize; an erroneous PDU that is itself an Error Report is
// left out (8210bis section 5.8).
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
  // Router Key
  std::string ski;
  uint32_t router_key_asn = 0;
  std::string spki;
  roa::RouterKey router_key() const { return {ski, router_key_asn, spki}; }
};

// Size of the first PDU in `buffer` if all of it is there; 0 if more bytes
// are needed; or the error its header shows (a version above kMaxVersion:
// Unsupported Protocol Version; a type unknown to its version: Unsupported
// PDU Type; a length below 8, above kMaxPduSize or wrong for the type:
// Corrupt Data).
//
// Bytes of an Error Report: whether the erroneous bytes `pdu` (possibly cut)
// are one, which must never be answered with an Error Report.
bool IsErrorReport(absl::string_view pdu);
std::variant<size_t, DecodeError> FramePdu(absl::string_view buffer);

// Decodes exactly one whole PDU (as framed by FramePdu).
std::variant<Pdu, DecodeError> DecodePdu(absl::string_view bytes);

}  // namespace rtr42::rtr

#endif  // RTR42_RTR_PDU_H_
