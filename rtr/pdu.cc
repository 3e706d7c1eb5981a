#include "rtr/pdu.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace rtr42::rtr {
namespace {

void Put8(std::string* out, uint8_t v) { out->push_back(static_cast<char>(v)); }
void Put16(std::string* out, uint16_t v) {
  Put8(out, static_cast<uint8_t>(v >> 8));
  Put8(out, static_cast<uint8_t>(v));
}
void Put32(std::string* out, uint32_t v) {
  Put16(out, static_cast<uint16_t>(v >> 16));
  Put16(out, static_cast<uint16_t>(v));
}
void Header(std::string* out, uint8_t version, PduType type, uint16_t field, uint32_t length) {
  Put8(out, version);
  Put8(out, static_cast<uint8_t>(type));
  Put16(out, field);
  Put32(out, length);
}
uint16_t Get16(const char* p) {
  return static_cast<uint16_t>((uint8_t(p[0]) << 8) | uint8_t(p[1]));
}
uint32_t Get32(const char* p) {
  return (uint32_t(uint8_t(p[0])) << 24) | (uint32_t(uint8_t(p[1])) << 16) |
         (uint32_t(uint8_t(p[2])) << 8) | uint32_t(uint8_t(p[3]));
}

// The exact length of a fixed-size PDU type, 0 for variable-size ones, or -1
// for a type this version does not have.
int FixedLength(uint8_t version, uint8_t type) {
  switch (static_cast<PduType>(type)) {
    case PduType::kSerialNotify:
    case PduType::kSerialQuery:
      return 12;
    case PduType::kResetQuery:
    case PduType::kCacheResponse:
    case PduType::kCacheReset:
      return 8;
    case PduType::kIpv4Prefix:
      return 20;
    case PduType::kIpv6Prefix:
      return 32;
    case PduType::kEndOfData:
      return version == 0 ? 12 : 24;
    case PduType::kRouterKey:
      return version == 0 ? -1 : 0;
    case PduType::kErrorReport:
      return 0;
    case PduType::kAspa:
      return version < 2 ? -1 : 0;
  }
  return -1;
}

DecodeError Corrupt(std::string message) {
  return DecodeError{ErrorCode::kCorruptData, std::move(message)};
}

}  // namespace

const char* PduTypeName(PduType type) {
  switch (type) {
    case PduType::kSerialNotify:
      return "Serial Notify";
    case PduType::kSerialQuery:
      return "Serial Query";
    case PduType::kResetQuery:
      return "Reset Query";
    case PduType::kCacheResponse:
      return "Cache Response";
    case PduType::kIpv4Prefix:
      return "IPv4 Prefix";
    case PduType::kIpv6Prefix:
      return "IPv6 Prefix";
    case PduType::kEndOfData:
      return "End of Data";
    case PduType::kCacheReset:
      return "Cache Reset";
    case PduType::kRouterKey:
      return "Router Key";
    case PduType::kErrorReport:
      return "Error Report";
    case PduType::kAspa:
      return "ASPA";
  }
  return "unknown PDU";
}

std::string ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kCorruptData:
      return "Corrupt Data";
    case ErrorCode::kInternalError:
      return "Internal Error";
    case ErrorCode::kNoDataAvailable:
      return "No Data Available";
    case ErrorCode::kInvalidRequest:
      return "Invalid Request";
    case ErrorCode::kUnsupportedProtocolVersion:
      return "Unsupported Protocol Version";
    case ErrorCode::kUnsupportedPduType:
      return "Unsupported PDU Type";
    case ErrorCode::kWithdrawalOfUnknownRecord:
      return "Withdrawal of Unknown Record";
    case ErrorCode::kDuplicateAnnouncement:
      return "Duplicate Announcement Received";
    case ErrorCode::kUnexpectedProtocolVersion:
      return "Unexpected Protocol Version";
    case ErrorCode::kAspaProviderListError:
      return "ASPA Provider List Error";
    case ErrorCode::kTransportFailure:
      return "Transport Failure";
    case ErrorCode::kOrderingError:
      return "Ordering Error";
    case ErrorCode::kCacheRestart:
      return "Cache Restart";
    case ErrorCode::kCacheShutdown:
      return "Cache Shutdown";
  }
  return absl::StrCat("unknown error code ", static_cast<uint16_t>(code));
}

