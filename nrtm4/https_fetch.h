// Fetcher: gets the files of one NRTMv4 feed, over HTTPS or from local files.
//
// Section 9.4 of RFC 10063 allows local files but never a mix: a Fetcher is
// made for the Update Notification File's location, and every file it is
// asked for is resolved relative to that location and must use the same
// means (an absolute URL elsewhere, or plain HTTP, is refused; section 11).
// HTTPS goes through http::HttpsClient (certificate and host name checked,
// redirects to https followed, timeouts, size caps); after a redirect, files
// are resolved relative to where the notification was found.
#ifndef RTR42_NRTM4_HTTPS_FETCH_H_
#define RTR42_NRTM4_HTTPS_FETCH_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "http/client.h"

namespace rtr42::nrtm4 {

struct FetchOptions {
  http::ClientOptions https;  // max_body_bytes caps a snapshot or delta file
  uint64_t max_notification_bytes = 16 << 20;
};

// One fetch of the Update Notification File.
struct NotificationFetch {
  bool not_modified = false;  // a conditional request was answered 304
  std::string body;
  http::Validators validators;  // for the next conditional request
};

class Fetcher {
 public:
  // `notification_url`: https://host[:port]/path, file:///path or a path.
  static absl::StatusOr<std::unique_ptr<Fetcher>> Create(const std::string& notification_url,
                                                         FetchOptions options);
  virtual ~Fetcher() = default;

  // The Update Notification File; with non-empty `if_changed` (what an
  // earlier fetch returned) a conditional request, which may answer
  // not_modified. Local files are always read.
  virtual absl::StatusOr<NotificationFetch> GetNotification(const http::Validators& if_changed) = 0;
  // A file named by the notification: downloaded into `scratch_path`, or for
  // a local feed the file itself. Returns the path to read.
  virtual absl::StatusOr<std::string> GetFile(const std::string& relative_url,
                                              const std::string& scratch_path) = 0;
  virtual bool is_remote() const = 0;
};

}  // namespace rtr42::nrtm4

#endif  // RTR42_NRTM4_HTTPS_FETCH_H_
