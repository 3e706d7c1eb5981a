#include "rtr/client.h"

#include <poll.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace rtr42::rtr {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

absl::Status SplitHostPort(const std::string& text, std::string* host, std::string* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size()) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not HOST:PORT"));
  }
  *host = text.substr(0, colon);
  *port = text.substr(colon + 1);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  return absl::OkStatus();
}

RtrClient::RtrClient(const Options& options) : options_(options), version_(options.version) {}

RtrClient::~RtrClient() = default;

absl::StatusOr<std::unique_ptr<RtrClient>> RtrClient::Connect(const Options& options) {
  std::unique_ptr<RtrClient> client(new RtrClient(options));
  if (absl::Status s = client->Open(); !s.ok()) return s;
  return client;
}

absl::Status RtrClient::Open() {
  boost::system::error_code ec;
  tcp::resolver resolver(io_);
  auto results = resolver.resolve(options_.host, options_.port, ec);
  if (ec)
    return absl::UnavailableError(absl::StrCat("resolve ", options_.host, ": ", ec.message()));
  socket_ = std::make_unique<tcp::socket>(io_);
  asio::connect(*socket_, results, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("connect ", options_.host, ":", options_.port, ": ", ec.message()));
  }
  buffer_.clear();
  return absl::OkStatus();
}

absl::Status RtrClient::SendBytes(const std::string& bytes) {
  boost::system::error_code ec;
  asio::write(*socket_, asio::buffer(bytes), ec);
  if (ec) return absl::UnavailableError(absl::StrCat("send: ", ec.message()));
  return absl::OkStatus();
}

absl::StatusOr<Pdu> RtrClient::ReadPdu(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    std::variant<size_t, DecodeError> framed = FramePdu(buffer_);
    if (auto* e = std::get_if<DecodeError>(&framed)) {
      std::string bytes = buffer_.substr(0, std::min(buffer_.size(), kMaxPduSize));
      return Reject(e->code, bytes, e->message);
    }
    if (size_t n = std::get<size_t>(framed); n > 0) {
      last_pdu_bytes_ = buffer_.substr(0, n);
      buffer_.erase(0, n);
      std::variant<Pdu, DecodeError> pdu = DecodePdu(last_pdu_bytes_);
      if (auto* e = std::get_if<DecodeError>(&pdu))
        return Reject(e->code, last_pdu_bytes_, e->message);
      return std::get<Pdu>(std::move(pdu));
    }
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration())
      return absl::DeadlineExceededError("timed out waiting for the cache");
    pollfd pfd{socket_->native_handle(), POLLIN, 0};
    int rc = ::poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (rc <= 0) continue;
    char chunk[65536];
    boost::system::error_code ec;
    size_t n = socket_->read_some(asio::buffer(chunk), ec);
    if (ec) {
      return absl::UnavailableError(ec == asio::error::eof ? "the cache closed the connection"
                                                           : ec.message());
    }
    buffer_.append(chunk, n);
  }
}

absl::Status RtrClient::Reject(ErrorCode code, const std::string& pdu, const std::string& message) {
  std::string report;
  AppendErrorReport(&report, version_, code, pdu, message);
  (void)SendBytes(report);
  return absl::DataLossError(absl::StrCat(ErrorCodeName(code), ": ", message));
}

absl::StatusOr<RtrClient::SyncResult> RtrClient::Reset(bool record_diff) {
  return Query(true, record_diff);
}

absl::StatusOr<RtrClient::SyncResult> RtrClient::Refresh(bool record_diff) {
  if (!have_session_) return Query(true, record_diff);
  return Query(false, record_diff);
}

absl::StatusOr<bool> RtrClient::WaitForNotify(absl::Duration timeout) {
  absl::StatusOr<Pdu> pdu = ReadPdu(timeout);
  if (!pdu.ok()) {
    if (absl::IsDeadlineExceeded(pdu.status())) return false;
    return pdu.status();
  }
  if (pdu->version != version_) {
    return Reject(ErrorCode::kUnexpectedProtocolVersion, last_pdu_bytes_, "wrong version");
  }
  if (pdu->type == PduType::kSerialNotify) return true;
  if (pdu->type == PduType::kErrorReport) {
    return absl::AbortedError(
        absl::StrCat("cache sent ", ErrorCodeName(pdu->error_code), ": ", pdu->error_text));
  }
  return Reject(ErrorCode::kInvalidRequest, last_pdu_bytes_,
                absl::StrCat("unexpected ", PduTypeName(pdu->type), " while idle"));
}