bool ErrorCodeInVersion(ErrorCode code, uint8_t version) {
  uint16_t c = static_cast<uint16_t>(code);
  switch (version) {
    case 0:
      return c <= static_cast<uint16_t>(ErrorCode::kDuplicateAnnouncement);
    case 1:
      return c <= static_cast<uint16_t>(ErrorCode::kUnexpectedProtocolVersion);
    default:
      return c <= kHighestErrorCode;
  }
}

bool IsFatal(ErrorCode code) {
  return code != ErrorCode::kNoDataAvailable && code != ErrorCode::kUnsupportedProtocolVersion &&
         code != ErrorCode::kCacheRestart;
}

ErrorCode VersionMismatchCode(uint8_t session_version) {
  return session_version == 0 ? ErrorCode::kUnsupportedProtocolVersion
                              : ErrorCode::kUnexpectedProtocolVersion;
}

bool IsErrorReport(absl::string_view pdu) {
  return pdu.size() >= 2 && uint8_t(pdu[1]) == uint8_t(PduType::kErrorReport);
}

absl::Status ValidateTimers(const Timers& t) {
  if (t.refresh < 1 || t.refresh > 86400) {
    return absl::InvalidArgumentError(absl::StrCat("refresh ", t.refresh, " is outside 1..86400"));
  }
  if (t.retry < 1 || t.retry > 7200) {
    return absl::InvalidArgumentError(absl::StrCat("retry ", t.retry, " is outside 1..7200"));
  }
  if (t.expire < 600 || t.expire > 172800) {
    return absl::InvalidArgumentError(absl::StrCat("expire ", t.expire, " is outside 600..172800"));
  }
  if (t.expire <= t.refresh || t.expire <= t.retry) {
    return absl::InvalidArgumentError("expire must be larger than refresh and retry");
  }
  return absl::OkStatus();
}

void AppendSerialNotify(std::string* out, uint8_t version, uint16_t session_id, uint32_t serial) {
  Header(out, version, PduType::kSerialNotify, session_id, 12);
  Put32(out, serial);
}

void AppendSerialQuery(std::string* out, uint8_t version, uint16_t session_id, uint32_t serial) {
  Header(out, version, PduType::kSerialQuery, session_id, 12);
  Put32(out, serial);
}

void AppendResetQuery(std::string* out, uint8_t version) {
  Header(out, version, PduType::kResetQuery, 0, 8);
}

void AppendCacheResponse(std::string* out, uint8_t version, uint16_t session_id) {
  Header(out, version, PduType::kCacheResponse, session_id, 8);
}

void AppendPrefix(std::string* out, uint8_t version, bool announce, const roa::Vrp& vrp) {
  const bool v4 = vrp.prefix.is_ipv4();
  Header(out, version, v4 ? PduType::kIpv4Prefix : PduType::kIpv6Prefix, 0, v4 ? 20 : 32);
  Put8(out, announce ? 1 : 0);
  Put8(out, vrp.prefix.length());
  Put8(out, vrp.max_length);
  Put8(out, 0);
  out->append(reinterpret_cast<const char*>(vrp.prefix.bytes().data()), v4 ? 4 : 16);
  Put32(out, vrp.asn);
}

void AppendEndOfData(std::string* out, uint8_t version, uint16_t session_id, uint32_t serial,
                     const Timers& timers) {
  Header(out, version, PduType::kEndOfData, session_id, version == 0 ? 12 : 24);
  Put32(out, serial);
  if (version > 0) {
    Put32(out, timers.refresh);
    Put32(out, timers.retry);
    Put32(out, timers.expire);
  }
}

