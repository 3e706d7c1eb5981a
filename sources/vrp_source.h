// VrpSource: anything that yields whole VRP sets for the daemon, and
// VrpSnapshot, one such set with where it came from.
//
// Poll() returns nullopt when nothing changed and an error when the source
// failed; in both cases the caller keeps serving what it has. The two
// implementations: RegistryVrpSource (registry_vrp_source.h) drives a
// RegistrySource through the compiler; JsonVrpSource (json_vrp_source.h)
// reads a StayRTR / rpki-client JSON file.
#ifndef RTR42_SOURCES_VRP_SOURCE_H_
#define RTR42_SOURCES_VRP_SOURCE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "roa/diagnostic.h"
#include "roa/vrp.h"

namespace rtr42::sources {

struct VrpSnapshot {
  std::shared_ptr<const roa::VrpSet> set;
  std::string revision;
  size_t objects = 0;      // route objects held (registry sources)
  size_t parsed = 0;       // objects read for this snapshot
  size_t diagnostics = 0;  // dropped or adjusted
  std::shared_ptr<const std::vector<roa::Diagnostic>> diagnostic_list;  // registry sources
  double seconds = 0;                                                   // time to read and compile
};

class VrpSource {
 public:
  virtual ~VrpSource() = default;
  virtual absl::StatusOr<std::optional<VrpSnapshot>> Poll() = 0;
  virtual std::string Describe() const = 0;
  virtual bool is_remote() const { return false; }
};

}  // namespace rtr42::sources

#endif  // RTR42_SOURCES_VRP_SOURCE_H_
