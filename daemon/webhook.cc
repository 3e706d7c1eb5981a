#include "daemon/webhook.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/file_util.h"
#include "base/log.h"

namespace rtr42::daemon {
namespace {

namespace bh = boost::beast::http;

std::string Header(const http::Request& request, absl::string_view name) {
  auto it = request.find(boost::beast::string_view(name.data(), name.size()));
  if (it == request.end()) return "";
  return std::string(it->value());
}

}  // namespace

absl::StatusOr<std::string> ReadWebhookSecret(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  std::string secret(absl::StripAsciiWhitespace(text->substr(0, text->find('\n'))));
  if (secret.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": the webhook secret is empty"));
  }
  return secret;
}

bool WebhookSignatureMatches(absl::string_view secret, absl::string_view body,
                             absl::string_view signature) {
  signature = absl::StripAsciiWhitespace(signature);
  if (absl::StartsWithIgnoreCase(signature, "sha256=")) signature.remove_prefix(7);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac,
           &mac_size) == nullptr) {
    return false;
  }
  std::string want =
      absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(mac), mac_size));
  std::string given = absl::AsciiStrToLower(signature);
  return given.size() == want.size() && CRYPTO_memcmp(given.data(), want.data(), want.size()) == 0;
}

Webhook::Webhook(std::string secret, std::function<void()> poll)
    : secret_(std::move(secret)), poll_(std::move(poll)) {}

Webhook::Stats Webhook::stats() const {
  absl::MutexLock lock(&mutex_);
  return stats_;
}

http::Response Webhook::Handle(const http::Request& request) {
  using http::HttpServer;
  absl::Time now = absl::Now();
  {
    absl::MutexLock lock(&mutex_);
    if (now - window_start_ >= absl::Minutes(1)) {
      window_start_ = now;
      window_calls_ = 0;
    }
    if (++window_calls_ > kMaxPerMinute) {
      ++stats_.rate_limited;
      int64_t wait = absl::ToInt64Seconds(
          absl::Ceil(window_start_ + absl::Minutes(1) - now, absl::Seconds(1)));
      http::Response r =
          HttpServer::Make(request, bh::status::too_many_requests, "text/plain",
                           absl::StrCat("more than ", kMaxPerMinute, " calls a minute\n"));
      r.set(bh::field::retry_after, absl::StrCat(std::max<int64_t>(wait, 1)));
      return r;
    }
  }
  std::string signature = Header(request, "X-Hub-Signature-256");
  if (signature.empty()) signature = Header(request, "X-Gitea-Signature");
  if (signature.empty()) signature = Header(request, "X-Gogs-Signature");
  if (signature.empty() || !WebhookSignatureMatches(secret_, request.body(), signature)) {
    absl::MutexLock lock(&mutex_);
    ++stats_.bad_signature;
    ++unlogged_refusals_;
    if (now - last_refusal_log_ >= absl::Minutes(1)) {
      RTR42_LOG_WARNING("webhook: refused %d call(s): %s (the last: %d bytes, agent '%s')",
                        unlogged_refusals_,
                        signature.empty() ? "no signature header" : "the signature is wrong",
                        request.body().size(), Header(request, "User-Agent"));
      last_refusal_log_ = now;
      unlogged_refusals_ = 0;
    }
    return HttpServer::Make(request, bh::status::unauthorized, "text/plain",
                            signature.empty() ? "no signature (X-Hub-Signature-256 or "
                                                "X-Gitea-Signature)\n"
                                              : "bad signature\n");
  }
  std::string event = Header(request, "X-GitHub-Event");
  if (event.empty()) event = Header(request, "X-Gitea-Event");
  {
    absl::MutexLock lock(&mutex_);
    ++stats_.accepted;
  }
  if (event == "ping") {
    RTR42_LOG_INFO("webhook: ping from '%s'", Header(request, "User-Agent"));
    return HttpServer::Make(request, bh::status::ok, "text/plain", "pong\n");
  }
  RTR42_LOG_INFO("webhook: %s event: polling the sources now", event.empty() ? "a" : event);
  poll_();
  return HttpServer::Make(request, bh::status::accepted, "text/plain", "polling\n");
}

}  // namespace rtr42::daemon
