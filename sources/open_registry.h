// OpenRegistrySource: picks the source for a --registry argument.
//
//   a URL (https://..., ssh://..., git@host:path) -> GitSource, cloned into
//                                                    cache_dir; a RetryingGitSource
//                                                    when the first clone fails
//   a path that is a git repository (bare or not) -> GitSource, read from the ref
//   any other directory with data/                -> DirectorySource
//   ""                                            -> SampleSource
//
// A local path that cannot be opened is an error (a mistake, not an outage).
#ifndef RTR42_SOURCES_OPEN_REGISTRY_H_
#define RTR42_SOURCES_OPEN_REGISTRY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "sources/registry_source.h"

namespace rtr42::sources {

absl::StatusOr<std::unique_ptr<RegistrySource>> OpenRegistrySource(const std::string& location,
                                                                   const std::string& ref,
                                                                   const std::string& cache_dir);

}  // namespace rtr42::sources

#endif  // RTR42_SOURCES_OPEN_REGISTRY_H_
