// rtr42d's configuration file: TOML parsed by toml++, then its options given
// to an Args with a few options of each kind (as rtr42d's, without the
// sources, which would open files and connections).
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/args.h"
#include "base/config_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rtr42;
  std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<ConfigFile> file = ParseConfigFile(text, "fuzz.toml", {"source"});
  if (!file.ok()) return 0;
  Args args("fuzz", "");
  int64_t refresh = 3600;
  double percent = 10;
  std::string level;
  std::vector<std::string> listen;
  args.BindInt("refresh", "S", "", &refresh, 1, 86400);
  args.BindDouble("max-withdraw-percent", "P", "", &percent, 0, 100);
  args.BindString("log-level", "L", "", &level);
  args.BindList("listen", "A", "", &listen);
  args.AddSwitch("rtr-upstream-tls", "");
  (void)ApplyConfig(*file, file->options, &args);
  for (const ConfigSection& section : file->sections) {
    Args section_args("fuzz", "");
    section_args.AddOption("json", "F", "");
    section_args.AddOption("poll-interval", "S", "");
    (void)ApplyConfig(*file, section.options, &section_args);
  }
  return 0;
}
