// RetryingGitSource: clone retry. A remote registry that could not be cloned
// when the daemon started (the remote was down; rtr42d serves its saved state
// meanwhile) is cloned again by every Poll() until that works; from then on
// it is the GitSource it opened.
#ifndef RTR42_SOURCES_RETRYING_GIT_SOURCE_H_
#define RTR42_SOURCES_RETRYING_GIT_SOURCE_H_

#include <memory>

#include "sources/git_source.h"

namespace rtr42::sources {

class RetryingGitSource : public RegistrySource {
 public:
  explicit RetryingGitSource(GitSourceOptions options) : options_(std::move(options)) {}

  absl::StatusOr<std::optional<RegistryDelta>> Poll() override;
  void Confirm() override {
    if (git_) git_->Confirm();
  }
  std::string Describe() const override;
  bool is_remote() const override { return true; }

 private:
  GitSourceOptions options_;
  std::unique_ptr<GitSource> git_;  // null until a clone worked
};

}  // namespace rtr42::sources

#endif  // RTR42_SOURCES_RETRYING_GIT_SOURCE_H_
