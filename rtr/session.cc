#include "rtr/session.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/log.h"

namespace rtr42::rtr {
template <typename Stream>
StreamSession<Stream>::StreamSession(Stream stream, Server& server, uint64_t id, std::string peer,
                                     Transport transport)
    : stream_(std::move(stream)),
      server_(server),
      id_(id),
      peer_(std::move(peer)),
      transport_(transport),
      stall_timer_(stream_.get_executor()),
      idle_timer_(stream_.get_executor()),
      notify_timer_(stream_.get_executor()),
      pacer_(
          std::chrono::milliseconds(absl::ToInt64Milliseconds(server.options().notify_interval))),
      logic_(server.options().max_version, peer_) {
  ++server_.mutable_stats().sessions_by_transport[static_cast<size_t>(transport_)];
  {
    absl::MutexLock lock(&info_mutex_);
    info_.id = id_;
    info_.peer = peer_;
    info_.transport = transport_;
    info_.connected = absl::Now();
  }
  // The SSH connection's own TCP socket is the SSH server's to tune.
  if constexpr (!std::is_same_v<Stream, LocalStream>) {
    boost::system::error_code ec;
    stream_.lowest_layer().set_option(tcp::no_delay(true), ec);
    SetTcpKeepalive(stream_.lowest_layer().native_handle(), server_.options().keepalive_idle);
  }
}

template <typename Stream>
void StreamSession<Stream>::Start() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    if (!self->current_) self->current_ = self->server_.current();
    self->last_heard_ = std::chrono::steady_clock::now();  // connected
    self->ArmIdleTimer();
    self->DoRead();
  });
}

template <typename Stream>
void StreamSession<Stream>::OnUpdate(std::shared_ptr<const EncodedUpdate> update) {
  asio::post(stream_.get_executor(), [self = shared_from_this(), update = std::move(update)] {
    self->current_ = update;
    if (!self->writing_) self->MaybeNotify();
  });
}

template <typename Stream>
void StreamSession<Stream>::Close(std::string reason) {
  asio::post(stream_.get_executor(),
             [self = shared_from_this(), reason = std::move(reason)] { self->Shutdown(reason); });
}

template <typename Stream>
void StreamSession<Stream>::Farewell(ErrorCode code, std::string text) {
  asio::post(stream_.get_executor(),
             [self = shared_from_this(), code, text = std::move(text)]() mutable {
               if (self->closed_) return;
               std::optional<Buffer> report = self->logic_.Farewell(code, text);
               if (!report) {
                 self->Shutdown(text);
                 return;
               }
               ++self->server_.mutable_stats().error_reports_sent;
               ++self->server_.mutable_stats().error_reports_by_code[static_cast<size_t>(code)];
               self->closing_ = true;
               self->farewell_reason_ = absl::StrCat("sent ", ErrorCodeName(code), ": ", text);
               self->Enqueue(Response{*report});
             });
}

template <typename Stream>
void StreamSession<Stream>::DoRead() {
  // A router pipelining queries waits while this much input is unread.
  if (reading_ || closed_ || logic_.buffered() >= server_.options().max_input_bytes) return;
  reading_ = true;
  stream_.async_read_some(asio::buffer(read_buffer_),
                          [self = shared_from_this()](const boost::system::error_code& ec,
                                                      size_t n) { self->OnRead(ec, n); });
}

template <typename Stream>
void StreamSession<Stream>::OnRead(const boost::system::error_code& ec, size_t n) {
  reading_ = false;
  if (closed_) return;
  if (ec) {
    Shutdown(ec == asio::error::eof ? "closed by peer" : ec.message());
    return;
  }
  auto now = std::chrono::steady_clock::now();
  if (heard_from_peer_) last_heard_ = now;
  if (!closing_) {
    logic_.Receive(absl::string_view(read_buffer_.data(), n));
    Pump();
  }
  // The first-query limit ends with the first whole PDU, not the first byte:
  // a connection that trickles a byte now and then holds no slot for long.
  if (!heard_from_peer_ && queries_ > 0) {
    heard_from_peer_ = true;
    last_heard_ = now;
    ArmIdleTimer();
  }
  DoRead();
}

