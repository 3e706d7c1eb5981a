#include "rtr/client.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/log.h"
#include "rtr/payload_order.h"
#include "rtr/tcp_md5.h"

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
  uint32_t number = 0;
  if (!absl::SimpleAtoi(*port, &number) || number == 0 || number > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "': the port must be a number from 1 to 65535"));
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
  buffer_.clear();
  tls_.reset();
  if (options_.dial) {
    socket_.reset();
    dialed_.reset();
    absl::StatusOr<Options::Dialed> dialed = options_.dial();
    if (!dialed.ok()) return dialed.status();
    socket_ = std::make_unique<Socket>(io_);
    socket_->assign(asio::generic::stream_protocol(AF_UNIX, 0), dialed->fd, ec);
    if (ec) return absl::InternalError(absl::StrCat("dialed stream: ", ec.message()));
    dialed_ = std::move(dialed->keep);
    return absl::OkStatus();
  }
  tcp::resolver resolver(io_);
  auto results = resolver.resolve(options_.host, options_.port, ec);
  if (ec)
    return absl::UnavailableError(absl::StrCat("resolve ", options_.host, ": ", ec.message()));
  // Connect with a time limit (a cache that wants a TCP-MD5 key we lack never
  // answers our SYN).
  std::string last_error = "no address";
  bool connected = false;
  for (const auto& entry : results) {
    socket_ = std::make_unique<Socket>(io_);
    tcp::endpoint remote = entry.endpoint();
    socket_->open(asio::generic::stream_protocol(remote.protocol().family(), IPPROTO_TCP), ec);
    if (ec) {
      last_error = ec.message();
      continue;
    }
    if (!options_.md5_key.empty()) {
      absl::Status md5 = SetConnectKey(socket_->native_handle(), remote, options_.md5_key);
      if (!md5.ok()) return md5;
    }
    socket_->non_blocking(true);
    if (::connect(socket_->native_handle(), remote.data(), static_cast<socklen_t>(remote.size())) !=
            0 &&
        errno != EINPROGRESS) {
      last_error = std::strerror(errno);
      continue;
    }
    pollfd pfd{socket_->native_handle(), POLLOUT, 0};
    int rc = ::poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(options_.timeout)));
    int err = 0;
    socklen_t len = sizeof(err);
    if (rc <= 0) {
      last_error = "connection timed out";
      continue;
    }
    ::getsockopt(socket_->native_handle(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      last_error = std::strerror(err);
      continue;
    }
    socket_->non_blocking(false);
    connected = true;
    break;
  }
  if (!connected) {
    return absl::UnavailableError(
        absl::StrCat("connect ", options_.host, ":", options_.port, ": ", last_error));
  }
  if (options_.tls) {
    tls_context_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    if (options_.tls_insecure) {
      tls_context_->set_verify_mode(asio::ssl::verify_none);
    } else {
      tls_context_->set_verify_mode(asio::ssl::verify_peer);
      if (options_.tls_ca.empty()) {
        tls_context_->set_default_verify_paths(ec);
      } else {
        tls_context_->load_verify_file(options_.tls_ca, ec);
      }
      if (ec)
        return absl::InvalidArgumentError(
            absl::StrCat("TLS CA ", options_.tls_ca, ": ", ec.message()));
    }
    if (!options_.tls_cert.empty()) {
      tls_context_->use_certificate_chain_file(options_.tls_cert, ec);
      if (!ec) tls_context_->use_private_key_file(options_.tls_key, asio::ssl::context::pem, ec);
      if (ec) {
        return absl::InvalidArgumentError(
            absl::StrCat("TLS client certificate ", options_.tls_cert, ": ", ec.message()));
      }
    }
    tls_ = std::make_unique<asio::ssl::stream<Socket&>>(*socket_, *tls_context_);
    SSL_set_tlsext_host_name(tls_->native_handle(), options_.host.c_str());
    if (!options_.tls_insecure)
      tls_->set_verify_callback(asio::ssl::host_name_verification(options_.host));
    tls_->handshake(asio::ssl::stream_base::client, ec);
    if (ec)
      return absl::UnavailableError(
          absl::StrCat("TLS handshake with ", options_.host, ": ", ec.message()));
  }
  return absl::OkStatus();
}

