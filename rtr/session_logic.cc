#include "rtr/session_logic.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/log.h"

namespace rtr42::rtr {
namespace {

uint32_t ClaimedLength(absl::string_view input) {
  if (input.size() < kHeaderSize) return 0;
  return uint32_t(uint8_t(input[4])) << 24 | uint32_t(uint8_t(input[5])) << 16 |
         uint32_t(uint8_t(input[6])) << 8 | uint32_t(uint8_t(input[7]));
}

std::string CodeText(ErrorCode code) {
  return absl::StrCat(static_cast<uint16_t>(code), " (", ErrorCodeName(code), ")");
}

}  // namespace

const char* SessionLogic::PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kNegotiating:
      return "negotiating";
    case Phase::kEstablished:
      return "established";
    case Phase::kSynchronized:
      return "synchronized";
    case Phase::kClosed:
      return "closed";
  }
  return "?";
}

void SessionLogic::EnterPhase(Phase next, absl::string_view why) {
  if (next == phase_) return;
  RTR42_LOG_DEBUG("session %s: %s -> %s: %s", peer_, PhaseName(phase_), PhaseName(next), why);
  phase_ = next;
}

SessionLogic::Action SessionLogic::ErrorReport(ErrorCode code, absl::string_view pdu,
                                               std::string message, uint8_t report_version,
                                               bool ends) {
  Action action;
  action.handled = true;
  action.close = ends;
  std::string report;
  AppendErrorReport(&report, report_version, code, pdu, message);
  action.send.push_back(std::make_shared<const std::string>(std::move(report)));
  action.error_sent = code;
  action.pdus = 1;
  action.event = absl::StrCat("sent Error Report ", CodeText(code), ": ", message);
  if (ends) {
    input_.clear();
    EnterPhase(Phase::kClosed, action.event);
  }
  return action;
}

SessionLogic::Action SessionLogic::RouterErrorReport(std::string description) {
  Action action;
  action.handled = true;
  action.close = true;
  action.event = std::move(description);
  input_.clear();
  EnterPhase(Phase::kClosed, action.event);
  return action;
}

SessionLogic::Action SessionLogic::UnsupportedVersion(const DecodeError& error,
                                                      uint8_t pdu_version) {
  absl::string_view pdu(input_.data(), std::min(input_.size(), kMaxPduSize));
  if (version_) {
    return ErrorReport(
        VersionMismatchCode(*version_), pdu,
        absl::StrCat("version ", pdu_version, " PDU in a version ", *version_, " session"),
        *version_);
  }
  uint32_t claimed = ClaimedLength(input_);
  if (claimed < kHeaderSize || claimed > kMaxPduSize) {
    return ErrorReport(error.code, pdu, error.message, max_version_);
  }
  // Still negotiating: tell the router our highest version and let it retry
  // on this connection or reconnect (RFC 8210 section 7).
  Action action = ErrorReport(error.code, pdu, error.message, max_version_, /*ends=*/false);
  size_t drop = std::min<size_t>(claimed, input_.size());
  input_.erase(0, drop);
  discard_ = claimed - drop;
  return action;
}

