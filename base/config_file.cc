#include "base/config_file.h"

#include <toml++/toml.h>

#include <algorithm>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/file_util.h"

namespace rtr42 {
namespace {

int LineOf(const toml::node& node) { return static_cast<int>(node.source().begin.line); }

// One scalar as option text; false for a table or a nested array.
bool ScalarText(const toml::node& node, std::string* text) {
  if (const auto* s = node.as_string()) {
    *text = s->get();
  } else if (const auto* i = node.as_integer()) {
    *text = std::to_string(i->get());
  } else if (const auto* f = node.as_floating_point()) {
    std::ostringstream out;
    out << f->get();
    *text = out.str();
  } else if (const auto* b = node.as_boolean()) {
    *text = b->get() ? "true" : "false";
  } else {
    return false;
  }
  return true;
}

absl::Status ReadOption(const ConfigFile& file, const std::string& key, const toml::node& node,
                        ConfigOption* option) {
  option->name = key;
  option->line = LineOf(node);
  if (const auto* b = node.as_boolean()) {
    option->given = b->get();
    return absl::OkStatus();
  }
  if (const auto* array = node.as_array()) {
    for (const toml::node& element : *array) {
      std::string text;
      if (!ScalarText(element, &text)) {
        return file.Error(LineOf(element), absl::StrCat(key, ": an array of values expected"));
      }
      option->values.push_back(std::move(text));
    }
    return absl::OkStatus();
  }
  std::string text;
  if (!ScalarText(node, &text)) {
    return file.Error(option->line, absl::StrCat(key, ": a value expected, not a table"));
  }
  option->values.push_back(std::move(text));
  return absl::OkStatus();
}

}  // namespace

absl::Status ConfigFile::Error(int line, absl::string_view message) const {
  return absl::InvalidArgumentError(absl::StrCat(path, ":", line, ": ", message));
}

absl::StatusOr<ConfigFile> ReadConfigFile(const std::string& path,
                                          const std::vector<std::string>& section_kinds) {
  absl::StatusOr<std::string> text = ReadFile(path, ReadLimits{.max_bytes = 16 << 20});
  if (!text.ok()) return text.status();
  return ParseConfigFile(*text, path, section_kinds);
}

absl::StatusOr<ConfigFile> ParseConfigFile(const std::string& text, const std::string& path,
                                           const std::vector<std::string>& section_kinds) {
  ConfigFile file;
  file.path = path;
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return file.Error(static_cast<int>(e.source().begin.line), std::string(e.description()));
  }
  for (const auto& [key, node] : root) {
    std::string name(key.str());
    const toml::table* kind_table = node.as_table();
    if (!kind_table) {
      ConfigOption option;
      if (absl::Status s = ReadOption(file, name, node, &option); !s.ok()) return s;
      file.options.push_back(std::move(option));
      continue;
    }
    if (std::find(section_kinds.begin(), section_kinds.end(), name) == section_kinds.end()) {
      return file.Error(LineOf(node),
                        absl::StrCat("unknown table [", name, "] (tables: [",
                                     absl::StrJoin(section_kinds, ".NAME], ["), ".NAME])"));
    }
    for (const auto& [entry, entry_node] : *kind_table) {
      const toml::table* table = entry_node.as_table();
      if (!table) {
        return file.Error(LineOf(entry_node),
                          absl::StrCat("[", name, "] holds tables only: write [", name, ".",
                                       std::string(entry.str()), "] and its options below it"));
      }
      ConfigSection section{name, std::string(entry.str()), LineOf(entry_node), {}};
      for (const auto& [option_key, option_node] : *table) {
        ConfigOption option;
        if (absl::Status s = ReadOption(file, std::string(option_key.str()), option_node, &option);
            !s.ok()) {
          return s;
        }
        section.options.push_back(std::move(option));
      }
      file.sections.push_back(std::move(section));
    }
  }
  // toml++ keeps keys ordered by name; the file's order reads better in logs.
  std::stable_sort(file.options.begin(), file.options.end(),
                   [](const ConfigOption& a, const ConfigOption& b) { return a.line < b.line; });
  std::stable_sort(file.sections.begin(), file.sections.end(),
                   [](const ConfigSection& a, const ConfigSection& b) { return a.line < b.line; });
  return file;
}

absl::Status ApplyConfig(const ConfigFile& file, const std::vector<ConfigOption>& options,
                         Args* args) {
  for (const ConfigOption& option : options) {
    if (!args->IsKnown(option.name)) {
      return file.Error(option.line, absl::StrCat("unknown option '", option.name, "'"));
    }
    if (args->Has(option.name)) continue;  // the command line's
    if (args->IsSwitch(option.name)) {
      if (!option.values.empty()) {
        return file.Error(option.line, absl::StrCat(option.name, " is true or false"));
      }
      if (option.given) {
        if (absl::Status s = args->Set(option.name, ""); !s.ok()) {
          return file.Error(option.line, s.message());
        }
      }
      continue;
    }
    if (!option.given || (option.values.empty() && !args->IsRepeatable(option.name))) {
      return file.Error(option.line, absl::StrCat(option.name, " needs a value, not true/false"));
    }
    if (option.values.size() > 1 && !args->IsRepeatable(option.name)) {
      return file.Error(option.line, absl::StrCat(option.name, " takes one value, not an array"));
    }
    for (const std::string& value : option.values) {
      if (absl::Status s = args->Set(option.name, value); !s.ok()) {
        return file.Error(option.line, s.message());
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace rtr42
