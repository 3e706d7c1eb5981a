// Webhook: POST /api/v1/refresh, which a git forge calls on a push, polls
// every source at once instead of at the next --poll-interval.
//
// The call must be signed with the shared secret (--webhook-secret-file):
// HMAC-SHA256 of the raw body, in hex, in Gitea's (and Forgejo's)
// X-Gitea-Signature, Gogs' X-Gogs-Signature or GitHub's
// X-Hub-Signature-256 ("sha256=" and the hex), compared in constant time.
// The body is not otherwise read: whatever was pushed, the sources are
// polled (a poll of an unchanged remote is one fetch), so the payload's
// format (JSON or form) does not matter.
//
// Answers: 202 (polled; calls that come before that poll began are one
// poll), 200 for a forge's test event ("ping"), 401 for a missing or wrong
// signature (logged at most once a minute, counted), 429 with Retry-After
// beyond kMaxPerMinute calls a minute, valid or not. Counted by result for
// /metrics (rtr42_webhook_requests_total).
#ifndef RTR42_DAEMON_WEBHOOK_H_
#define RTR42_DAEMON_WEBHOOK_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "http/server.h"

namespace rtr42::daemon {

// The secret from `path`: its first line, which must not be empty.
absl::StatusOr<std::string> ReadWebhookSecret(const std::string& path);

// Is `signature` (the header's value: hex, or "sha256=" and hex) the
// HMAC-SHA256 of `body` under `secret`?
bool WebhookSignatureMatches(absl::string_view secret, absl::string_view body,
                             absl::string_view signature);

class Webhook {
 public:
  static constexpr int kMaxPerMinute = 60;
  struct Stats {
    uint64_t accepted = 0;  // polled (or pinged)
    uint64_t bad_signature = 0;
    uint64_t rate_limited = 0;
  };

  // `poll` is called for each accepted push (SourceLoop::PollNow).
  Webhook(std::string secret, std::function<void()> poll);

  // The handler of POST /api/v1/refresh.
  http::Response Handle(const http::Request& request);
  Stats stats() const;

 private:
  const std::string secret_;
  const std::function<void()> poll_;
  mutable absl::Mutex mutex_;
  Stats stats_ ABSL_GUARDED_BY(mutex_);
  absl::Time window_start_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
  int window_calls_ ABSL_GUARDED_BY(mutex_) = 0;
  absl::Time last_refusal_log_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
  uint64_t unlogged_refusals_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace rtr42::daemon

#endif  // RTR42_DAEMON_WEBHOOK_H_
