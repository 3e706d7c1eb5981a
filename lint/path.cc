#include "lint/path.h"

namespace rtr42::lint {

Location StartOf(const Expr& e) {
  if ((e.kind == Expr::Kind::kBinary || e.kind == Expr::Kind::kMethod ||
       e.kind == Expr::Kind::kField) &&
      !e.args.empty() && e.args[0]) {
    return StartOf(*e.args[0]);
  }
  return e.location;
}

}  // namespace rtr42::lint
