// Fetcher: gets the files of one NRTMv4 feed, over HTTPS or from local files.
//
// Section 8.3 of the draft allows local files but never a mix: a Fetcher is
// made for the Update Notification File's location, and every file it is
// asked for is resolved relative to that location and must use the same
// means (an absolute URL elsewhere, or plain HTTP, is refused; section 9).
// HTTPS is Boost.Beast over OpenSSL, with the peer's certificate checked
// against `ca_file` (or the system's CAs) and the host name.
#ifndef RTR42_NRTM4_HTTPS_FETCH_H_
#define RTR42_NRTM4_HTTPS_FETCH_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace rtr42::nrtm4 {

class Fetcher {
 public:
  struct Options {
    std::string ca_file;
    absl::Duration timeout = absl::Seconds(60);
    uint64_t max_notification_bytes = 16 << 20;
    // A snapshot or delta larger than this is refused (a full IRR's
    // snapshot is a few hundred MB).
    uint64_t max_file_bytes = uint64_t{16} << 30;
  };
  // `notification_url`: https://host[:port]/path, file:///path or a path.
  static absl::StatusOr<std::unique_ptr<Fetcher>> Create(const std::string& notification_url,
                                                         Options options);
  virtual ~Fetcher() = default;

  // The Update Notification File.
  virtual absl::StatusOr<std::string> GetNotification() = 0;
  // A file named by the notification: downloaded into `scratch_path`, or for
  // a local feed the file itself. Returns the path to read.
  virtual absl::StatusOr<std::string> GetFile(const std::string& relative_url,
                                              const std::string& scratch_path) = 0;
  virtual bool is_remote() const = 0;
};

}  // namespace rtr42::nrtm4

#endif  // RTR42_NRTM4_HTTPS_FETCH_H_
