#include "sources/registry_vrp_source.h"

#include "absl/time/clock.h"

namespace rtr42::sources {

RegistryVrpSource::RegistryVrpSource(std::unique_ptr<RegistrySource> source)
    : source_(std::move(source)) {}

absl::StatusOr<std::optional<VrpSnapshot>> RegistryVrpSource::Poll() {
  absl::Time start = absl::Now();
  absl::StatusOr<std::optional<RegistryDelta>> delta = source_->Poll();
  if (!delta.ok()) return delta.status();
  if (!delta->has_value()) return std::nullopt;
  if (absl::Status s = compiler_.Apply(std::move(**delta)); !s.ok()) return s;
  source_->Confirm();
  VrpSnapshot snapshot;
  snapshot.set = std::make_shared<const roa::VrpSet>(compiler_.BuildSet());
  snapshot.revision = (*delta)->revision;
  snapshot.objects = compiler_.object_count();
  snapshot.parsed = compiler_.last_parsed();
  auto diagnostics = std::make_shared<const std::vector<roa::Diagnostic>>(compiler_.Diagnostics());
  snapshot.diagnostics = diagnostics->size();
  snapshot.diagnostic_list = std::move(diagnostics);
  snapshot.origins = std::make_shared<const std::vector<roa::VrpOrigin>>(compiler_.Origins());
  snapshot.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return snapshot;
}

}  // namespace rtr42::sources
