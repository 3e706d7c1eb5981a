// DirectorySource: the registry as a plain directory holding data/route,
// data/route6 and the filter files (a work tree, an unpacked export).
//
// Each Poll() stamps every file (base/file_stamp.h) and reads only those
// whose stamp changed since the confirmed state; a file gone is a deletion.
// A root without data/ is an error. Like git, it does not follow symbolic
// links: a link (or anything but a plain file) among the route objects is
// skipped, with a warning when their number changes.
#ifndef RTR42_SOURCES_DIRECTORY_SOURCE_H_
#define RTR42_SOURCES_DIRECTORY_SOURCE_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "base/file_stamp.h"
#include "sources/registry_source.h"

namespace rtr42::sources {

class DirectorySource : public RegistrySource {
 public:
  explicit DirectorySource(std::string root) : root_(std::move(root)) {}

  absl::StatusOr<std::optional<RegistryDelta>> Poll() override;
  void Confirm() override;
  std::string Describe() const override { return "directory " + root_; }

 private:
  using Stamps = absl::flat_hash_map<std::string, FileStamp>;  // by registry path
  struct Scan {
    Stamps stamps;
    int skipped = 0;  // links and other non-files
  };
  absl::StatusOr<Scan> StampAll() const;

  std::string root_;
  int skipped_logged_ = 0;
  bool confirmed_once_ = false;
  Stamps confirmed_, pending_;
};

}  // namespace rtr42::sources

#endif  // RTR42_SOURCES_DIRECTORY_SOURCE_H_
