#include "nrtm4/https_fetch.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/file_util.h"

namespace rtr42::nrtm4 {
namespace {

// A name the notification may use for a file: relative, no "..", no scheme,
// and only RFC 3986 unreserved characters and '/' (so no percent-encoded
// dot segments, no query, and nothing that could end an HTTP request line).
absl::Status CheckRelative(const std::string& url) {
  bool plain = std::all_of(url.begin(), url.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
           c == '~' || c == '/';
  });
  if (url.empty() || url[0] == '/' || absl::StrContains(url, "..") || !plain) {
    return absl::InvalidArgumentError(absl::StrCat(
        "file URL '", absl::CHexEscape(url),
        "' is not a plain path relative to the Update Notification File (section 6.3)"));
  }
  return absl::OkStatus();
}

std::string DirOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

class LocalFetcher : public Fetcher {
 public:
  explicit LocalFetcher(std::string path) : path_(std::move(path)) {}
  absl::StatusOr<NotificationFetch> GetNotification(const http::Validators&) override {
    absl::StatusOr<std::string> text = ReadFile(path_);
    if (!text.ok()) return text.status();
    NotificationFetch out;
    out.body = std::move(*text);
    return out;
  }
  absl::StatusOr<std::string> GetFile(const std::string& url, const std::string&) override {
    if (absl::Status s = CheckRelative(url); !s.ok()) return s;
    return DirOf(path_) + url;
  }
  bool is_remote() const override { return false; }

 private:
  std::string path_;
};

class HttpsFetcher : public Fetcher {
 public:
  HttpsFetcher(http::HttpsUrl url, FetchOptions options)
      : url_(url.ToString()),
        base_(std::move(url)),
        client_(options.https),
        max_notification_bytes_(options.max_notification_bytes) {}

  absl::StatusOr<NotificationFetch> GetNotification(const http::Validators& if_changed) override {
    NotificationFetch out;
    absl::StatusOr<http::FetchResult> r =
        client_.Get(url_, &out.body, if_changed, max_notification_bytes_);
    if (!r.ok()) return r.status();
    out.not_modified = r->not_modified;
    out.validators = r->validators;
    if (!r->not_modified) {
      absl::StatusOr<http::HttpsUrl> found = http::ParseHttpsUrl(r->url);
      if (found.ok()) base_ = std::move(*found);
    }
    return out;
  }
  absl::StatusOr<std::string> GetFile(const std::string& url, const std::string& scratch) override {
    if (absl::Status s = CheckRelative(url); !s.ok()) return s;
    absl::StatusOr<http::HttpsUrl> target = http::ResolveHttpsUrl(base_, url);
    if (!target.ok()) return target.status();
    absl::StatusOr<http::FetchResult> r = client_.Download(target->ToString(), scratch);
    if (!r.ok()) return r.status();
    return scratch;
  }
  bool is_remote() const override { return true; }

 private:
  std::string url_;      // as configured
  http::HttpsUrl base_;  // where the notification was last found
  http::HttpsClient client_;
  uint64_t max_notification_bytes_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Fetcher>> Fetcher::Create(const std::string& url,
                                                         FetchOptions options) {
  if (absl::StartsWithIgnoreCase(url, "https://")) {
    absl::StatusOr<http::HttpsUrl> parsed = http::ParseHttpsUrl(url);
    if (!parsed.ok()) return parsed.status();
    return std::unique_ptr<Fetcher>(new HttpsFetcher(std::move(*parsed), std::move(options)));
  }
  if (absl::StrContains(url, "://") && !absl::StartsWith(url, "file://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        url,
        ": NRTMv4 is fetched over HTTPS only (section 11), or from local files (section 9.4)"));
  }
  std::string path = absl::StartsWith(url, "file://") ? url.substr(7) : url;
  if (path.empty()) return absl::InvalidArgumentError("empty Update Notification File path");
  return std::unique_ptr<Fetcher>(new LocalFetcher(std::move(path)));
}

}  // namespace rtr42::nrtm4
