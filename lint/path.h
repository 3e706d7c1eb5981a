// Path: one way through a filter, as the interpreter follows it: the states it
// is taken under, its variables, the tags it writes (TagWrite), the reasons
// (conditions on validation state) and how it ends. Removal: a delete/filter
// of a community attribute, which the rules use to say a tag is removed again.
#ifndef RTR42_LINT_PATH_H_
#define RTR42_LINT_PATH_H_

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lint/analyzer.h"
#include "lint/ast.h"
#include "lint/value.h"

namespace rtr42::lint {

struct TagWrite {
  Location site;
  std::string attr;
  std::string repr;
  Value value;
  bool operator<(const TagWrite& o) const {
    return std::tie(site.line, site.column, *site.file, attr, repr) <
           std::tie(o.site.line, o.site.column, *o.site.file, o.attr, o.repr);
  }
  bool operator==(const TagWrite& o) const { return !(*this < o) && !(o < *this); }
};

struct Path {
  Mask states = kAll;
  enum class Status { kRunning, kAccepted, kRejected, kReturned } status = Status::kRunning;
  std::map<std::string, Value> env;
  std::vector<TagWrite> writes;  // written on every way this path stands for; sorted, unique
  // Written on some of the ways merged into this path only (sorted, unique):
  // paths that differ in nothing but their writes are merged, so branches on
  // conditions that are not validation state do not multiply paths.
  std::vector<TagWrite> maybe;
  Value returned;
  bool unresolved = false;    // took a branch on state-derived data it could not decode
  std::vector<Note> reasons;  // conditions on validation state taken (few)

  bool terminal() const { return status == Status::kAccepted || status == Status::kRejected; }
  void AddReason(const Location& at, const std::string& message) {
    for (const Note& n : reasons) {
      if (n.location.file == at.file && n.location.line == at.line &&
          n.location.column == at.column && n.message == message) {
        return;
      }
    }
    reasons.push_back({at, message});
  }
  std::string Key() const {
    std::string k = absl::StrCat(states, "|", static_cast<int>(status), "|", unresolved, "|",
                                 returned.Repr(), "|");
    for (const auto& [name, v] : env) absl::StrAppend(&k, name, "=", v.Repr(), ";");
    return k;
  }
  // Merges `other` (same Key()) into this path: the writes of both become
  // the sure ones, the rest maybe.
  void MergeWrites(const Path& other);
};

using Paths = std::vector<Path>;

// Where an expression starts (its leftmost token).
Location StartOf(const Expr& e);

struct Removal {
  Location site;
  std::string attr;
  Value pattern;
};

}  // namespace rtr42::lint

#endif  // RTR42_LINT_PATH_H_
