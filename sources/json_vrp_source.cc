#include "sources/json_vrp_source.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "roa/vrp_format.h"

namespace rtr42::sources {

absl::StatusOr<std::optional<VrpSnapshot>> JsonVrpSource::Poll() {
  absl::Time start = absl::Now();
  std::optional<FileStamp> stamp = StampOf(path_);
  if (!stamp) return absl::NotFoundError(absl::StrCat(path_, ": no such file"));
  if (stamp == loaded_) return std::nullopt;
  absl::StatusOr<roa::VrpSet> set = roa::ReadVrpJsonFile(path_);
  if (!set.ok()) return set.status();
  loaded_ = stamp;
  VrpSnapshot snapshot;
  snapshot.set = std::make_shared<const roa::VrpSet>(std::move(*set));
  snapshot.revision = Describe();
  snapshot.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return snapshot;
}

}  // namespace rtr42::sources
