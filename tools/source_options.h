// The source options rtr42d and roa-compile share, as command-line glue over
// sources/ and nrtm4/: --registry/--REF_OPTION/--cache-dir
// (sources/open_registry.h), or an NRTMv4 feed (--nrtm4-url, --nrtm4-source,
// --nrtm4-key, --nrtm4-ca, --nrtm4-state-dir, and the download limits
// --nrtm4-max-file-size, --nrtm4-connect-timeout, --nrtm4-read-timeout,
// whose defaults are http::ClientOptions'), and --filter/--filter6 policy
// files that replace the source's own (sources/policy_files_source.h).
#ifndef RTR42_TOOLS_SOURCE_OPTIONS_H_
#define RTR42_TOOLS_SOURCE_OPTIONS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "base/args.h"
#include "sources/registry_source.h"

namespace rtr42::tools {

void AddSourceOptions(Args* args, const std::string& ref_option);
absl::StatusOr<std::unique_ptr<sources::RegistrySource>> OpenSourceFromArgs(
    const Args& args, const std::string& ref_option);

}  // namespace rtr42::tools

#endif  // RTR42_TOOLS_SOURCE_OPTIONS_H_
