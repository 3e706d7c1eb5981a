// RegistrySource: turns the outside world (a git repository, a directory, an
// NRTMv4 feed) into RegistryDeltas for the compiler.
//
// Poll() reports what changed since the last confirmed state, or nullopt if
// nothing did. The caller applies the delta and, only if that worked, calls
// Confirm(); an unconfirmed delta is computed again from the same base on the
// next Poll(), so a failure anywhere loses nothing. A source that fails
// returns an error and keeps its confirmed state.
//
// The implementations, one per file in this folder: SampleSource
// (sample_source.h), DirectorySource (directory_source.h), GitSource
// (git_source.h) and RetryingGitSource (retrying_git_source.h), the policy
// override PolicyFilesSource (policy_files_source.h); nrtm4::MirrorSource
// lives with the rest of NRTMv4 in nrtm4/.
#ifndef RTR42_SOURCES_REGISTRY_SOURCE_H_
#define RTR42_SOURCES_REGISTRY_SOURCE_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "roa/registry_delta.h"

namespace rtr42::sources {

using roa::FileChange;
using roa::RegistryDelta;

class RegistrySource {
 public:
  virtual ~RegistrySource() = default;
  virtual absl::StatusOr<std::optional<RegistryDelta>> Poll() = 0;
  virtual void Confirm() = 0;
  // Human-readable name for logs ("git /srv/registry@master").
  virtual std::string Describe() const = 0;
  // True if Poll() goes over the network (so it is paced by --poll-interval);
  // local sources are cheap to check and are checked every second.
  virtual bool is_remote() const { return false; }
};

}  // namespace rtr42::sources

#endif  // RTR42_SOURCES_REGISTRY_SOURCE_H_
