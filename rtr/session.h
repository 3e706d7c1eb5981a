// Session: one router's connection (TCP, TLS, or an SSH channel bridged to a
// local socket), driving a SessionLogic.
//
// Every handler runs on the session's strand and is a named member function
// (OnRead, OnWrite, OnStallTimer, OnIdleTimer, OnNotifyTimer). Reading goes on
// while a response is written (so a closed connection is seen at once), but
// the next query is only handled when the previous response has been
// written, so the write queue holds at most one response, an Error Report
// and a Serial Notify. Serial Notify is sent only between responses, at most
// once per NotifyPacer interval (one minute, RFC 8210 section 8.2), and
// coalesced: the updates it waited for give one notify of the newest serial.
#ifndef RTR42_RTR_SESSION_H_
#define RTR42_RTR_SESSION_H_

#include <array>
#include <boost/asio/ssl.hpp>
#include <deque>
#include <memory>
#include <string>

#include "rtr/notify_pacer.h"
#include "rtr/server.h"
#include "rtr/session_logic.h"

namespace rtr42::rtr {

// What the server holds of a session, whatever its transport.
class Session {
 public:
  virtual ~Session() = default;
  // Starts reading; the session takes the server's current update on its
  // strand, so an update published meanwhile is never overtaken.
  virtual void Start() = 0;
  // Any thread.
  virtual void OnUpdate(std::shared_ptr<const EncodedUpdate> update) = 0;
  virtual void Close(std::string reason) = 0;
  // Any thread: sends the version 2 session the Error Report `code` (Cache
  // Restart or Cache Shutdown, 8210bis sections 8.5 and 8.6) once the
  // current write is done, then closes; other versions just close.
  virtual void Farewell(ErrorCode code, std::string text) = 0;
  virtual const std::string& peer() const = 0;
  // Any thread.
  SessionInfo info() const {
    absl::MutexLock lock(&info_mutex_);
    return info_;
  }

 protected:
  // The session's strand keeps it up to date; the status page reads it.
  mutable absl::Mutex info_mutex_;
  SessionInfo info_ ABSL_GUARDED_BY(info_mutex_);
};

// `Stream` is tcp::socket, TlsStream (already handshaken) or LocalStream
// (an SSH channel's bridge); `peer` names it in the log. `server` must
// outlive the session (Server::Stop closes every session first).
template <typename Stream>
class StreamSession : public Session, public std::enable_shared_from_this<StreamSession<Stream>> {
 public:
  StreamSession(Stream stream, Server& server, uint64_t id, std::string peer, Transport transport);

  void Start() override;
  void OnUpdate(std::shared_ptr<const EncodedUpdate> update) override;
  void Close(std::string reason) override;
  void Farewell(ErrorCode code, std::string text) override;
  const std::string& peer() const override { return peer_; }

 private:
  using std::enable_shared_from_this<StreamSession<Stream>>::shared_from_this;

  void DoRead();
  void OnRead(const boost::system::error_code& ec, size_t n);
  void Pump();
  void Enqueue(Response response);
  void DoWrite();
  void OnWrite(const boost::system::error_code& ec, size_t n);
  void ArmStallTimer();
  void OnStallTimer(const boost::system::error_code& ec);
  // Arms the idle timer: the first PDU must come within first_query_timeout
  // of connecting, each later one within idle_timeout of the one before.
  void ArmIdleTimer();
  void OnIdleTimer(const boost::system::error_code& ec, absl::Duration limit);
  void CloseForLimit(CloseReason reason, const std::string& why);
  void MaybeNotify();
  void OnNotifyTimer(const boost::system::error_code& ec);
  // Closes the connection and logs one line (a warning when a limit closed it).
  void Shutdown(const std::string& reason, bool limit = false);
  void RecordNotifyWritten();

  Stream stream_;
  Server& server_;
  const uint64_t id_;
  const std::string peer_;
  const Transport transport_;
  asio::steady_timer stall_timer_;
  asio::steady_timer idle_timer_;
  asio::steady_timer notify_timer_;
  bool notify_timer_armed_ = false;
  NotifyPacer pacer_;
  std::string farewell_reason_;                       // a Farewell() is being written; then close
  bool stall_reported_ = false;                       // Transport Failure queued after a stall
  bool heard_from_peer_ = false;                      // any byte received
  std::chrono::steady_clock::time_point last_heard_;  // last byte received (or connected)
  SessionLogic logic_;
  std::shared_ptr<const EncodedUpdate> current_;
  std::array<char, 4096> read_buffer_;
  bool reading_ = false;
  bool closing_ = false;  // close once the queue is written
  bool closed_ = false;
  std::deque<Response> queue_;
  size_t front_offset_ = 0;  // bytes of queue_.front() already written
  size_t queued_bytes_ = 0;  // unwritten bytes in queue_
  bool writing_ = false;
  uint64_t bytes_sent_ = 0;
  uint64_t queries_ = 0;
  std::optional<uint8_t> counted_version_;         // counted in sessions_by_version
  std::optional<uint32_t> notify_pending_serial_;  // a notify being written
};

using TcpSession = StreamSession<tcp::socket>;
using TlsSession = StreamSession<TlsStream>;
using SshSession = StreamSession<LocalStream>;

}  // namespace rtr42::rtr

#endif  // RTR42_RTR_SESSION_H_
