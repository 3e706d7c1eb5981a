#include "roa/vrp.h"

#include <algorithm>
#include <iterator>

#include "absl/strings/str_cat.h"

namespace rtr42::roa {

std::string Vrp::ToString() const {
  return absl::StrCat(prefix.ToString(), "-", max_length, " AS", asn);
}

VrpSet::VrpSet(std::vector<Vrp> vrps) : vrps_(std::move(vrps)) {
  std::sort(vrps_.begin(), vrps_.end());
  vrps_.erase(std::unique(vrps_.begin(), vrps_.end()), vrps_.end());
  vrps_.shrink_to_fit();
  ipv4_count_ =
      static_cast<size_t>(std::partition_point(vrps_.begin(), vrps_.end(),
                                               [](const Vrp& v) { return v.prefix.is_ipv4(); }) -
                          vrps_.begin());
}

bool VrpSet::Contains(const Vrp& vrp) const {
  return std::binary_search(vrps_.begin(), vrps_.end(), vrp);
}

VrpDiff Diff(const VrpSet& from, const VrpSet& to) {
  VrpDiff diff;
  std::set_difference(to.vrps().begin(), to.vrps().end(), from.vrps().begin(), from.vrps().end(),
                      std::back_inserter(diff.announced));
  std::set_difference(from.vrps().begin(), from.vrps().end(), to.vrps().begin(), to.vrps().end(),
                      std::back_inserter(diff.withdrawn));
  return diff;
}

VrpDiff Compose(const VrpDiff& a, const VrpDiff& b) {
  // A record announced by `a` and withdrawn by `b` was never there at s0 and
  // is gone at s2; one withdrawn by `a` and announced again by `b` was there
  // at both ends. Everything else carries through.
  VrpDiff out;
  std::vector<Vrp> a_ann_kept, b_ann_kept;
  std::set_difference(a.announced.begin(), a.announced.end(), b.withdrawn.begin(),
                      b.withdrawn.end(), std::back_inserter(a_ann_kept));
  std::set_difference(b.announced.begin(), b.announced.end(), a.withdrawn.begin(),
                      a.withdrawn.end(), std::back_inserter(b_ann_kept));
  std::set_union(a_ann_kept.begin(), a_ann_kept.end(), b_ann_kept.begin(), b_ann_kept.end(),
                 std::back_inserter(out.announced));
  std::vector<Vrp> a_wd_kept, b_wd_kept;
  std::set_difference(a.withdrawn.begin(), a.withdrawn.end(), b.announced.begin(),
                      b.announced.end(), std::back_inserter(a_wd_kept));
  std::set_difference(b.withdrawn.begin(), b.withdrawn.end(), a.announced.begin(),
                      a.announced.end(), std::back_inserter(b_wd_kept));
  std::set_union(a_wd_kept.begin(), a_wd_kept.end(), b_wd_kept.begin(), b_wd_kept.end(),
                 std::back_inserter(out.withdrawn));
  return out;
}

}  // namespace rtr42::roa