template <typename Stream>
void StreamSession<Stream>::Pump() {
  while (!writing_ && !closing_ && !closed_) {
    SessionLogic::Action action = logic_.Next(current_.get());
    if (!action.handled) break;
    ServerStats& stats = server_.mutable_stats();
    switch (action.query) {
      case SessionLogic::Action::Query::kReset:
        ++stats.reset_queries;
        break;
      case SessionLogic::Action::Query::kSerial:
        ++stats.serial_queries;
        break;
      case SessionLogic::Action::Query::kCacheReset:
        ++stats.serial_queries;
        ++stats.cache_resets;
        break;
      case SessionLogic::Action::Query::kNone:
        break;
    }
    if (action.error_sent) {
      ++stats.error_reports_sent;
      ++stats.error_reports_by_code[static_cast<size_t>(*action.error_sent) %
                                    stats.error_reports_by_code.size()];
    }
    stats.pdus_sent += action.pdus;
    if (!counted_version_ && logic_.version()) {
      counted_version_ = logic_.version();
      ++stats.sessions_by_version[*counted_version_];
      RTR42_LOG_INFO("session %s: RTR version %d", peer_, *logic_.version());
    }
    ++queries_;
    if (action.query != SessionLogic::Action::Query::kNone) {
      absl::MutexLock lock(&info_mutex_);
      info_.version = logic_.version();
      info_.queries = queries_;
      info_.last_query = absl::Now();
      if (action.query == SessionLogic::Action::Query::kCacheReset) {
        info_.last_query_kind = "Cache Reset";
      } else {
        info_.last_query_kind =
            action.query == SessionLogic::Action::Query::kReset ? "Reset Query" : "Serial Query";
        if (current_) info_.serial = current_->serial();
      }
    }
    if (!action.event.empty()) {
      if (action.error_sent || action.close) {
        RTR42_LOG_WARNING("session %s: %s", peer_, action.event);
      } else {
        RTR42_LOG_INFO("session %s: %s", peer_, action.event);
      }
    } else if (LogEnabled(LogLevel::kDebug)) {
      RTR42_LOG_DEBUG(
          "session %s: %s answered with %d bytes", peer_,
          action.query == SessionLogic::Action::Query::kReset ? "Reset Query" : "Serial Query",
          ResponseSize(action.send));
    }
    if (action.close) closing_ = true;
    if (!action.send.empty()) Enqueue(std::move(action.send));
  }
  if (!writing_) {
    if (closing_) {
      Shutdown(farewell_reason_.empty() ? "session ended after an error" : farewell_reason_);
    } else {
      MaybeNotify();
    }
  }
}

template <typename Stream>
void StreamSession<Stream>::MaybeNotify() {
  if (closed_ || closing_ || writing_ || !current_) return;
  if (!logic_.WantsNotify(*current_)) return;
  auto now = std::chrono::steady_clock::now();
  auto allowed = pacer_.NextAllowed(now);
  if (allowed > now) {
    // Within a minute of the last notify: one notify, of whatever serial is
    // newest then, when the minute ends.
    if (!notify_timer_armed_) {
      notify_timer_armed_ = true;
      notify_timer_.expires_at(allowed);
      notify_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        self->OnNotifyTimer(ec);
      });
    }
    return;
  }
  pacer_.Sent(now);
  logic_.MarkNotified(current_->serial());
  ++server_.mutable_stats().notifies_sent;
  ++server_.mutable_stats().pdus_sent;
  notify_pending_serial_ = current_->serial();
  Enqueue(Response{current_->SerialNotify(*logic_.version())});
}