size_t RtrClient::ReadSome(char* data, size_t size, boost::system::error_code& ec) {
  if (!tls_) return socket_->read_some(asio::buffer(data, size), ec);
  // The TLS stream may hold bytes it has read from the socket but not yet
  // decrypted, which neither poll() nor SSL_pending() sees: so it is always
  // asked first, without blocking, and the socket is waited for only when
  // it wants more (would_block).
  socket_->non_blocking(true);
  size_t n = tls_->read_some(asio::buffer(data, size), ec);
  boost::system::error_code ignored;
  socket_->non_blocking(false, ignored);
  return n;
}

absl::Status RtrClient::SendBytes(const std::string& bytes) {
  boost::system::error_code ec;
  if (tls_) {
    asio::write(*tls_, asio::buffer(bytes), ec);
  } else {
    asio::write(*socket_, asio::buffer(bytes), ec);
  }
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
    const int wait_ms = static_cast<int>(absl::ToInt64Milliseconds(left)) + 1;
    if (!tls_ && ::poll(&pfd, 1, wait_ms) <= 0) continue;
    char chunk[65536];
    boost::system::error_code ec;
    size_t n = ReadSome(chunk, sizeof(chunk), ec);
    if (ec == asio::error::would_block) {
      ::poll(&pfd, 1, wait_ms);
      continue;
    }
    if (ec) {
      return absl::UnavailableError(ec == asio::error::eof ||
                                            ec == asio::ssl::error::stream_truncated
                                        ? "the cache closed the connection"
                                        : ec.message());
    }
    buffer_.append(chunk, n);
  }
}

absl::Status RtrClient::Reject(ErrorCode code, const std::string& pdu, const std::string& message) {
  // Never an Error Report about an Error Report (8210bis section 5.8).
  if (!IsErrorReport(pdu)) {
    std::string report;
    AppendErrorReport(&report, version_, code, pdu, message);
    (void)SendBytes(report);
  }
  EnterState(State::kFailed, message);
  return absl::DataLossError(absl::StrCat("error ", static_cast<uint16_t>(code), " (",
                                          ErrorCodeName(code), "): ", message));
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
    return Reject(VersionMismatchCode(version_), last_pdu_bytes_, "wrong version");
  }
  if (pdu->type == PduType::kSerialNotify) return true;
  if (pdu->type == PduType::kErrorReport) {
    return absl::AbortedError(
        absl::StrCat("cache sent ", ErrorCodeName(pdu->error_code), ": ", pdu->error_text));
  }
  return Reject(ErrorCode::kInvalidRequest, last_pdu_bytes_,
                absl::StrCat("unexpected ", PduTypeName(pdu->type), " while idle"));
}

const char* RtrClient::StateName(State state) {
  switch (state) {
    case State::kIdle:
      return "idle";
    case State::kQuerying:
      return "querying";
    case State::kReceiving:
      return "receiving";
    case State::kFailed:
      return "failed";
  }
  return "?";
}

void RtrClient::EnterState(State next, const std::string& why) {
  if (next == state_) return;
  RTR42_LOG_DEBUG("rtr client %s:%s: %s -> %s: %s", options_.host, options_.port, StateName(state_),
                  StateName(next), why);
  state_ = next;
}

