// RegistryVrpSource: a RegistrySource driven through a RegistryCompiler. Each
// delta the source reports is applied incrementally (one changed object is
// re-parsed, not the registry) and confirmed only once the compiler took it,
// so a delta that fails is offered again by the next Poll().
#ifndef RTR42_SOURCES_REGISTRY_VRP_SOURCE_H_
#define RTR42_SOURCES_REGISTRY_VRP_SOURCE_H_

#include <memory>

#include "roa/compiler.h"
#include "sources/registry_source.h"
#include "sources/vrp_source.h"

namespace rtr42::sources {

class RegistryVrpSource : public VrpSource {
 public:
  explicit RegistryVrpSource(std::unique_ptr<RegistrySource> source);
  absl::StatusOr<std::optional<VrpSnapshot>> Poll() override;
  std::string Describe() const override { return source_->Describe(); }
  bool is_remote() const override { return source_->is_remote(); }
  const roa::RegistryCompiler& compiler() const { return compiler_; }

 private:
  std::unique_ptr<RegistrySource> source_;
  roa::RegistryCompiler compiler_;
};

}  // namespace rtr42::sources

#endif  // RTR42_SOURCES_REGISTRY_VRP_SOURCE_H_
