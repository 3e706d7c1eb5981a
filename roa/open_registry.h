// OpenRegistrySource: picks the source for a --registry argument.
//
//   a URL (https://..., ssh://..., git@host:path) -> git, cloned into cache_dir
//   a path that is a git repository (bare or not) -> git, read from the ref
//   any other directory with data/                -> plain directory
//   ""                                            -> the embedded sample
#ifndef RTR42_ROA_OPEN_REGISTRY_H_
#define RTR42_ROA_OPEN_REGISTRY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "roa/registry_source.h"

namespace rtr42::roa {

absl::StatusOr<std::unique_ptr<RegistrySource>> OpenRegistrySource(const std::string& location,
                                                                   const std::string& ref,
                                                                   const std::string& cache_dir);

}  // namespace rtr42::roa

#endif  // RTR42_ROA_OPEN_REGISTRY_H_
