#include "tools/rtr42d_options.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/log.h"
#include "tools/source_options.h"

namespace rtr42::tools {
namespace {

constexpr const char* kSectionKinds[] = {"source"};
// The daemon options a [source.NAME] table may give for itself.
constexpr const char* kPerSourceOptions[] = {"poll-interval", "max-withdraw-percent"};

std::vector<std::string> SectionKinds() {
  return {std::begin(kSectionKinds), std::end(kSectionKinds)};
}

// A source table's options: the source options, and the per-source daemon
// options bound to `scratch` (so their checks are the daemon's).
void DeclareSectionOptions(Args* args, daemon::DaemonConfig* scratch) {
  daemon::BindDaemonOptions(args, scratch);
  AddSourceOptions(args, "registry-ref");
  AddVrpSourceOptions(args);
}

bool IsPerSource(const std::string& name) {
  for (const char* p : kPerSourceOptions) {
    if (name == p) return true;
  }
  return false;
}

// Applies one [source.NAME] table to a fresh `args` bound to `scratch`.
absl::Status ApplySection(const ConfigFile& file, const ConfigSection& section, Args* args,
                          daemon::DaemonConfig* scratch) {
  DeclareSectionOptions(args, scratch);
  Args source_only("", "");
  AddSourceOptions(&source_only, "registry-ref");
  AddVrpSourceOptions(&source_only);
  for (const ConfigOption& option : section.options) {
    if (!source_only.IsKnown(option.name) && !IsPerSource(option.name)) {
      return file.Error(
          option.line,
          absl::StrCat("'", option.name, "' is not an option of a source",
                       args->IsKnown(option.name) ? " (it belongs at the top of the file)" : ""));
    }
  }
  if (absl::Status s = ApplyConfig(file, section.options, args); !s.ok()) return s;
  if (!HasAnySource(*args)) {
    return file.Error(section.line,
                      absl::StrCat("[source.", section.name,
                                   "] names no source: give registry, nrtm4-url, json or "
                                   "rtr-upstream"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ConfigFile> Load(const std::string& path, Args* args) {
  absl::StatusOr<ConfigFile> file = ReadConfigFile(path, SectionKinds());
  if (!file.ok()) return file.status();
  for (const ConfigOption& option : file->options) {
    if (option.name == "config" || option.name == "check-config") {
      return file->Error(option.line,
                         absl::StrCat("'", option.name, "' belongs on the command line"));
    }
  }
  if (absl::Status s = ApplyConfig(*file, file->options, args); !s.ok()) return s;
  bool top_level_source = false;
  for (const ConfigOption& option : file->options) top_level_source |= IsSourceOption(option.name);
  if (top_level_source && !file->sections.empty()) {
    return file->Error(file->sections.front().line,
                       "a source at the top level and [source.NAME] tables: give one or the "
                       "other");
  }
  std::map<std::string, int> names;
  for (const ConfigSection& section : file->sections) {
    if (auto [it, fresh] = names.emplace(section.name, section.line); !fresh) {
      return file->Error(section.line, absl::StrCat("[source.", section.name,
                                                    "] is already at line ", it->second));
    }
    Args section_args("", "");
    daemon::DaemonConfig scratch;
    if (absl::Status s = ApplySection(*file, section, &section_args, &scratch); !s.ok()) return s;
  }
  return file;
}

}  // namespace

void DeclareRtr42dOptions(Args* args, daemon::DaemonConfig* config) {
  args->AddOption("config", "FILE",
                  "read options from this TOML file (flags override it; one [source.NAME] table "
                  "per source)");
  args->AddSwitch("check-config",
                  "check the options and --config, print what was found and exit (0: valid)");
  daemon::BindDaemonOptions(args, config);
  AddSourceOptions(args, "registry-ref");
  AddVrpSourceOptions(args);
}

absl::StatusOr<ConfigFile> LoadRtr42dConfig(const std::string& path, Args* args) {
  return Load(path, args);
}

absl::StatusOr<ConfigFile> CheckRtr42dConfig(const std::string& path) {
  Args args("", "");
  daemon::DaemonConfig scratch;
  DeclareRtr42dOptions(&args, &scratch);
  return Load(path, &args);
}

absl::StatusOr<std::vector<daemon::NamedSource>> OpenSources(const Args& args,
                                                             const ConfigFile* file) {
  std::vector<daemon::NamedSource> sources;
  if (HasAnySource(args) || !file || file->sections.empty()) {
    if (file && !file->sections.empty()) {
      RTR42_LOG_INFO("the source on the command line replaces the %d sources of %s",
                     file->sections.size(), file->path);
    }
    absl::StatusOr<OpenedSource> opened = OpenVrpSourceFromArgs(args);
    if (!opened.ok()) return opened.status();
    sources.push_back(daemon::NamedSource{opened->kind, std::move(opened->source)});
    return sources;
  }
  for (const ConfigSection& section : file->sections) {
    absl::StatusOr<daemon::NamedSource> named = OpenSection(*file, section);
    if (!named.ok()) return named.status();
    sources.push_back(std::move(*named));
  }
  return sources;
}

absl::StatusOr<daemon::NamedSource> OpenSection(const ConfigFile& file,
                                                const ConfigSection& section) {
  Args section_args("", "");
  daemon::DaemonConfig scratch;
  if (absl::Status s = ApplySection(file, section, &section_args, &scratch); !s.ok()) return s;
  absl::StatusOr<OpenedSource> opened = OpenVrpSourceFromArgs(section_args);
  if (!opened.ok()) {
    return file.Error(section.line,
                      absl::StrCat("[source.", section.name, "]: ", opened.status().message()));
  }
  daemon::NamedSource named{section.name, std::move(opened->source)};
  if (section_args.Has("poll-interval")) named.poll_interval = absl::Seconds(scratch.poll_interval);
  if (section_args.Has("max-withdraw-percent")) {
    named.max_withdraw_percent = scratch.max_withdraw_percent;
  }
  return named;
}

namespace {
std::string OptionText(const ConfigOption& o) {
  return o.values.empty() ? std::string(o.given ? "true" : "false") : absl::StrJoin(o.values, ", ");
}
// A section's options as one text: equal texts, the same source.
std::string SectionText(const ConfigSection& section) {
  std::vector<std::string> lines;
  for (const ConfigOption& o : section.options) lines.push_back(o.name + " = " + OptionText(o));
  std::sort(lines.begin(), lines.end());
  return absl::StrJoin(lines, "\n");
}
}  // namespace

absl::StatusOr<ConfigReload> PlanReload(const ConfigFile& before, const ConfigFile& after,
                                        const std::set<std::string>& on_command_line) {
  ConfigReload plan;
  // The top level: log-level now, the rest at the next restart; what the
  // command line gives is not the file's to change.
  std::map<std::string, std::string> a, b;
  for (const ConfigOption& o : before.options) a[o.name] = OptionText(o);
  for (const ConfigOption& o : after.options) b[o.name] = OptionText(o);
  std::set<std::string> keys;
  for (const auto& [k, v] : a) keys.insert(k);
  for (const auto& [k, v] : b) keys.insert(k);
  for (const std::string& key : keys) {
    if (on_command_line.contains(key)) continue;
    auto x = a.find(key), y = b.find(key);
    std::string was = x == a.end() ? "" : x->second, now = y == b.end() ? "" : y->second;
    if (was == now) continue;
    if (key == "log-level") {
      plan.log_level = now.empty() ? "info" : now;
    } else {
      plan.at_restart.push_back(now.empty() ? absl::StrCat(key, " removed")
                                            : absl::StrCat(key, " = ", now));
    }
  }
  // The sources, when they come from the file's tables (a source on the
  // command line replaces them, now and after a restart).
  for (const char* name : kSourceOptions) {
    if (on_command_line.contains(name)) return plan;
  }
  if (before.sections.empty() != after.sections.empty()) {
    // From a source at the top level to tables, or back (the top level's
    // source options are listed above).
    plan.at_restart.push_back("the [source.NAME] tables");
    return plan;
  }
  if (after.sections.empty()) return plan;
  std::map<std::string, std::string> old_sections;
  for (const ConfigSection& s : before.sections) old_sections[s.name] = SectionText(s);
  for (const ConfigSection& s : after.sections) {
    plan.names.push_back(s.name);
    auto old = old_sections.find(s.name);
    if (old != old_sections.end() && old->second == SectionText(s)) continue;
    absl::StatusOr<daemon::NamedSource> named = OpenSection(after, s);
    if (!named.ok()) return named.status();
    plan.fresh.push_back(std::move(*named));
  }
  plan.sources_changed = !plan.fresh.empty() || before.sections.size() != after.sections.size();
  if (!plan.sources_changed) {
    for (size_t i = 0; i < before.sections.size(); ++i) {
      plan.sources_changed |= before.sections[i].name != after.sections[i].name;
    }
  }
  return plan;
}

namespace {
std::map<std::string, std::string> Flatten(const ConfigFile& file) {
  std::map<std::string, std::string> out;
  for (const ConfigOption& o : file.options) out[o.name] = OptionText(o);
  for (const ConfigSection& s : file.sections) {
    out[absl::StrCat("[source.", s.name, "]")] = "";
    for (const ConfigOption& o : s.options) {
      out[absl::StrCat("[source.", s.name, "] ", o.name)] = OptionText(o);
    }
  }
  return out;
}
}  // namespace

std::vector<std::string> ConfigChanges(const ConfigFile& before, const ConfigFile& after) {
  std::map<std::string, std::string> a = Flatten(before), b = Flatten(after);
  std::vector<std::string> changes;
  for (const auto& [key, value] : a) {
    auto it = b.find(key);
    if (it == b.end()) {
      changes.push_back(absl::StrCat(key, " removed"));
    } else if (it->second != value) {
      changes.push_back(absl::StrCat(key, " = ", it->second, " (was ", value, ")"));
    }
  }
  for (const auto& [key, value] : b) {
    if (!a.contains(key))
      changes.push_back(absl::StrCat(key, value.empty() ? " added" : " = " + value + " added"));
  }
  return changes;
}

}  // namespace rtr42::tools
