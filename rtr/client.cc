#include "rtr/client.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
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
  // Connect with a time limit (a cache that wants a TCP-MD5 key we lack never
  // answers our SYN).
  std::string last_error = "no address";
  bool connected = false;
  for (const auto& entry : results) {
    socket_ = std::make_unique<tcp::socket>(io_);
    tcp::endpoint remote = entry.endpoint();
    socket_->open(remote.protocol(), ec);
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
  buffer_.clear();
  tls_.reset();
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
    tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(*socket_, *tls_context_);
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
  return tls_ ? tls_->read_some(asio::buffer(data, size), ec)
              : socket_->read_some(asio::buffer(data, size), ec);
}

bool RtrClient::Buffered() const { return tls_ && SSL_pending(tls_->native_handle()) > 0; }

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
    if (!Buffered()) {
      pollfd pfd{socket_->native_handle(), POLLIN, 0};
      int rc = ::poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
      if (rc <= 0) continue;
    }
    char chunk[65536];
    boost::system::error_code ec;
    size_t n = ReadSome(chunk, sizeof(chunk), ec);
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
  absl::btree_map<uint32_t, std::vector<uint32_t>> next_aspas;
  bool in_response = false;
  absl::btree_set<roa::Vrp>* target = &vrps_;
  absl::btree_map<uint32_t, std::vector<uint32_t>>* aspa_target = &aspas_;
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
        if (reset) {
          target = &next;
          aspa_target = &next_aspas;
        }
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
      case PduType::kAspa: {
        if (!in_response)
          return Reject(ErrorCode::kCorruptData, last_pdu_bytes_, "ASPA outside a response");
        const roa::Aspa& aspa = pdu.aspa;
        if (!std::is_sorted(aspa.providers.begin(), aspa.providers.end()) ||
            std::adjacent_find(aspa.providers.begin(), aspa.providers.end()) !=
                aspa.providers.end()) {
          return Reject(ErrorCode::kCorruptData, last_pdu_bytes_,
                        absl::StrCat("providers not in increasing order: ", aspa.ToString()));
        }
        if (pdu.announce) {
          auto [it, inserted] = aspa_target->try_emplace(aspa.customer, aspa.providers);
          if (!inserted) {
            // A replacement: the old record leaves, the new one comes.
            if (record_diff) result.diff.aspa_withdrawn.push_back({it->first, it->second});
            it->second = aspa.providers;
            ++result.withdrawn;
          }
          ++result.announced;
          if (record_diff) result.diff.aspa_announced.push_back(aspa);
        } else {
          auto it = aspa_target->find(aspa.customer);
          if (reset || it == aspa_target->end()) {
            return Reject(ErrorCode::kWithdrawalOfUnknownRecord, last_pdu_bytes_,
                          absl::StrCat("ASPA of AS", aspa.customer));
          }
          if (record_diff) result.diff.aspa_withdrawn.push_back({it->first, it->second});
          aspa_target->erase(it);
          ++result.withdrawn;
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
        if (reset) {
          vrps_ = std::move(next);
          aspas_ = std::move(next_aspas);
        }
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
  std::vector<roa::Aspa> aspas;
  aspas.reserve(aspas_.size());
  for (const auto& [customer, providers] : aspas_) aspas.push_back({customer, providers});
  return roa::VrpSet(std::vector<roa::Vrp>(vrps_.begin(), vrps_.end()), std::move(aspas));
}

}  // namespace rtr42::rtr
