#include "sources/rtr_upstream_source.h"

namespace rtr42::sources {

absl::StatusOr<std::optional<VrpSnapshot>> RtrUpstreamSource::Poll() {
  rtr::CacheFollower::State state = follower_.state();
  if (state.version != polled_version_) {  // a new set, even if the session has failed since
    polled_version_ = state.version;
    VrpSnapshot snapshot;
    snapshot.set = std::move(state.set);
    snapshot.revision = std::move(state.revision);
    snapshot.seconds = state.seconds;
    return snapshot;
  }
  if (!state.error.empty()) return absl::UnavailableError(state.error);
  return std::nullopt;
}

}  // namespace rtr42::sources