absl::StatusOr<RtrClient::SyncResult> RtrClient::Query(bool reset, bool record_diff) {
  std::string query;
  if (reset) {
    AppendResetQuery(&query, version_);
  } else {
    AppendSerialQuery(&query, version_, session_id_, serial_);
  }
  if (absl::Status s = SendBytes(query); !s.ok()) {
    EnterState(State::kFailed, std::string(s.message()));
    return s;
  }
  transfer_ = Transfer{.reset = reset, .record_diff = record_diff};
  EnterState(State::kQuerying, reset ? "Reset Query" : "Serial Query");
  while (true) {
    absl::StatusOr<Pdu> read = ReadPdu(options_.timeout);
    if (!read.ok() && FallBackAfterSilentClose(read.status())) {
      if (absl::Status s = Open(); !s.ok()) {
        EnterState(State::kFailed, std::string(s.message()));
        return s;
      }
      return Query(reset, record_diff);
    }
    if (!read.ok()) {
      EnterState(State::kFailed, std::string(read.status().message()));
      return read.status();
    }
    heard_from_cache_ = true;
    if (Step done = OnPdu(*read)) {
      if (!done->ok()) EnterState(State::kFailed, std::string(done->status().message()));
      return *std::move(done);
    }
  }
}

bool RtrClient::FallBackAfterSilentClose(const absl::Status& read) {
  // Only from version 2: a cache that lacks version 1 is an RFC 6810 one,
  // which answers with an Error Report, and a cache refusing a connection
  // (at its limit) closes it the same way, so one retry at most.
  if (!absl::IsUnavailable(read) || !options_.negotiate || !options_.retry_v1_on_silent_close ||
      heard_from_cache_ || state_ != State::kQuerying || version_ != 2) {
    return false;
  }
  version_ = 1;
  EnterState(State::kIdle,
             absl::StrCat("the cache closed the connection unanswered; trying version ", version_));
  return true;
}

RtrClient::Step RtrClient::OnPdu(const Pdu& pdu) {
  if (pdu.type == PduType::kErrorReport) return OnErrorReport(pdu);
  if (pdu.version != version_) {
    return Reject(
        VersionMismatchCode(version_), last_pdu_bytes_,
        absl::StrCat("version ", pdu.version, " PDU in a version ", version_, " session"));
  }
  switch (pdu.type) {
    case PduType::kSerialNotify:
      if (state_ == State::kReceiving) {
        return Reject(ErrorCode::kCorruptData, last_pdu_bytes_, "Serial Notify inside a response");
      }
      return std::nullopt;  // a notify before the response: the query answers it
    case PduType::kCacheReset:
      return OnCacheReset();
    case PduType::kCacheResponse:
      return OnCacheResponse(pdu);
    case PduType::kIpv4Prefix:
    case PduType::kIpv6Prefix:
    case PduType::kRouterKey:
    case PduType::kAspa:
      return OnPayload(pdu);
    case PduType::kEndOfData:
      return OnEndOfData(pdu);
    case PduType::kSerialQuery:
    case PduType::kResetQuery:
    case PduType::kErrorReport:
      break;
  }
  return Reject(ErrorCode::kInvalidRequest, last_pdu_bytes_,
                absl::StrCat(PduTypeName(pdu.type), " sent by a cache"));
}

RtrClient::Step RtrClient::OnErrorReport(const Pdu& pdu) {
  if (pdu.error_code == ErrorCode::kUnsupportedProtocolVersion && options_.negotiate &&
      state_ == State::kQuerying && pdu.version < version_) {
    // Fall back to the cache's version on a new connection (RFC 8210 section 7).
    version_ = pdu.version;
    EnterState(State::kIdle, absl::StrCat("the cache speaks version ", version_));
    if (absl::Status s = Open(); !s.ok()) return absl::StatusOr<SyncResult>(s);
    return Query(transfer_.reset, transfer_.record_diff);
  }
  return absl::StatusOr<SyncResult>(absl::AbortedError(absl::StrCat(
      "cache sent Error Report ", static_cast<uint16_t>(pdu.error_code), " (",
      ErrorCodeName(pdu.error_code), ")", pdu.error_text.empty() ? "" : ": ", pdu.error_text)));
}

