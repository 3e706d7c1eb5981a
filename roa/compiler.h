// The ROA compiler: dn42 route/route6 objects and filter policy -> VRPs.
//
// The rules (and every drop or adjustment is a Diagnostic):
//  * an object is a file in data/route/ (IPv4) or data/route6/ (IPv6); its
//    key attribute is route: or route6: to match, its value a prefix of that
//    family with no host bits set, else the object is dropped;
//  * the first filter rule by number whose network contains the whole prefix
//    decides: none, deny, or a prefix longer than the rule's MaxLen drops it;
//  * max-length: absent or not a number -> the rule's MaxLen; else
//    min(max(value, prefix length), MaxLen);
//  * one VRP per valid origin: attribute (AS<n>, any case, n < 2^32); bad
//    origins are dropped, an object with none left is dropped;
//  * an object over kMaxRouteObjectBytes is dropped unread.
// Without a filter file for a family (an IRR that is not dn42), objects of
// that family are not policy-checked: max-length is the attribute's value
// (at least the prefix length) or else the prefix length.
//
// RegistryCompiler holds the parsed objects and their VRPs by path, so an
// incremental delta re-parses only the changed files; a changed filter file
// re-applies the policy to the parsed objects without reading them again.
// It keeps the union of the VRPs sorted as it goes, so building the set
// after a small delta costs a walk, not a sort.
#ifndef RTR42_ROA_COMPILER_H_
#define RTR42_ROA_COMPILER_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "roa/diagnostic.h"
#include "roa/filter_policy.h"
#include "roa/registry_delta.h"
#include "roa/vrp.h"

namespace rtr42::roa {

// A route object larger than this is dropped unread (dn42's largest are a
// few hundred bytes, an IRR's a few KB), so one enormous file cannot take
// the compiler's memory or time.
inline constexpr size_t kMaxRouteObjectBytes = 64 << 10;
// Lines that are not attributes get a diagnostic each up to this many per
// object, then one for the rest.
inline constexpr size_t kMaxLineDiagnostics = 10;

// A route object as written, before the policy is applied.
struct RouteObject {
  std::string path;
  std::string name;     // the key's value as written, or the file name
  bool usable = false;  // key, prefix and at least one origin are valid
  Prefix prefix;
  int prefix_line = 0;
  std::vector<uint32_t> origins;  // valid, unique, in file order
  bool has_max_length = false;    // a max-length attribute that is a number
  uint64_t max_length = 0;        // saturated
  int max_length_line = 0;
  std::vector<Diagnostic> diagnostics;  // from reading the object
};

RouteObject ParseRouteObject(std::string path, Family family, absl::string_view text);

// Applies `policy` (nullptr: none for that family) to `object`, appending its
// VRPs to `vrps` and any policy diagnostics to `diagnostics`.
void CompileRouteObject(const RouteObject& object, const FilterPolicy* policy,
                        std::vector<Vrp>* vrps, std::vector<Diagnostic>* diagnostics);

// Where a VRP came from: the route object that gives it (its file and the
// line of its key) and the filter rule that admitted it, and what set the
// VRP's max length. Several objects may give one VRP; each is an origin.
struct VrpOrigin {
  enum class MaxLengthFrom {
    kAttribute,  // the object's max-length, as written
    kRule,       // the rule's MaxLen (no max-length, or one above it)
    kPrefix,     // the prefix length (no max-length and no policy, or one below it)
  };
  Vrp vrp;
  std::string file;  // registry-relative path
  int line = 0;      // of the route:/route6: attribute
  std::string object;
  MaxLengthFrom max_length_from = MaxLengthFrom::kPrefix;
  int max_length_line = 0;  // of the max-length attribute, when it has one
  // The rule (number 0 and no file: the family has no policy).
  int rule_number = 0;
  std::string rule_file;
  int rule_line = 0;
  std::string rule_text;  // "permit 172.20.0.0/14 21-29"
};

class RegistryCompiler {
 public:
  // Applies a delta. All or nothing: if a filter file in it does not parse,
  // the error names the file and line and the compiler is left unchanged.
  absl::Status Apply(const RegistryDelta& delta);
  // The same, taking the delta's file contents as it goes (each becomes ""
  // once parsed), so a full delta of an IRR's half a million objects and the
  // compiled objects are not both whole in memory. On an error the delta is
  // left as it was.
  absl::Status Apply(RegistryDelta&& delta);

  // The VRPs of every object, sorted and deduplicated.
  VrpSet BuildSet() const;
  // Every diagnostic, sorted by file and line.
  std::vector<Diagnostic> Diagnostics() const;
  // The origin of every VRP, sorted by VRP (then file): what /validity
  // explains a VRP with. One walk of the objects.
  std::vector<VrpOrigin> Origins() const;

  size_t object_count() const { return objects_.size(); }
  const std::string& revision() const { return revision_; }
  // How many objects the last Apply() parsed (for tests and logs).
  size_t last_parsed() const { return last_parsed_; }

 private:
  struct Entry {
    RouteObject object;
    std::vector<Vrp> vrps;
    std::vector<Diagnostic> policy_diagnostics;
  };
  // `consume`: nullptr, or the same delta, whose contents may be taken.
  absl::Status ApplyChanges(const RegistryDelta& delta, RegistryDelta* consume);
  void Recompile(Entry& entry) const;
  const FilterPolicy* PolicyFor(Family family) const;
  // Adds (`sign` +1) or removes (-1) an object's VRPs in vrp_counts_.
  void Count(const std::vector<Vrp>& vrps, int sign);

  // Nodes, not a flat table: an Entry is large, and a flat table at IRR
  // scale (half a million objects) would be mostly empty slots.
  absl::node_hash_map<std::string, Entry> objects_;
  // Every VRP of every object, in order, with how many objects give it: so
  // BuildSet() walks the VRPs instead of gathering and sorting them.
  absl::btree_map<Vrp, uint32_t> vrp_counts_;
  std::optional<FilterPolicy> filter4_;
  std::optional<FilterPolicy> filter6_;
  std::string revision_;
  size_t last_parsed_ = 0;
};

// Is `path` a route object path ("data/route/x" or "data/route6/x")? Sets
// `family` when it is.
bool IsRouteObjectPath(absl::string_view path, Family* family);

}  // namespace rtr42::roa

#endif  // RTR42_ROA_COMPILER_H_
