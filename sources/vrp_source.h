// VrpSource: anything that yields whole VRP sets for the daemon, and
// VrpSnapshot, one such set with where it came from.
//
// Poll() returns nullopt when nothing changed and an error when the source
// failed; in both cases the caller keeps serving what it has. The
// implementations: RegistryVrpSource (registry_vrp_source.h) drives a
// RegistrySource through the compiler; JsonVrpSource (json_vrp_source.h)
// reads a StayRTR / rpki-client JSON file or URL; RtrUpstreamSource
// (rtr_upstream_source.h) follows another RTR cache.
//
// A source whose changes are pushed to it (an RTR upstream's Serial Notify)
// calls the wakeup its owner set, from any thread, and is then polled at
// once.
#ifndef RTR42_SOURCES_VRP_SOURCE_H_
#define RTR42_SOURCES_VRP_SOURCE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "roa/compiler.h"
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
  // Registry sources: where each VRP came from, sorted by VRP.
  std::shared_ptr<const std::vector<roa::VrpOrigin>> origins;
  double seconds = 0;  // time to read and compile
  // Served all the same, but said once and counted: the data is old (a JSON
  // file's metadata.generated beyond --json-max-age).
  std::string warning;
  absl::Time generated = absl::InfinitePast();  // when the data was made, where it says
};

class VrpSource {
 public:
  virtual ~VrpSource() = default;
  virtual absl::StatusOr<std::optional<VrpSnapshot>> Poll() = 0;
  virtual std::string Describe() const = 0;
  virtual bool is_remote() const { return false; }
  // Set before the first Poll(), cleared (empty) before the source is
  // destroyed.
  virtual void SetWakeup(std::function<void()> wakeup) { (void)wakeup; }
  // Non-empty while the source says its last set is past its use (an RTR
  // upstream unreachable beyond its expire interval): why.
  virtual std::string Expired() const { return ""; }
};

}  // namespace rtr42::sources

#endif  // RTR42_SOURCES_VRP_SOURCE_H_
