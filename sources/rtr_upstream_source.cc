#include "sources/rtr_upstream_source.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/log.h"

namespace rtr42::sources {

RtrUpstreamSource::RtrUpstreamSource(rtr::RtrClient::Options client)
    : options_(std::move(client)), expire_(absl::Seconds(rtr::Timers{}.expire)) {
  thread_ = std::thread([this] { Run(); });
}

RtrUpstreamSource::~RtrUpstreamSource() {
  {
    absl::MutexLock lock(&mutex_);
    stop_ = true;
  }
  thread_.join();
}

std::string RtrUpstreamSource::Describe() const {
  return absl::StrCat("rtr ", options_.tls ? "tls " : "", options_.host, ":", options_.port);
}

void RtrUpstreamSource::SetWakeup(std::function<void()> wakeup) {
  absl::MutexLock lock(&mutex_);
  wakeup_ = std::move(wakeup);
}

void RtrUpstreamSource::Wake() {
  std::function<void()> wakeup;
  {
    absl::MutexLock lock(&mutex_);
    wakeup = wakeup_;
  }
  if (wakeup) wakeup();
}

bool RtrUpstreamSource::Stopping() const {
  absl::MutexLock lock(&mutex_);
  return stop_;
}

absl::StatusOr<std::optional<VrpSnapshot>> RtrUpstreamSource::Poll() {
  absl::MutexLock lock(&mutex_);
  if (version_ != polled_version_) {  // a new set, even if the session has failed since
    polled_version_ = version_;
    VrpSnapshot snapshot;
    snapshot.set = set_;
    snapshot.revision = revision_;
    snapshot.seconds = seconds_;
    return snapshot;
  }
  if (!error_.empty()) return absl::UnavailableError(error_);
  return std::nullopt;
}

std::string RtrUpstreamSource::Expired() const {
  absl::MutexLock lock(&mutex_);
  if (!set_ || error_.empty()) return "";
  absl::Duration silent = absl::Now() - last_answer_;
  if (silent <= expire_) return "";
  return absl::StrCat("upstream ", options_.host, ":", options_.port, " has not answered for ",
                      absl::FormatDuration(absl::Trunc(silent, absl::Seconds(1))),
                      ", longer than the expire interval it gave (", absl::FormatDuration(expire_),
                      ")");
}

void RtrUpstreamSource::Run() {
  absl::Duration backoff = absl::Seconds(1);
  while (!Stopping()) {
    absl::Time start = absl::Now();
    absl::Status ended = Session();
    if (Stopping()) return;
    {
      absl::MutexLock lock(&mutex_);
      error_ = absl::StrCat(options_.host, ":", options_.port, ": ", ended.message());
    }
    Wake();  // the loop sees the failure now
    // A session that lasted resets the back-off.
    if (absl::Now() - start > kMaxBackoff) backoff = absl::Seconds(1);
    absl::MutexLock lock(&mutex_);
    mutex_.AwaitWithTimeout(absl::Condition(&stop_), backoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

absl::Status RtrUpstreamSource::Session() {
  absl::StatusOr<std::unique_ptr<rtr::RtrClient>> connected = rtr::RtrClient::Connect(options_);
  if (!connected.ok()) return connected.status();
  rtr::RtrClient& client = **connected;
  absl::Time start = absl::Now();
  absl::StatusOr<rtr::RtrClient::SyncResult> sync = client.Reset();
  if (!sync.ok()) return sync.status();
  RTR42_LOG_INFO(
      "upstream %s:%s: RTR version %d, session %d, serial %d: %d VRPs, %d ASPAs, %d "
      "Router Keys",
      options_.host, options_.port, client.version(), client.session_id(), client.serial(),
      client.size(), client.aspa_count(), client.router_key_count());
  Take(client, start);
  while (true) {
    absl::Duration refresh = absl::Seconds(client.timers() ? client.timers()->refresh : 3600);
    absl::Time due = absl::Now() + refresh;
    bool notified = false;
    while (!notified && absl::Now() < due) {
      if (Stopping()) return absl::CancelledError("stopping");
      absl::StatusOr<bool> n = client.WaitForNotify(std::min(absl::Seconds(1), due - absl::Now()));
      if (!n.ok()) return n.status();
      notified = *n;
    }
    start = absl::Now();
    sync = client.Refresh();
    if (!sync.ok()) return sync.status();
    {
      absl::MutexLock lock(&mutex_);
      last_answer_ = absl::Now();
    }
    if (sync->reset || sync->announced > 0 || sync->withdrawn > 0) Take(client, start);
  }
}

void RtrUpstreamSource::Take(const rtr::RtrClient& client, absl::Time start) {
  auto set = std::make_shared<const roa::VrpSet>(client.set());
  {
    absl::MutexLock lock(&mutex_);
    set_ = std::move(set);
    ++version_;
    revision_ = absl::StrFormat("rtr %s:%s session %d serial %d", options_.host, options_.port,
                                client.session_id(), client.serial());
    seconds_ = absl::ToDoubleSeconds(absl::Now() - start);
    error_.clear();
    last_answer_ = absl::Now();
    if (client.timers()) expire_ = absl::Seconds(client.timers()->expire);
  }
  Wake();
}

}  // namespace rtr42::sources
