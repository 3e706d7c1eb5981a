#include "roa/vrp.h"

#include <algorithm>
#include <iterator>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace rtr42::roa {

std::string Vrp::ToString() const {
  return absl::StrCat(prefix.ToString(), "-", max_length, " AS", asn);
}

std::string Aspa::ToString() const {
  std::string out = absl::StrCat("AS", customer, " =>");
  for (size_t i = 0; i < providers.size(); ++i)
    absl::StrAppend(&out, i ? ", AS" : " AS", providers[i]);
  return out;
}

std::string RouterKey::ToString() const {
  return absl::StrCat("AS", asn, " SKI ", absl::BytesToHexString(ski), " (", spki.size(),
                      "-byte key)");
}

VrpSet::VrpSet(std::vector<Vrp> vrps, std::vector<Aspa> aspas, std::vector<RouterKey> router_keys)
    : vrps_(std::move(vrps)), router_keys_(std::move(router_keys)) {
  std::sort(router_keys_.begin(), router_keys_.end());
  router_keys_.erase(std::unique(router_keys_.begin(), router_keys_.end()), router_keys_.end());
  std::sort(aspas.begin(), aspas.end(),
            [](const Aspa& a, const Aspa& b) { return a.customer < b.customer; });
  for (Aspa& a : aspas) {
    if (!aspas_.empty() && aspas_.back().customer == a.customer) {
      aspas_.back().providers.insert(aspas_.back().providers.end(), a.providers.begin(),
                                     a.providers.end());
    } else {
      aspas_.push_back(std::move(a));
    }
  }
  for (Aspa& a : aspas_) {
    std::sort(a.providers.begin(), a.providers.end());
    a.providers.erase(std::unique(a.providers.begin(), a.providers.end()), a.providers.end());
    if (a.providers.size() > 1 && a.providers.front() == 0) a.providers.erase(a.providers.begin());
  }
  std::erase_if(aspas_, [this](const Aspa& a) {
    if (a.providers.size() <= kMaxAspaProviders) return false;
    oversized_aspas_.push_back(a.customer);
    return true;
  });
  if (!std::is_sorted(vrps_.begin(), vrps_.end())) std::sort(vrps_.begin(), vrps_.end());
  vrps_.erase(std::unique(vrps_.begin(), vrps_.end()), vrps_.end());
  vrps_.shrink_to_fit();
  ipv4_count_ =
      static_cast<size_t>(std::partition_point(vrps_.begin(), vrps_.end(),
                                               [](const Vrp& v) { return v.prefix.is_ipv4(); }) -
                          vrps_.begin());
}

size_t CountWithdrawn(const VrpSet& from, const VrpSet& to) {
  size_t n = 0;
  auto a = from.vrps().begin(), b = to.vrps().begin();
  while (a != from.vrps().end()) {
    if (b == to.vrps().end() || *a < *b) {
      ++n;
      ++a;
    } else if (*b < *a) {
      ++b;
    } else {
      ++a;
      ++b;
    }
  }
  return n;
}

bool VrpSet::Contains(const Vrp& vrp) const {
  return std::binary_search(vrps_.begin(), vrps_.end(), vrp);
}

namespace {

template <typename T>
void SetDiff(const std::vector<T>& from, const std::vector<T>& to, std::vector<T>* announced,
             std::vector<T>* withdrawn) {
  std::set_difference(to.begin(), to.end(), from.begin(), from.end(),
                      std::back_inserter(*announced));
  std::set_difference(from.begin(), from.end(), to.begin(), to.end(),
                      std::back_inserter(*withdrawn));
}

// Composes a: s0->s1 with b: s1->s2. A record announced by `a` and withdrawn
// by `b` was never there at s0 and is gone at s2; one withdrawn by `a` and
// announced again by `b` was there at both ends. Everything else carries
// through.
template <typename T>
void ComposeSets(const std::vector<T>& a_ann, const std::vector<T>& a_wd,
                 const std::vector<T>& b_ann, const std::vector<T>& b_wd, std::vector<T>* ann,
                 std::vector<T>* wd) {
  std::vector<T> a_kept, b_kept;
  std::set_difference(a_ann.begin(), a_ann.end(), b_wd.begin(), b_wd.end(),
                      std::back_inserter(a_kept));
  std::set_difference(b_ann.begin(), b_ann.end(), a_wd.begin(), a_wd.end(),
                      std::back_inserter(b_kept));
  std::set_union(a_kept.begin(), a_kept.end(), b_kept.begin(), b_kept.end(),
                 std::back_inserter(*ann));
  a_kept.clear();
  b_kept.clear();
  std::set_difference(a_wd.begin(), a_wd.end(), b_ann.begin(), b_ann.end(),
                      std::back_inserter(a_kept));
  std::set_difference(b_wd.begin(), b_wd.end(), a_ann.begin(), a_ann.end(),
                      std::back_inserter(b_kept));
  std::set_union(a_kept.begin(), a_kept.end(), b_kept.begin(), b_kept.end(),
                 std::back_inserter(*wd));
}

}  // namespace

VrpDiff Diff(const VrpSet& from, const VrpSet& to) {
  VrpDiff diff;
  SetDiff(from.vrps(), to.vrps(), &diff.announced, &diff.withdrawn);
  SetDiff(from.router_keys(), to.router_keys(), &diff.key_announced, &diff.key_withdrawn);
  // Records sorted by customer are sorted as whole records too.
  SetDiff(from.aspas(), to.aspas(), &diff.aspa_announced, &diff.aspa_withdrawn);
  return diff;
}

VrpDiff Compose(const VrpDiff& a, const VrpDiff& b) {
  VrpDiff out;
  ComposeSets(a.announced, a.withdrawn, b.announced, b.withdrawn, &out.announced, &out.withdrawn);
  ComposeSets(a.key_announced, a.key_withdrawn, b.key_announced, b.key_withdrawn,
              &out.key_announced, &out.key_withdrawn);
  ComposeSets(a.aspa_announced, a.aspa_withdrawn, b.aspa_announced, b.aspa_withdrawn,
              &out.aspa_announced, &out.aspa_withdrawn);
  return out;
}

}  // namespace rtr42::roa
