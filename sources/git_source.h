// GitSource: the registry from a git repository, read with libgit2.
//
// `location` is a local repository (bare or with a work tree; the work tree is
// never read) or a URL, which is cloned bare into `cache_dir` and fetched on
// every Poll(). `ref` is a branch, tag, commit or any rev-parse expression
// (default HEAD). Blobs are read from the commit's tree; an update diffs the
// old and new trees and reads only the route objects and filter files that
// changed.
#ifndef RTR42_SOURCES_GIT_SOURCE_H_
#define RTR42_SOURCES_GIT_SOURCE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sources/registry_source.h"

namespace rtr42::sources {

struct GitSourceOptions {
  std::string location;
  std::string ref = "HEAD";
  // Where a URL is cloned to; empty: $XDG_CACHE_HOME/rtr42 or ~/.cache/rtr42.
  std::string cache_dir;
};

class GitSource : public RegistrySource {
 public:
  static absl::StatusOr<std::unique_ptr<GitSource>> Open(GitSourceOptions options);
  ~GitSource() override;

  absl::StatusOr<std::optional<RegistryDelta>> Poll() override;
  void Confirm() override;
  std::string Describe() const override;
  bool is_remote() const override { return remote_; }

  // Resolves a rev-parse expression to a commit id (hex).
  absl::StatusOr<std::string> ResolveCommit(const std::string& rev) const;
  // The best common ancestor of two commits (git merge-base): what a pull
  // request's "BASE...HEAD" compares HEAD with.
  absl::StatusOr<std::string> MergeBase(const std::string& a, const std::string& b) const;
  // The delta between two commits (`from` empty: a full delta of `to`). It
  // names the route objects and filter files, or with `every_class` every
  // file in every directory under data/ (the NRTMv4 publisher's view).
  absl::StatusOr<RegistryDelta> DeltaBetween(const std::string& from, const std::string& to,
                                             bool every_class = false) const;
  // The commits after `from` up to `to` along first parents, oldest first;
  // just {to} when `from` is not on that line.
  absl::StatusOr<std::vector<std::string>> FirstParentChain(const std::string& from,
                                                            const std::string& to) const;
  // Changes the ref followed (tests move it along a history).
  void set_ref(std::string ref) { options_.ref = std::move(ref); }

  static bool IsUrl(const std::string& location);

 private:
  struct Repo;
  GitSource(GitSourceOptions options, std::unique_ptr<Repo> repo, bool remote);
  absl::Status Fetch();

  GitSourceOptions options_;
  std::unique_ptr<Repo> repo_;
  bool remote_;
  std::string confirmed_commit_;
  std::string pending_commit_;
};

}  // namespace rtr42::sources

#endif  // RTR42_SOURCES_GIT_SOURCE_H_
