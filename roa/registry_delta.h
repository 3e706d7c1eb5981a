// RegistryDelta: what a source hands the compiler.
//
// Paths are relative to the registry root: "data/route/<name>",
// "data/route6/<name>", "data/filter.txt", "data/filter6.txt"; any other path
// is ignored by the compiler. A full delta replaces everything the compiler
// holds; an incremental one names only the files that changed.
#ifndef RTR42_ROA_REGISTRY_DELTA_H_
#define RTR42_ROA_REGISTRY_DELTA_H_

#include <optional>
#include <string>
#include <vector>

namespace rtr42::roa {

inline constexpr char kRouteDir[] = "data/route/";
inline constexpr char kRoute6Dir[] = "data/route6/";
inline constexpr char kFilterPath[] = "data/filter.txt";
inline constexpr char kFilter6Path[] = "data/filter6.txt";

struct FileChange {
  std::string path;
  std::optional<std::string> content;  // nullopt: the file was deleted
};

// A git commit id (40 hex digits) cut to its first 12, as logs and pages
// show it; any other revision as it is.
inline std::string ShortRevision(const std::string& revision) {
  return revision.size() == 40 ? revision.substr(0, 12) : revision;
}

struct RegistryDelta {
  bool full = false;
  std::string revision;  // commit id, or a description of the source state
  std::vector<FileChange> changes;
};

}  // namespace rtr42::roa

#endif  // RTR42_ROA_REGISTRY_DELTA_H_
