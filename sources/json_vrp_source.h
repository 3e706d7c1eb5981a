// JsonVrpSource: a StayRTR / rpki-client VRP JSON (roa/vrp_format.h), from a
// file or an https:// URL.
//
// A file is read again whenever its file stamp changes. A URL is fetched at
// every poll with the HTTPS client of http/client.h (certificate checked,
// gzip Content-Encoding accepted); once a body has been taken, the request
// is conditional (If-None-Match / If-Modified-Since), so an unchanged file
// costs the server a 304. A file or body that is missing, cannot be fetched
// or does not parse is an error, and the last one taken stays the source's
// set (the validators of a body that did not parse are not kept, so it is
// fetched whole again).
//
// A set whose metadata.generated is older than `max_age` is served all the
// same, with a warning in its snapshot (refusing it, as StayRTR's
// -checktime does, takes a working cache down because a generator stalled).
#ifndef RTR42_SOURCES_JSON_VRP_SOURCE_H_
#define RTR42_SOURCES_JSON_VRP_SOURCE_H_

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "base/file_stamp.h"
#include "http/client.h"
#include "roa/vrp_format.h"
#include "sources/vrp_source.h"

namespace rtr42::sources {

struct JsonSourceOptions {
  std::string location;       // a file path or an https:// URL
  http::ClientOptions https;  // for a URL
  absl::Duration max_age = absl::Hours(24);
};

// True if `location` names a URL rather than a file.
bool IsUrl(const std::string& location);

class JsonVrpSource : public VrpSource {
 public:
  explicit JsonVrpSource(JsonSourceOptions options);
  // A file, with the default options (tests).
  explicit JsonVrpSource(std::string path);

  absl::StatusOr<std::optional<VrpSnapshot>> Poll() override;
  std::string Describe() const override { return "json " + options_.location; }
  bool is_remote() const override { return url_; }

 private:
  absl::StatusOr<std::optional<VrpSnapshot>> PollFile();
  absl::StatusOr<std::optional<VrpSnapshot>> PollUrl();
  // The snapshot of a parsed set, with its age checked.
  VrpSnapshot Snapshot(roa::VrpSet set, const roa::VrpJsonMetadata& metadata,
                       const std::string& revision, absl::Time start) const;

  const JsonSourceOptions options_;
  const bool url_;
  std::optional<FileStamp> loaded_;  // the stamp of the file last read
  http::HttpsClient client_;
  http::Validators validators_;  // of the body last taken
};

}  // namespace rtr42::sources

#endif  // RTR42_SOURCES_JSON_VRP_SOURCE_H_
