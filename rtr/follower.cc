#include "rtr/follower.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/log.h"

namespace rtr42::rtr {

namespace {
// A cache that closes a version 2 query unanswered is asked at version 1
// at once (StayRTR 0.6: rtr/client.h).
RtrClient::Options WithSilentCloseRetry(RtrClient::Options options) {
  options.retry_v1_on_silent_close = true;
  return options;
}
}  // namespace

CacheFollower::CacheFollower(RtrClient::Options client)
    : options_(WithSilentCloseRetry(std::move(client))) {
  {
    absl::MutexLock lock(&mutex_);
    state_.expire = absl::Seconds(Timers{}.expire);
  }
  thread_ = std::thread([this] { Run(); });
}

CacheFollower::~CacheFollower() {
  {
    absl::MutexLock lock(&mutex_);
    stop_ = true;
  }
  thread_.join();
}

std::string CacheFollower::address() const { return options_.host + ":" + options_.port; }

void CacheFollower::SetOnChange(std::function<void()> on_change) {
  absl::MutexLock lock(&mutex_);
  on_change_ = std::move(on_change);
}

CacheFollower::State CacheFollower::state() const {
  absl::MutexLock lock(&mutex_);
  return state_;
}

void CacheFollower::Changed() {
  std::function<void()> on_change;
  {
    absl::MutexLock lock(&mutex_);
    on_change = on_change_;
  }
  if (on_change) on_change();
}

bool CacheFollower::Stopping() const {
  absl::MutexLock lock(&mutex_);
  return stop_;
}

std::string CacheFollower::Expired() const {
  absl::MutexLock lock(&mutex_);
  if (!state_.set || state_.error.empty()) return "";
  absl::Duration silent = absl::Now() - state_.last_answer;
  if (silent <= state_.expire) return "";
  return absl::StrCat("cache ", address(), " has not answered for ",
                      absl::FormatDuration(absl::Trunc(silent, absl::Seconds(1))),
                      ", longer than the expire interval it gave (",
                      absl::FormatDuration(state_.expire), ")");
}

void CacheFollower::Run() {
  absl::Duration backoff = absl::Seconds(1);
  while (!Stopping()) {
    absl::Time start = absl::Now();
    absl::Status ended = Session();
    if (Stopping()) return;
    {
      absl::MutexLock lock(&mutex_);
      state_.error = absl::StrCat(address(), ": ", ended.message());
    }
    Changed();  // the failure is seen now
    // A session that lasted resets the back-off.
    if (absl::Now() - start > kMaxBackoff) backoff = absl::Seconds(1);
    absl::MutexLock lock(&mutex_);
    mutex_.AwaitWithTimeout(absl::Condition(&stop_), backoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

absl::Status CacheFollower::Session() {
  absl::StatusOr<std::unique_ptr<RtrClient>> connected = RtrClient::Connect(options_);
  if (!connected.ok()) return connected.status();
  RtrClient& client = **connected;
  absl::Time start = absl::Now();
  absl::StatusOr<RtrClient::SyncResult> sync = client.Reset();
  if (!sync.ok()) return sync.status();
  RTR42_LOG_INFO(
      "cache %s: RTR version %d, session %d, serial %d: %d VRPs, %d ASPAs, %d Router Keys",
      address(), client.version(), client.session_id(), client.serial(), client.size(),
      client.aspa_count(), client.router_key_count());
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
      state_.last_answer = absl::Now();
    }
    if (sync->reset || sync->announced > 0 || sync->withdrawn > 0) Take(client, start);
  }
}

void CacheFollower::Take(const RtrClient& client, absl::Time start) {
  auto set = std::make_shared<const roa::VrpSet>(client.set());
  {
    absl::MutexLock lock(&mutex_);
    state_.set = std::move(set);
    ++state_.version;
    state_.revision = absl::StrFormat("rtr %s session %d serial %d", address(), client.session_id(),
                                      client.serial());
    state_.rtr_version = client.version();
    state_.session_id = client.session_id();
    state_.serial = client.serial();
    state_.seconds = absl::ToDoubleSeconds(absl::Now() - start);
    state_.error.clear();
    state_.last_answer = absl::Now();
    if (client.timers()) state_.expire = absl::Seconds(client.timers()->expire);
  }
  Changed();
}

}  // namespace rtr42::rtr
