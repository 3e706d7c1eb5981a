// The source options rtr42d and roa-compile share, as command-line glue over
// sources/ and nrtm4/: --registry/--REF_OPTION/--cache-dir
// (sources/open_registry.h), or an NRTMv4 feed (--nrtm4-url, --nrtm4-source,
// --nrtm4-key, --nrtm4-ca, --nrtm4-state-dir, and the download limits
// --nrtm4-max-file-size, --nrtm4-connect-timeout, --nrtm4-read-timeout,
// whose defaults are http::ClientOptions'), and --filter/--filter6 policy
// files that replace the source's own (sources/policy_files_source.h).
//
// rtr42d adds the sources that give VRP sets rather than registry objects:
// --json FILE|URL (sources/json_vrp_source.h) and --rtr-upstream HOST:PORT
// (sources/rtr_upstream_source.h), with their options. The same names are
// the keys of a [source.NAME] table in rtr42d's configuration file.
#ifndef RTR42_TOOLS_SOURCE_OPTIONS_H_
#define RTR42_TOOLS_SOURCE_OPTIONS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "base/args.h"
#include "sources/registry_source.h"
#include "sources/vrp_source.h"

namespace rtr42::tools {

void AddSourceOptions(Args* args, const std::string& ref_option);
absl::StatusOr<std::unique_ptr<sources::RegistrySource>> OpenSourceFromArgs(
    const Args& args, const std::string& ref_option);

void AddVrpSourceOptions(Args* args);
// The options that each name a source (one of them per source).
inline constexpr const char* kSourceOptions[] = {"registry", "nrtm4-url", "json", "rtr-upstream"};
bool IsSourceOption(const std::string& name);
// Whether `args` names any source (registry, NRTMv4, JSON, RTR upstream).
bool HasAnySource(const Args& args);

struct OpenedSource {
  std::unique_ptr<sources::VrpSource> source;
  std::string kind;  // "registry", "nrtm4", "json" or "rtr": a source's default name
};
// The one source `args` names (the embedded sample if none).
absl::StatusOr<OpenedSource> OpenVrpSourceFromArgs(const Args& args);

}  // namespace rtr42::tools

#endif  // RTR42_TOOLS_SOURCE_OPTIONS_H_
