// rtr42d's options, from its command line and its configuration file
// (--config FILE, TOML, base/config_file.h): the top level holds the
// daemon's options (daemon/config.h) and, for a single source, that
// source's options; each [source.NAME] table holds one source's options
// (tools/source_options.h) and maybe its own poll-interval and
// max-withdraw-percent. The command line overrides the file option by
// option; a source named on the command line replaces the file's sources.
#ifndef RTR42_TOOLS_RTR42D_OPTIONS_H_
#define RTR42_TOOLS_RTR42D_OPTIONS_H_

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/args.h"
#include "base/config_file.h"
#include "daemon/config.h"
#include "daemon/source_loop.h"

namespace rtr42::tools {

// Every option of rtr42d's command line, bound to `config`.
void DeclareRtr42dOptions(Args* args, daemon::DaemonConfig* config);

// Reads `path` and applies it to `args` (see above); returns the file, for
// OpenSources(). Every error names the file and line.
absl::StatusOr<ConfigFile> LoadRtr42dConfig(const std::string& path, Args* args);
// Checks the file as LoadRtr42dConfig would, changing nothing.
absl::StatusOr<ConfigFile> CheckRtr42dConfig(const std::string& path);

// The sources to serve: the one `args` names (command line or the file's top
// level), else one per [source.NAME] table of `file`, else the sample.
absl::StatusOr<std::vector<daemon::NamedSource>> OpenSources(const Args& args,
                                                             const ConfigFile* file);

// One [source.NAME] table's source, opened.
absl::StatusOr<daemon::NamedSource> OpenSection(const ConfigFile& file,
                                                const ConfigSection& section);

// What a SIGHUP makes of a changed file (`before`: the one in force):
// log-level is applied at once; the sources of the file's tables are
// replaced where their table changed, added and removed (`names` the new
// order, `fresh` those opened anew: SourceLoop::ReplaceSources); any other
// change of the top level waits for a restart. Options given on the command
// line are not the file's to change. An error (a new source that cannot be
// opened) leaves everything as it is.
struct ConfigReload {
  std::optional<std::string> log_level;
  bool sources_changed = false;
  std::vector<std::string> names;
  std::vector<daemon::NamedSource> fresh;
  std::vector<std::string> at_restart;  // "key = value", "key removed", "the sources"
};
absl::StatusOr<ConfigReload> PlanReload(const ConfigFile& before, const ConfigFile& after,
                                        const std::set<std::string>& on_command_line);

// What differs between two versions of the file, one line per option.
std::vector<std::string> ConfigChanges(const ConfigFile& before, const ConfigFile& after);

}  // namespace rtr42::tools

#endif  // RTR42_TOOLS_RTR42D_OPTIONS_H_
