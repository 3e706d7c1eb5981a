#include "rtr/session_logic.h"

#include "absl/strings/str_cat.h"

namespace rtr42::rtr {

SessionLogic::Action SessionLogic::Fail(ErrorCode code, absl::string_view pdu, std::string message,
                                        uint8_t version) {
  Action action;
  action.handled = true;
  action.close = true;
  std::string report;
  AppendErrorReport(&report, version, code, pdu, message);
  action.send.push_back(std::make_shared<const std::string>(std::move(report)));
  action.error_sent = code;
  action.pdus = 1;
  action.event = absl::StrCat("sent Error Report ", ErrorCodeName(code), ": ", message);
  input_.clear();
  return action;
}

SessionLogic::Action SessionLogic::Next(const EncodedUpdate* current) {
  Action none;
  if (discard_ > 0) {
    size_t drop = std::min(discard_, input_.size());
    input_.erase(0, drop);
    discard_ -= drop;
  }
  if (input_.empty()) return none;
  // The version for any Error Report: the session's, else the PDU's if we
  // speak it, else our highest.
  const uint8_t pdu_version = uint8_t(input_[0]);
  const uint8_t report_version =
      version_ ? *version_ : (pdu_version <= max_version_ ? pdu_version : max_version_);

  std::variant<size_t, DecodeError> framed = FramePdu(input_);
  if (!version_ && input_.size() >= kHeaderSize && pdu_version > max_version_ &&
      pdu_version <= kMaxVersion) {
    framed = DecodeError{ErrorCode::kUnsupportedProtocolVersion,
                         absl::StrCat("protocol version ", pdu_version,
                                      " is not served here (highest: ", max_version_, ")")};
  }
  if (auto* e = std::get_if<DecodeError>(&framed)) {
    absl::string_view pdu(input_.data(), std::min(input_.size(), kMaxPduSize));
    if (e->code == ErrorCode::kUnsupportedProtocolVersion && version_) {
      return Fail(
          *version_ == 0 ? ErrorCode::kUnsupportedProtocolVersion
                         : ErrorCode::kUnexpectedProtocolVersion,
          pdu, absl::StrCat("version ", pdu_version, " PDU in a version ", *version_, " session"),
          *version_);
    }
    uint32_t claimed =
        input_.size() >= kHeaderSize
            ? (uint32_t(uint8_t(input_[4])) << 24 | uint32_t(uint8_t(input_[5])) << 16 |
               uint32_t(uint8_t(input_[6])) << 8 | uint32_t(uint8_t(input_[7])))
            : 0;
    if (e->code == ErrorCode::kUnsupportedProtocolVersion && claimed >= kHeaderSize &&
        claimed <= kMaxPduSize) {
      // Still negotiating: tell the router our highest version and let it
      // retry on this connection or reconnect (RFC 8210 section 7).
      Action action;
      action.handled = true;
      std::string report;
      AppendErrorReport(&report, max_version_, e->code, pdu, e->message);
      action.send.push_back(std::make_shared<const std::string>(std::move(report)));
      action.error_sent = e->code;
      action.pdus = 1;
      action.event = absl::StrCat("sent Error Report ", ErrorCodeName(e->code), ": ", e->message);
      size_t drop = std::min<size_t>(claimed, input_.size());
      input_.erase(0, drop);
      discard_ = claimed - drop;
      return action;
    }
    return Fail(e->code, pdu, e->message, report_version);
  }
  size_t length = std::get<size_t>(framed);
  if (length == 0) return none;
  std::string bytes = input_.substr(0, length);
  input_.erase(0, length);

  std::variant<Pdu, DecodeError> decoded = DecodePdu(bytes);
  if (auto* e = std::get_if<DecodeError>(&decoded)) {
    return Fail(e->code, bytes, e->message, report_version);
  }
  const Pdu& pdu = std::get<Pdu>(decoded);
  if (!version_) {
    version_ = pdu.version;
  } else if (pdu.version != *version_) {
    return Fail(*version_ == 0 ? ErrorCode::kUnsupportedProtocolVersion
                               : ErrorCode::kUnexpectedProtocolVersion,
                bytes,
                absl::StrCat("version ", pdu.version, " PDU in a version ", *version_, " session"),
                *version_);
  }
  const uint8_t v = *version_;

  Action action;
  action.handled = true;
  switch (pdu.type) {
    case PduType::kResetQuery:
    case PduType::kSerialQuery: {
      if (current == nullptr) {
        std::string report;
        AppendErrorReport(&report, v, ErrorCode::kNoDataAvailable, bytes, "no VRP set loaded yet");
        action.send.push_back(std::make_shared<const std::string>(std::move(report)));
        action.error_sent = ErrorCode::kNoDataAvailable;
        action.pdus = 1;
        action.event = "sent No Data Available: no VRP set loaded yet";
        return action;
      }
      if (pdu.type == PduType::kResetQuery) {
        action.send = current->FullResponse(v);
        action.pdus = current->size(v) + 2;
        action.query = Action::Query::kReset;
      } else if (pdu.session_id != current->session_id()) {
        if (told_session_id_) {
          return Fail(ErrorCode::kCorruptData, bytes,
                      absl::StrCat("session id ", pdu.session_id, " is not this session's (",
                                   current->session_id(), ")"),
                      v);
        }
        action.send = {CacheResetPdu(v)};
        action.pdus = 1;
        action.query = Action::Query::kCacheReset;
        action.event = absl::StrCat("Serial Query for session ", pdu.session_id, ", ours is ",
                                    current->session_id(), ": Cache Reset");
        return action;
      } else if (std::optional<Response> diff =
                     current->DiffResponse(v, pdu.serial, &action.pdus)) {
        action.send = std::move(*diff);
        action.query = Action::Query::kSerial;
      } else {
        action.send = {CacheResetPdu(v)};
        action.pdus = 1;
        action.query = Action::Query::kCacheReset;
        action.event = absl::StrCat("Serial Query for serial ", pdu.serial,
                                    ", not in the history: Cache Reset");
        return action;
      }
      told_session_id_ = true;
      last_serial_told_ = current->serial();
      return action;
    }
    case PduType::kErrorReport:
      action.close = true;
      action.event = absl::StrCat("router sent Error Report ", ErrorCodeName(pdu.error_code), ": ",
                                  pdu.error_text);
      input_.clear();
      return action;
    case PduType::kSerialNotify:
    case PduType::kCacheResponse:
    case PduType::kIpv4Prefix:
    case PduType::kIpv6Prefix:
    case PduType::kEndOfData:
    case PduType::kCacheReset:
    case PduType::kRouterKey:
    case PduType::kAspa:
      return Fail(ErrorCode::kInvalidRequest, bytes,
                  absl::StrCat(PduTypeName(pdu.type), " is not something a router sends"), v);
  }
  return Fail(ErrorCode::kUnsupportedPduType, bytes, "unknown PDU type", v);
}

bool SessionLogic::WantsNotify(const EncodedUpdate& current) const {
  return version_.has_value() && last_serial_told_.has_value() &&
         *last_serial_told_ != current.serial();
}

}  // namespace rtr42::rtr