template <typename Stream>
void StreamSession<Stream>::OnNotifyTimer(const boost::system::error_code& ec) {
  notify_timer_armed_ = false;
  if (ec || closed_) return;
  MaybeNotify();  // while a response is written, its end calls this again
}

template <typename Stream>
void StreamSession<Stream>::Enqueue(Response response) {
  size_t size = ResponseSize(response);
  if (queued_bytes_ + size > server_.options().max_queued_bytes) {
    CloseForLimit(CloseReason::kBacklog,
                  absl::StrCat("output backlog of ", queued_bytes_ + size,
                               " bytes is over the limit of ", server_.options().max_queued_bytes));
    return;
  }
  queued_bytes_ += size;
  queue_.push_back(std::move(response));
  if (!writing_) {
    writing_ = true;
    front_offset_ = 0;
    ArmStallTimer();
    DoWrite();
  }
}

template <typename Stream>
void StreamSession<Stream>::ArmStallTimer() {
  stall_timer_.expires_after(
      std::chrono::milliseconds(absl::ToInt64Milliseconds(server_.options().write_stall_timeout)));
  stall_timer_.async_wait(
      [self = shared_from_this()](const boost::system::error_code& ec) { self->OnStallTimer(ec); });
}

template <typename Stream>
void StreamSession<Stream>::OnStallTimer(const boost::system::error_code& ec) {
  if (ec || closed_ || !writing_) return;
  std::string why = "slow reader: no write progress in " +
                    absl::FormatDuration(server_.options().write_stall_timeout);
  if (stall_reported_) {
    Shutdown(why + " (after Transport Failure)", /*limit=*/true);
    return;
  }
  // draft-ietf-sidrops-8210bis-27 section 9: a stalled version 2 session
  // SHOULD be sent Transport Failure (10) before it is closed. It is queued
  // after the response being written (a PDU boundary) and given one more
  // stall interval to get out; then the session closes either way.
  std::optional<Buffer> report =
      logic_.version() == 2 ? logic_.Farewell(ErrorCode::kTransportFailure, why) : std::nullopt;
  if (!report) {
    CloseForLimit(CloseReason::kSlowReader, why);
    return;
  }
  ServerStats& stats = server_.mutable_stats();
  ++stats.closed_by_limit[static_cast<size_t>(CloseReason::kSlowReader)];
  ++stats.error_reports_sent;
  ++stats.error_reports_by_code[static_cast<size_t>(ErrorCode::kTransportFailure)];
  stall_reported_ = true;
  closing_ = true;
  farewell_reason_ = absl::StrCat("sent Transport Failure: ", why);
  queued_bytes_ += (*report)->size();
  queue_.push_back(Response{*report});
  ArmStallTimer();
}

template <typename Stream>
void StreamSession<Stream>::ArmIdleTimer() {
  const ServerOptions& o = server_.options();
  absl::Duration limit = heard_from_peer_ ? o.idle_timeout : o.first_query_timeout;
  if (limit == absl::InfiniteDuration()) {
    idle_timer_.cancel();  // a first-query wait may still be pending
    return;
  }
  auto span = std::chrono::milliseconds(absl::ToInt64Milliseconds(limit));
  // Reads only note the time; the timer looks at it when it fires, so a busy
  // session costs no timer operation per read.
  auto deadline = std::max(last_heard_ + span,
                           writing_ ? std::chrono::steady_clock::now() + span : last_heard_);
  idle_timer_.expires_at(deadline);
  idle_timer_.async_wait([self = shared_from_this(), limit](const boost::system::error_code& ec) {
    self->OnIdleTimer(ec, limit);
  });
}