RtrClient::Step RtrClient::OnCacheReset() {
  if (state_ != State::kQuerying || transfer_.reset) {
    return Reject(ErrorCode::kCorruptData, last_pdu_bytes_, "Cache Reset out of place");
  }
  EnterState(State::kIdle, "Cache Reset");
  absl::StatusOr<SyncResult> again = Query(true, transfer_.record_diff);
  if (again.ok()) again->reset = true;
  return again;
}

RtrClient::Step RtrClient::OnCacheResponse(const Pdu& pdu) {
  if (state_ != State::kQuerying) {
    return Reject(ErrorCode::kCorruptData, last_pdu_bytes_, "Cache Response out of place");
  }
  if (!transfer_.reset && have_session_ && pdu.session_id != session_id_) {
    return Reject(ErrorCode::kCorruptData, last_pdu_bytes_, "session id changed");
  }
  EnterState(State::kReceiving, absl::StrCat("Cache Response, session ", pdu.session_id));
  return std::nullopt;
}

RtrClient::Step RtrClient::OnPayload(const Pdu& pdu) {
  if (state_ != State::kReceiving) {
    return Reject(ErrorCode::kCorruptData, last_pdu_bytes_,
                  absl::StrCat(PduTypeName(pdu.type), " outside a response"));
  }
  absl::Status applied = absl::OkStatus();
  if (pdu.type == PduType::kAspa) {
    applied = ApplyAspa(pdu);
  } else if (pdu.type == PduType::kRouterKey) {
    applied = ApplyRouterKey(pdu);
  } else {
    applied = ApplyPrefix(pdu);
  }
  if (!applied.ok()) return absl::StatusOr<SyncResult>(applied);
  if (version_ >= 2 && options_.check_order && transfer_.last_payload &&
      !PrecedesInResponse(*transfer_.last_payload, pdu)) {
    return Reject(ErrorCode::kOrderingError, last_pdu_bytes_,
                  "payload PDUs not in the order of draft-ietf-sidrops-8210bis section 11.2");
  }
  transfer_.last_payload = pdu;
  return std::nullopt;
}

absl::Status RtrClient::ApplyPrefix(const Pdu& pdu) {
  absl::btree_set<roa::Vrp>& target = transfer_.reset ? transfer_.vrps : vrps_;
  SyncResult& result = transfer_.result;
  if (pdu.announce) {
    if (!target.insert(pdu.vrp).second) {
      return Reject(ErrorCode::kDuplicateAnnouncement, last_pdu_bytes_, pdu.vrp.ToString());
    }
    ++result.announced;
    if (transfer_.record_diff) result.diff.announced.push_back(pdu.vrp);
    return absl::OkStatus();
  }
  if (transfer_.reset || target.erase(pdu.vrp) == 0) {
    return Reject(ErrorCode::kWithdrawalOfUnknownRecord, last_pdu_bytes_, pdu.vrp.ToString());
  }
  ++result.withdrawn;
  if (transfer_.record_diff) result.diff.withdrawn.push_back(pdu.vrp);
  return absl::OkStatus();
}

absl::Status RtrClient::ApplyRouterKey(const Pdu& pdu) {
  absl::btree_set<roa::RouterKey>& target = transfer_.reset ? transfer_.keys : keys_;
  roa::RouterKey key = pdu.router_key();
  SyncResult& result = transfer_.result;
  if (pdu.announce) {
    if (!target.insert(key).second) {
      return Reject(ErrorCode::kDuplicateAnnouncement, last_pdu_bytes_, key.ToString());
    }
    ++result.announced;
    if (transfer_.record_diff) result.diff.key_announced.push_back(key);
    return absl::OkStatus();
  }
  if (transfer_.reset || target.erase(key) == 0) {
    return Reject(ErrorCode::kWithdrawalOfUnknownRecord, last_pdu_bytes_, key.ToString());
  }
  ++result.withdrawn;
  if (transfer_.record_diff) result.diff.key_withdrawn.push_back(key);
  return absl::OkStatus();
}

