// PolicyFilesSource: the --filter/--filter6 override. It wraps another
// RegistrySource so that the policy (dn42 filter.txt / filter6.txt) comes
// from local files instead: the inner source's own filter files are dropped
// from its deltas, and a change to one of ours (by its file stamp) is a
// change of the delta. An NRTMv4 feed carries no filter files, so this is
// how a mirror gets dn42's policy.
//
// Either path may be empty: that family keeps the inner source's policy (or
// none). A file that cannot be read is an error of Poll(), and nothing is
// confirmed.
#ifndef RTR42_SOURCES_POLICY_FILES_SOURCE_H_
#define RTR42_SOURCES_POLICY_FILES_SOURCE_H_

#include <memory>
#include <string>

#include "base/file_stamp.h"
#include "sources/registry_source.h"

namespace rtr42::sources {

class PolicyFilesSource : public RegistrySource {
 public:
  PolicyFilesSource(std::unique_ptr<RegistrySource> inner, std::string filter4,
                    std::string filter6);

  absl::StatusOr<std::optional<RegistryDelta>> Poll() override;
  void Confirm() override;
  std::string Describe() const override;
  bool is_remote() const override { return inner_->is_remote(); }

 private:
  struct PolicyFile {
    std::string local_path;     // ours; empty: not overridden
    const char* registry_path;  // the file it replaces, roa::kFilterPath or kFilter6Path
    std::optional<FileStamp> confirmed, pending;
  };
  // True if `path` is a registry filter file that one of ours replaces.
  bool Replaced(const std::string& path) const;

  std::unique_ptr<RegistrySource> inner_;
  PolicyFile files_[2];
  bool inner_pending_ = false;
  std::string revision_, pending_revision_;
};

}  // namespace rtr42::sources

#endif  // RTR42_SOURCES_POLICY_FILES_SOURCE_H_
