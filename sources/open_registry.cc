#include "sources/open_registry.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "sources/directory_source.h"
#include "sources/git_source.h"
#include "sources/retrying_git_source.h"
#include "sources/sample_source.h"

namespace rtr42::sources {

absl::StatusOr<std::unique_ptr<RegistrySource>> OpenRegistrySource(const std::string& location,
                                                                   const std::string& ref,
                                                                   const std::string& cache_dir) {
  if (location.empty()) {
    if (!ref.empty() && ref != "HEAD") {
      return absl::InvalidArgumentError("a ref needs a registry (the embedded sample has none)");
    }
    return std::make_unique<SampleSource>();
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  bool url = GitSource::IsUrl(location);
  bool is_git = url || fs::exists(fs::path(location) / ".git", ec) ||
                (fs::exists(fs::path(location) / "HEAD", ec) &&
                 fs::is_directory(fs::path(location) / "objects", ec));
  if (is_git) {
    GitSourceOptions options;
    options.location = location;
    options.ref = ref.empty() ? "HEAD" : ref;
    options.cache_dir = cache_dir;
    absl::StatusOr<std::unique_ptr<GitSource>> git = GitSource::Open(options);
    if (!git.ok()) {
      // A remote may be down for a while; a local path that fails is a mistake.
      if (url) return std::unique_ptr<RegistrySource>(new RetryingGitSource(options));
      return git.status();
    }
    return std::unique_ptr<RegistrySource>(std::move(*git));
  }
  if (!fs::is_directory(location, ec)) {
    return absl::NotFoundError(absl::StrCat(location, ": no such directory or repository"));
  }
  if (!ref.empty() && ref != "HEAD") {
    return absl::InvalidArgumentError(
        absl::StrCat(location, " is a plain directory, so --ref cannot apply"));
  }
  return std::make_unique<DirectorySource>(location);
}

}  // namespace rtr42::sources