template <typename Stream>
void StreamSession<Stream>::OnIdleTimer(const boost::system::error_code& ec, absl::Duration limit) {
  if (ec || closed_) return;
  auto now = std::chrono::steady_clock::now();
  bool heard_since =
      now < last_heard_ + std::chrono::milliseconds(absl::ToInt64Milliseconds(limit));
  // Input since, or an answer being written (the write-stall limit watches
  // that): not idle.
  if (heard_since || writing_) {
    ArmIdleTimer();
    return;
  }
  if (heard_from_peer_) {
    CloseForLimit(CloseReason::kIdle,
                  absl::StrCat("idle: no PDU for ", absl::FormatDuration(limit)));
  } else {
    CloseForLimit(CloseReason::kNoQuery,
                  absl::StrCat("no PDU within ", absl::FormatDuration(limit), " of connecting"));
  }
}

template <typename Stream>
void StreamSession<Stream>::CloseForLimit(CloseReason reason, const std::string& why) {
  ++server_.mutable_stats().closed_by_limit[static_cast<size_t>(reason)];
  Shutdown(why, /*limit=*/true);
}

template <typename Stream>
void StreamSession<Stream>::DoWrite() {
  // Gather the unwritten part of the front response.
  std::vector<asio::const_buffer> buffers;
  size_t skip = front_offset_;
  for (const Buffer& b : queue_.front()) {
    if (skip >= b->size()) {
      skip -= b->size();
      continue;
    }
    buffers.emplace_back(b->data() + skip, b->size() - skip);
    skip = 0;
  }
  stream_.async_write_some(
      buffers, [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
        self->OnWrite(ec, n);
      });
}

template <typename Stream>
void StreamSession<Stream>::OnWrite(const boost::system::error_code& ec, size_t n) {
  if (closed_) return;
  if (ec) {
    Shutdown(ec.message());
    return;
  }
  bytes_sent_ += n;
  server_.mutable_stats().bytes_sent += n;
  {
    absl::MutexLock lock(&info_mutex_);
    info_.bytes_sent = bytes_sent_;
  }
  front_offset_ += n;
  queued_bytes_ -= n;
  if (front_offset_ >= ResponseSize(queue_.front())) {
    queue_.pop_front();
    front_offset_ = 0;
  }
  if (!queue_.empty()) {
    ArmStallTimer();
    DoWrite();
    return;
  }
  writing_ = false;
  stall_timer_.cancel();
  RecordNotifyWritten();
  Pump();
  // Reading pauses while max_input_bytes of queries wait; what Pump() just
  // answered made room, so read again (and see an EOF or reset at once).
  DoRead();
}

template <typename Stream>
void StreamSession<Stream>::RecordNotifyWritten() {
  if (!notify_pending_serial_) return;
  ServerStats& stats = server_.mutable_stats();
  if (stats.publish_serial.load() == *notify_pending_serial_) {
    int64_t took = absl::GetCurrentTimeNanos() - stats.publish_time_ns.load();
    int64_t seen = stats.notify_fanout_ns.load();
    while (took > seen && !stats.notify_fanout_ns.compare_exchange_weak(seen, took)) {
    }
  }
  notify_pending_serial_.reset();
}

template <typename Stream>
void StreamSession<Stream>::Shutdown(const std::string& reason, bool limit) {
  if (closed_) return;
  closed_ = true;
  if (counted_version_) --server_.mutable_stats().sessions_by_version[*counted_version_];
  --server_.mutable_stats().sessions_by_transport[static_cast<size_t>(transport_)];
  boost::system::error_code ec;
  stall_timer_.cancel();
  idle_timer_.cancel();
  notify_timer_.cancel();
  stream_.lowest_layer().shutdown(asio::socket_base::shutdown_both, ec);
  stream_.lowest_layer().close(ec);
  std::string version = logic_.version() ? absl::StrCat("v", *logic_.version()) : "no version";
  Log(limit ? LogLevel::kWarning : LogLevel::kInfo, "session %s closed (%s, %d bytes sent): %s",
      peer_, version, bytes_sent_, reason);
  server_.Remove(id_);
}

template class StreamSession<tcp::socket>;
template class StreamSession<TlsStream>;
template class StreamSession<LocalStream>;

}  // namespace rtr42::rtr