void AppendCacheReset(std::string* out, uint8_t version) {
  Header(out, version, PduType::kCacheReset, 0, 8);
}

void AppendRouterKey(std::string* out, uint8_t version, bool announce, const roa::RouterKey& key) {
  Put8(out, version);
  Put8(out, static_cast<uint8_t>(PduType::kRouterKey));
  Put8(out, announce ? 1 : 0);
  Put8(out, 0);
  Put32(out, static_cast<uint32_t>(kHeaderSize + roa::kSkiSize + 4 + key.spki.size()));
  out->append(key.ski.data(), key.ski.size());
  Put32(out, key.asn);
  out->append(key.spki);
}

void AppendAspa(std::string* out, uint8_t version, bool announce, const roa::Aspa& aspa) {
  // VrpSet drops any record with more than kMaxAspaProviders providers, so
  // nothing is ever cut here.
  size_t providers = announce ? std::min(aspa.providers.size(), kMaxAspaProviders) : 0;
  Put8(out, version);
  Put8(out, static_cast<uint8_t>(PduType::kAspa));
  Put8(out, announce ? 1 : 0);
  Put8(out, 0);
  Put32(out, static_cast<uint32_t>(12 + 4 * providers));
  Put32(out, aspa.customer);
  for (size_t i = 0; i < providers; ++i) Put32(out, aspa.providers[i]);
}

void AppendErrorReport(std::string* out, uint8_t version, ErrorCode code,
                       absl::string_view erroneous_pdu, absl::string_view text) {
  constexpr size_t kFixed = kHeaderSize + 4 + 4;
  if (IsErrorReport(erroneous_pdu)) erroneous_pdu = {};
  erroneous_pdu = erroneous_pdu.substr(0, kMaxSentErrorReportSize - kFixed);
  text = text.substr(0, kMaxSentErrorReportSize - kFixed - erroneous_pdu.size());
  Header(out, version, PduType::kErrorReport, static_cast<uint16_t>(code),
         static_cast<uint32_t>(kFixed + erroneous_pdu.size() + text.size()));
  Put32(out, static_cast<uint32_t>(erroneous_pdu.size()));
  out->append(erroneous_pdu.data(), erroneous_pdu.size());
  Put32(out, static_cast<uint32_t>(text.size()));
  out->append(text.data(), text.size());
}

std::variant<size_t, DecodeError> FramePdu(absl::string_view buffer) {
  if (buffer.size() < kHeaderSize) return size_t{0};
  uint8_t version = uint8_t(buffer[0]);
  uint8_t type = uint8_t(buffer[1]);
  uint32_t length = Get32(buffer.data() + 4);
  if (version > kMaxVersion) {
    return DecodeError{ErrorCode::kUnsupportedProtocolVersion,
                       absl::StrCat("protocol version ", version,
                                    " is not supported (highest: ", kMaxVersion, ")")};
  }
  int fixed = FixedLength(version, type);
  if (fixed < 0) {
    return DecodeError{
        ErrorCode::kUnsupportedPduType,
        absl::StrCat("PDU type ", type, " is not part of protocol version ", version)};
  }
  if (length < kHeaderSize || length > kMaxPduSize) {
    return Corrupt(absl::StrCat(PduTypeName(PduType(type)), " with length ", length));
  }
  if (fixed > 0 && length != static_cast<uint32_t>(fixed)) {
    return Corrupt(absl::StrCat(PduTypeName(PduType(type)), " with length ", length, " (must be ",
                                fixed, ")"));
  }
  if (buffer.size() < length) return size_t{0};
  return size_t{length};
}