SessionLogic::Action SessionLogic::Next(const EncodedUpdate* current) {
  if (discard_ > 0) {
    size_t drop = std::min(discard_, input_.size());
    input_.erase(0, drop);
    discard_ -= drop;
  }
  if (phase_ == Phase::kClosed || input_.empty()) return Action{};
  // The version for any Error Report: the session's, else the PDU's if we
  // serve it, else our highest.
  const uint8_t pdu_version = uint8_t(input_[0]);
  const uint8_t report_version =
      version_ ? *version_ : (pdu_version <= max_version_ ? pdu_version : max_version_);

  std::variant<size_t, DecodeError> framed = FramePdu(input_);
  if (IsErrorReport(input_) && std::holds_alternative<DecodeError>(framed)) {
    return RouterErrorReport(absl::StrCat("router sent a malformed Error Report (",
                                          std::get<DecodeError>(framed).message, ")"));
  }
  if (!version_ && input_.size() >= kHeaderSize && pdu_version > max_version_ &&
      pdu_version <= kMaxVersion) {
    framed = DecodeError{ErrorCode::kUnsupportedProtocolVersion,
                         absl::StrCat("protocol version ", pdu_version,
                                      " is not served here (highest: ", max_version_, ")")};
  }
  if (auto* e = std::get_if<DecodeError>(&framed)) {
    if (e->code == ErrorCode::kUnsupportedProtocolVersion) {
      return UnsupportedVersion(*e, pdu_version);
    }
    absl::string_view pdu(input_.data(), std::min(input_.size(), kMaxPduSize));
    return ErrorReport(e->code, pdu, e->message, report_version);
  }
  size_t length = std::get<size_t>(framed);
  if (length == 0) return Action{};
  std::string bytes = input_.substr(0, length);
  input_.erase(0, length);

  std::variant<Pdu, DecodeError> decoded = DecodePdu(bytes);
  if (auto* e = std::get_if<DecodeError>(&decoded)) {
    if (IsErrorReport(bytes)) {
      return RouterErrorReport(
          absl::StrCat("router sent a malformed Error Report (", e->message, ")"));
    }
    return ErrorReport(e->code, bytes, e->message, report_version);
  }
  const Pdu& pdu = std::get<Pdu>(decoded);
  if (pdu.type == PduType::kErrorReport) {
    // The router's text goes to the log: control bytes (an escape sequence
    // for the operator's terminal) are shown escaped, not written.
    return RouterErrorReport(absl::StrCat("router sent Error Report ", CodeText(pdu.error_code),
                                          pdu.error_text.empty() ? "" : ": ",
                                          absl::CHexEscape(pdu.error_text)));
  }
  if (!version_) {
    version_ = pdu.version;
    EnterPhase(Phase::kEstablished, absl::StrCat("version ", pdu.version));
  } else if (pdu.version != *version_) {
    return ErrorReport(
        VersionMismatchCode(*version_), bytes,
        absl::StrCat("version ", pdu.version, " PDU in a version ", *version_, " session"),
        *version_);
  }
  switch (pdu.type) {
    case PduType::kResetQuery:
    case PduType::kSerialQuery:
      return Query(pdu, bytes, current);
    case PduType::kSerialNotify:
    case PduType::kCacheResponse:
    case PduType::kIpv4Prefix:
    case PduType::kIpv6Prefix:
    case PduType::kEndOfData:
    case PduType::kCacheReset:
    case PduType::kRouterKey:
    case PduType::kAspa:
      return ErrorReport(ErrorCode::kInvalidRequest, bytes,
                         absl::StrCat(PduTypeName(pdu.type), " is not something a router sends"),
                         *version_);
    case PduType::kErrorReport:
      break;  // handled above
  }
  return ErrorReport(ErrorCode::kUnsupportedPduType, bytes, "unknown PDU type", *version_);
}

SessionLogic::Action SessionLogic::Query(const Pdu& pdu, absl::string_view bytes,
                                         const EncodedUpdate* current) {
  const uint8_t v = *version_;
  if (current == nullptr) {
    Action action = ErrorReport(ErrorCode::kNoDataAvailable, bytes, "no VRP set loaded yet", v,
                                /*ends=*/false);
    action.event = "sent No Data Available: no VRP set loaded yet";
    return action;
  }
  Action action;
  action.handled = true;
  auto cache_reset = [&](std::string why) {
    action.send = {CacheResetPdu(v)};
    action.pdus = 1;
    action.query = Action::Query::kCacheReset;
    action.event = std::move(why);
    return action;
  };
  if (pdu.type == PduType::kResetQuery) {
    action.send = current->FullResponse(v);
    action.pdus = current->size(v) + 2;
    action.query = Action::Query::kReset;
  } else if (pdu.session_id != current->session_id()) {
    if (phase_ == Phase::kSynchronized) {
      return ErrorReport(ErrorCode::kCorruptData, bytes,
                         absl::StrCat("session id ", pdu.session_id, " is not this session's (",
                                      current->session_id(), ")"),
                         v);
    }
    return cache_reset(absl::StrCat("Serial Query for session ", pdu.session_id, ", ours is ",
                                    current->session_id(), ": Cache Reset"));
  } else if (std::optional<Response> diff = current->DiffResponse(v, pdu.serial, &action.pdus)) {
    action.send = std::move(*diff);
    action.query = Action::Query::kSerial;
  } else {
    return cache_reset(
        absl::StrCat("Serial Query for serial ", pdu.serial, ", not in the history: Cache Reset"));
  }
  EnterPhase(Phase::kSynchronized, absl::StrCat("sent serial ", current->serial()));
  last_serial_told_ = current->serial();
  return action;
}

bool SessionLogic::WantsNotify(const EncodedUpdate& current) const {
  return phase_ == Phase::kSynchronized && *last_serial_told_ != current.serial();
}

std::optional<Buffer> SessionLogic::Farewell(ErrorCode code, absl::string_view text) {
  std::optional<Buffer> report;
  if (version_ && phase_ != Phase::kClosed && ErrorCodeInVersion(code, *version_)) {
    std::string bytes;
    AppendErrorReport(&bytes, *version_, code, {}, text);
    report = std::make_shared<const std::string>(std::move(bytes));
  }
  EnterPhase(Phase::kClosed, absl::StrCat("closing: ", text));
  return report;
}

}  // namespace rtr42::rtr
