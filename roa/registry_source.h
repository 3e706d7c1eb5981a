// RegistrySource: turns the outside world (a git repository, a directory)
// into RegistryDeltas for the compiler.
//
// Poll() reports what changed since the last confirmed state, or nullopt if
// nothing did. The caller applies the delta and, only if that worked, calls
// Confirm(); an unconfirmed delta is computed again from the same base on the
// next Poll(), so a failure anywhere loses nothing. A source that fails
// returns an error and keeps its confirmed state.
#ifndef RTR42_ROA_REGISTRY_SOURCE_H_
#define RTR42_ROA_REGISTRY_SOURCE_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "roa/registry_delta.h"

namespace rtr42::roa {

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

// The registry shipped inside the binary (roa/sample/): a few dozen made-up
// objects in dn42 ranges, with filter files. Gives one full delta.
std::unique_ptr<RegistrySource> MakeSampleRegistrySource();

// A plain directory holding data/route, data/route6 and the filter files.
// Changes are found by file size and modification time.
std::unique_ptr<RegistrySource> MakeDirectorySource(std::string root);

// Wraps `inner` so the policy comes from local files (either may be empty:
// that family keeps the inner source's policy, or none): the inner source's
// own filter files are dropped, and a change to one of ours is a change of
// the delta. A file that cannot be read is an error of Poll().
std::unique_ptr<RegistrySource> WithPolicyFiles(std::unique_ptr<RegistrySource> inner,
                                                std::string filter4, std::string filter6);

}  // namespace rtr42::roa

#endif  // RTR42_ROA_REGISTRY_SOURCE_H_
