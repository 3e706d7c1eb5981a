// JsonVrpSource: a StayRTR / rpki-client VRP JSON file (roa/vrp_format.h),
// read again whenever its file stamp changes. A file that is missing or does
// not parse is an error, and the stamp is kept, so it is read again later.
#ifndef RTR42_SOURCES_JSON_VRP_SOURCE_H_
#define RTR42_SOURCES_JSON_VRP_SOURCE_H_

#include <string>

#include "base/file_stamp.h"
#include "sources/vrp_source.h"

namespace rtr42::sources {

class JsonVrpSource : public VrpSource {
 public:
  explicit JsonVrpSource(std::string path) : path_(std::move(path)) {}
  absl::StatusOr<std::optional<VrpSnapshot>> Poll() override;
  std::string Describe() const override { return "json " + path_; }

 private:
  std::string path_;
  std::optional<FileStamp> loaded_;  // the stamp of the file last read
};

}  // namespace rtr42::sources

#endif  // RTR42_SOURCES_JSON_VRP_SOURCE_H_