absl::StatusOr<RtrClient::SyncResult> RtrClient::Query(bool reset, bool record_diff) {
  std::string query;
  if (reset) {
    AppendResetQuery(&query, version_);
  } else {
    AppendSerialQuery(&query, version_, session_id_, serial_);
  }
  if (absl::Status s = SendBytes(query); !s.ok()) return s;

  SyncResult result;
  absl::btree_set<roa::Vrp> next;
  bool in_response = false;
  absl::btree_set<roa::Vrp>* target = &vrps_;
  while (true) {
    absl::StatusOr<Pdu> read = ReadPdu(options_.timeout);
    if (!read.ok()) return read.status();
    const Pdu& pdu = *read;
    if (pdu.type == PduType::kErrorReport) {
      if (pdu.error_code == ErrorCode::kUnsupportedProtocolVersion && options_.negotiate &&
          !in_response && pdu.version < version_) {
        // Fall back to the cache's version on a new connection (RFC 8210 section 7).
        version_ = pdu.version;
        if (absl::Status s = Open(); !s.ok()) return s;
        return Query(reset, record_diff);
      }
      return absl::AbortedError(absl::StrCat("cache sent Error Report ",
                                             ErrorCodeName(pdu.error_code), ": ", pdu.error_text));
    }
    if (pdu.version != version_) {
      return Reject(
          version_ == 0 ? ErrorCode::kUnsupportedProtocolVersion
                        : ErrorCode::kUnexpectedProtocolVersion,
          last_pdu_bytes_,
          absl::StrCat("version ", pdu.version, " PDU in a version ", version_, " session"));
    }
    switch (pdu.type) {
      case PduType::kSerialNotify:
        if (in_response) {
          return Reject(ErrorCode::kCorruptData, last_pdu_bytes_,
                        "Serial Notify inside a response");
        }
        continue;  // a notify before the response: the query answers it
      case PduType::kCacheReset:
        if (in_response || reset) {
          return Reject(ErrorCode::kCorruptData, last_pdu_bytes_, "Cache Reset out of place");
        }
        {
          absl::StatusOr<SyncResult> again = Query(true, record_diff);
          if (again.ok()) again->reset = true;
          return again;
        }
      case PduType::kCacheResponse:
        if (in_response)
          return Reject(ErrorCode::kCorruptData, last_pdu_bytes_, "second Cache Response");
        if (!reset && have_session_ && pdu.session_id != session_id_) {
          return Reject(ErrorCode::kCorruptData, last_pdu_bytes_, "session id changed");
        }
        in_response = true;
        if (reset) target = &next;
        continue;
      case PduType::kIpv4Prefix:
      case PduType::kIpv6Prefix: {
        if (!in_response)
          return Reject(ErrorCode::kCorruptData, last_pdu_bytes_, "prefix outside a response");
        if (pdu.announce) {
          if (!target->insert(pdu.vrp).second) {
            return Reject(ErrorCode::kDuplicateAnnouncement, last_pdu_bytes_, pdu.vrp.ToString());
          }
          ++result.announced;
          if (record_diff) result.diff.announced.push_back(pdu.vrp);
        } else {
          if (reset || target->erase(pdu.vrp) == 0) {
            return Reject(ErrorCode::kWithdrawalOfUnknownRecord, last_pdu_bytes_,
                          pdu.vrp.ToString());
          }
          ++result.withdrawn;
          if (record_diff) result.diff.withdrawn.push_back(pdu.vrp);
        }
        continue;
      }
      case PduType::kRouterKey:
        if (!in_response)
          return Reject(ErrorCode::kCorruptData, last_pdu_bytes_, "key outside a response");
        continue;  // rtr42 has no use for router keys
      case PduType::kEndOfData:
        if (!in_response)
          return Reject(ErrorCode::kCorruptData, last_pdu_bytes_, "End of Data outside a response");
        if (reset) vrps_ = std::move(next);
        have_session_ = true;
        session_id_ = pdu.session_id;
        serial_ = pdu.serial;
        if (pdu.has_timers) timers_ = pdu.timers;
        return result;
      case PduType::kSerialQuery:
      case PduType::kResetQuery:
      case PduType::kErrorReport:
        break;
    }
    return Reject(ErrorCode::kInvalidRequest, last_pdu_bytes_,
                  absl::StrCat(PduTypeName(pdu.type), " sent by a cache"));
  }
}

roa::VrpSet RtrClient::set() const {
  return roa::VrpSet(std::vector<roa::Vrp>(vrps_.begin(), vrps_.end()));
}

}  // namespace rtr42::rtr