std::variant<Pdu, DecodeError> DecodePdu(absl::string_view bytes) {
  std::variant<size_t, DecodeError> framed = FramePdu(bytes);
  if (auto* e = std::get_if<DecodeError>(&framed)) return *e;
  if (std::get<size_t>(framed) != bytes.size())
    return Corrupt("PDU length does not match its bytes");
  const char* p = bytes.data();
  Pdu pdu;
  pdu.version = uint8_t(p[0]);
  pdu.type = PduType(uint8_t(p[1]));
  uint16_t field = Get16(p + 2);
  switch (pdu.type) {
    case PduType::kSerialNotify:
    case PduType::kSerialQuery:
      pdu.session_id = field;
      pdu.serial = Get32(p + 8);
      break;
    case PduType::kResetQuery:
    case PduType::kCacheReset:
      break;
    case PduType::kCacheResponse:
      pdu.session_id = field;
      break;
    case PduType::kEndOfData:
      pdu.session_id = field;
      pdu.serial = Get32(p + 8);
      if (pdu.version > 0) {
        pdu.has_timers = true;
        pdu.timers = Timers{Get32(p + 12), Get32(p + 16), Get32(p + 20)};
      }
      break;
    case PduType::kIpv4Prefix:
    case PduType::kIpv6Prefix: {
      pdu.announce = uint8_t(p[8]) & 1;  // the other flag bits are reserved
      roa::Family family =
          pdu.type == PduType::kIpv4Prefix ? roa::Family::kIpv4 : roa::Family::kIpv6;
      uint8_t length = uint8_t(p[9]), max_length = uint8_t(p[10]);
      absl::StatusOr<roa::Prefix> prefix =
          roa::Prefix::FromBytes(family, reinterpret_cast<const uint8_t*>(p + 12), length);
      if (!prefix.ok()) return Corrupt(std::string(prefix.status().message()));
      if (max_length < length || max_length > roa::MaxLength(family)) {
        return Corrupt(
            absl::StrCat("max length ", max_length, " does not fit ", prefix->ToString()));
      }
      pdu.vrp = roa::Vrp{*prefix, max_length, Get32(p + (family == roa::Family::kIpv4 ? 16 : 28))};
      break;
    }
    case PduType::kRouterKey: {
      if (bytes.size() < kHeaderSize + 20 + 4) return Corrupt("Router Key PDU too short");
      pdu.announce = uint8_t(p[2]) & 1;
      pdu.ski.assign(p + 8, 20);
      pdu.router_key_asn = Get32(p + 28);
      pdu.spki.assign(p + 32, bytes.size() - 32);
      break;
    }
    case PduType::kAspa: {
      if (bytes.size() < 12 || (bytes.size() - 12) % 4 != 0)
        return Corrupt("ASPA PDU with a bad length");
      pdu.announce = uint8_t(p[2]) & 1;
      pdu.aspa.customer = Get32(p + 8);
      for (size_t pos = 12; pos < bytes.size(); pos += 4) {
        pdu.aspa.providers.push_back(Get32(p + pos));
      }
      // The provider rules of 8210bis section 5.12 are the receiver's to
      // check (CheckAspaProviders): they have a code of their own.
      break;
    }
    case PduType::kErrorReport: {
      pdu.error_code = ErrorCode(field);
      size_t pos = kHeaderSize;
      if (bytes.size() < pos + 4) return Corrupt("Error Report too short");
      uint32_t pdu_len = Get32(p + pos);
      pos += 4;
      if (pdu_len > bytes.size() - pos || bytes.size() - pos - pdu_len < 4) {
        return Corrupt("Error Report with a bad encapsulated PDU length");
      }
      pdu.encapsulated.assign(p + pos, pdu_len);
      pos += pdu_len;
      uint32_t text_len = Get32(p + pos);
      pos += 4;
      if (text_len != bytes.size() - pos) return Corrupt("Error Report with a bad text length");
      pdu.error_text.assign(p + pos, text_len);
      break;
    }
  }
  return pdu;
}

}  // namespace rtr42::rtr
