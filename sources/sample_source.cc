#include "sources/sample_source.h"

#include "base/embedded.h"

namespace rtr42 {
// Generated from sources/sample/ by cmake/Embed.cmake.
extern const EmbeddedFile kSampleRegistry[];
extern const size_t kSampleRegistry_count;
}  // namespace rtr42

namespace rtr42::sources {

absl::StatusOr<std::optional<RegistryDelta>> SampleSource::Poll() {
  if (confirmed_) return std::nullopt;
  RegistryDelta delta;
  delta.full = true;
  delta.revision = "embedded-sample";
  for (size_t i = 0; i < kSampleRegistry_count; ++i) {
    delta.changes.push_back(
        {std::string(kSampleRegistry[i].path), std::string(kSampleRegistry[i].data)});
  }
  return delta;
}

}  // namespace rtr42::sources
