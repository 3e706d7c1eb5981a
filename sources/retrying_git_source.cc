#include "sources/retrying_git_source.h"

#include "absl/strings/str_cat.h"

namespace rtr42::sources {

absl::StatusOr<std::optional<RegistryDelta>> RetryingGitSource::Poll() {
  if (!git_) {
    absl::StatusOr<std::unique_ptr<GitSource>> git = GitSource::Open(options_);
    if (!git.ok()) return git.status();
    git_ = std::move(*git);
  }
  return git_->Poll();
}

std::string RetryingGitSource::Describe() const {
  return git_ ? git_->Describe() : absl::StrCat("git ", options_.location, "@", options_.ref);
}

}  // namespace rtr42::sources
