// OpenRegistrySource: picks the source for a --registry argument.
//
//   a URL (https://..., ssh://..., git@host:path) -> git, cloned into cache_dir
//                                                    (a failed clone is retried
//                                                    by every Poll())
//   a path that is a git repository (bare or not) -> git, read from the ref
//   any other directory with data/                -> plain directory
//   ""                                            -> the embedded sample
#ifndef RTR42_ROA_OPEN_REGISTRY_H_
#define RTR42_ROA_OPEN_REGISTRY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "base/args.h"
#include "roa/registry_source.h"

namespace rtr42::roa {

absl::StatusOr<std::unique_ptr<RegistrySource>> OpenRegistrySource(const std::string& location,
                                                                   const std::string& ref,
                                                                   const std::string& cache_dir);

// The source options rtr42d and roa-compile share: --registry/--ref (above),
// or an NRTMv4 feed (--nrtm4-url, --nrtm4-source, --nrtm4-key, --nrtm4-ca,
// --nrtm4-state-dir), and --filter/--filter6 policy files that replace the
// source's own (an NRTMv4 feed carries none).
void AddSourceOptions(Args* args, const std::string& ref_option);
absl::StatusOr<std::unique_ptr<RegistrySource>> OpenSourceFromArgs(const Args& args,
                                                                   const std::string& ref_option);

}  // namespace rtr42::roa

#endif  // RTR42_ROA_OPEN_REGISTRY_H_