absl::Status RtrClient::ApplyAspa(const Pdu& pdu) {
  const roa::Aspa& aspa = pdu.aspa;
  const std::vector<uint32_t>& p = aspa.providers;
  // 8210bis section 5.12.
  std::string wrong;
  if (pdu.announce && p.empty()) wrong = "an announcement without providers";
  if (!pdu.announce && !p.empty()) wrong = "a withdrawal with providers";
  if (!std::is_sorted(p.begin(), p.end()) || std::adjacent_find(p.begin(), p.end()) != p.end()) {
    wrong = "providers not unique and increasing";
  }
  if (p.size() > 1 && std::find(p.begin(), p.end(), 0u) != p.end()) wrong = "AS 0 among providers";
  if (!wrong.empty()) {
    return Reject(ErrorCode::kAspaProviderListError, last_pdu_bytes_,
                  absl::StrCat(wrong, ": ", aspa.ToString()));
  }
  auto& target = transfer_.reset ? transfer_.aspas : aspas_;
  SyncResult& result = transfer_.result;
  if (pdu.announce) {
    auto [it, inserted] = target.try_emplace(aspa.customer, p);
    if (!inserted) {
      // A replacement: the old record leaves, the new one comes.
      if (transfer_.record_diff) result.diff.aspa_withdrawn.push_back({it->first, it->second});
      it->second = p;
      ++result.withdrawn;
    }
    ++result.announced;
    if (transfer_.record_diff) result.diff.aspa_announced.push_back(aspa);
    return absl::OkStatus();
  }
  auto it = target.find(aspa.customer);
  if (transfer_.reset || it == target.end()) {
    return Reject(ErrorCode::kWithdrawalOfUnknownRecord, last_pdu_bytes_,
                  absl::StrCat("ASPA of AS", aspa.customer));
  }
  if (transfer_.record_diff) result.diff.aspa_withdrawn.push_back({it->first, it->second});
  target.erase(it);
  ++result.withdrawn;
  return absl::OkStatus();
}

RtrClient::Step RtrClient::OnEndOfData(const Pdu& pdu) {
  if (state_ != State::kReceiving) {
    return Reject(ErrorCode::kCorruptData, last_pdu_bytes_, "End of Data outside a response");
  }
  if (transfer_.reset) {
    vrps_ = std::move(transfer_.vrps);
    aspas_ = std::move(transfer_.aspas);
    keys_ = std::move(transfer_.keys);
  }
  have_session_ = true;
  session_id_ = pdu.session_id;
  serial_ = pdu.serial;
  if (pdu.has_timers) timers_ = pdu.timers;
  EnterState(State::kIdle, absl::StrCat("End of Data, serial ", serial_));
  // Sorted as the sets are, whatever order the cache sent them in.
  SyncResult& r = transfer_.result;
  std::sort(r.diff.announced.begin(), r.diff.announced.end());
  std::sort(r.diff.withdrawn.begin(), r.diff.withdrawn.end());
  std::sort(r.diff.aspa_announced.begin(), r.diff.aspa_announced.end());
  std::sort(r.diff.aspa_withdrawn.begin(), r.diff.aspa_withdrawn.end());
  std::sort(r.diff.key_announced.begin(), r.diff.key_announced.end());
  std::sort(r.diff.key_withdrawn.begin(), r.diff.key_withdrawn.end());
  return absl::StatusOr<SyncResult>(std::move(transfer_.result));
}

roa::VrpSet RtrClient::set() const {
  std::vector<roa::Aspa> aspas;
  aspas.reserve(aspas_.size());
  for (const auto& [customer, providers] : aspas_) aspas.push_back({customer, providers});
  return roa::VrpSet(std::vector<roa::Vrp>(vrps_.begin(), vrps_.end()), std::move(aspas),
                     std::vector<roa::RouterKey>(keys_.begin(), keys_.end()));
}

}  // namespace rtr42::rtr
