#include "lint/path.h"

#include <algorithm>
#include <iterator>

namespace rtr42::lint {

Location StartOf(const Expr& e) {
  if ((e.kind == Expr::Kind::kBinary || e.kind == Expr::Kind::kMethod ||
       e.kind == Expr::Kind::kField) &&
      !e.args.empty() && e.args[0]) {
    return StartOf(*e.args[0]);
  }
  return e.location;
}

void Path::MergeWrites(const Path& other) {
  std::vector<TagWrite> sure, all;
  std::set_intersection(writes.begin(), writes.end(), other.writes.begin(), other.writes.end(),
                        std::back_inserter(sure));
  const Path& self = *this;
  for (const std::vector<TagWrite>* v : {&self.writes, &other.writes, &self.maybe, &other.maybe}) {
    all.insert(all.end(), v->begin(), v->end());
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  std::vector<TagWrite> rest;
  std::set_difference(all.begin(), all.end(), sure.begin(), sure.end(), std::back_inserter(rest));
  writes = std::move(sure);
  maybe = std::move(rest);
}

}  // namespace rtr42::lint
