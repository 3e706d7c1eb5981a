// ConfigFile: a TOML configuration file whose keys are the command-line
// options of a tool (base/args.h), so that the file and the flags can never
// disagree on a name, a default or a check:
//
//   refresh = 900                        # --refresh 900
//   listen = ["127.0.0.1:8282", "[::1]:8282"]   # --listen, repeated
//   log-level = "info"
//   [source.dn42]                        # one table per source
//   registry = "https://git.dn42.dev/dn42/registry.git"
//
// Values may be strings, integers, floats, booleans (true: a switch given;
// false: left out) or arrays of them (for repeatable options). Tables other
// than those named in `section_names` are an error, as is anything that is
// not an option; every error names the file and line.
//
// Apply() gives a tool's Args the file's options that the command line did
// not give, so the command line overrides the file, option by option.
#ifndef RTR42_BASE_CONFIG_FILE_H_
#define RTR42_BASE_CONFIG_FILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/args.h"

namespace rtr42 {

struct ConfigOption {
  std::string name;
  std::vector<std::string> values;  // one, or an array's
  bool given = true;                // false: a switch set to false
  int line = 0;
};

// One [NAME.ENTRY] table, e.g. [source.dn42].
struct ConfigSection {
  std::string kind;  // NAME
  std::string name;  // ENTRY
  int line = 0;
  std::vector<ConfigOption> options;
};

struct ConfigFile {
  std::string path;
  std::vector<ConfigOption> options;  // the top level
  std::vector<ConfigSection> sections;
  // "PATH:LINE: message".
  absl::Status Error(int line, absl::string_view message) const;
};

// Reads and parses `path`; tables must be [KIND.NAME] with KIND one of
// `section_kinds`.
absl::StatusOr<ConfigFile> ReadConfigFile(const std::string& path,
                                          const std::vector<std::string>& section_kinds);

// The same from `text`, named `path` in errors.
absl::StatusOr<ConfigFile> ParseConfigFile(const std::string& text, const std::string& path,
                                           const std::vector<std::string>& section_kinds);

// Sets each option in `options` on `args` unless `args` already has it (from
// the command line); an unknown option or a bad value is an error naming
// `file`'s path and the line.
absl::Status ApplyConfig(const ConfigFile& file, const std::vector<ConfigOption>& options,
                         Args* args);

}  // namespace rtr42

#endif  // RTR42_BASE_CONFIG_FILE_H_
