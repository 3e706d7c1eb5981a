// SampleSource: the registry compiled into the binary (sources/sample/): a few
// dozen made-up objects in dn42 ranges, with filter files, so rtr42d serves
// something offline. Its first Poll() gives one full delta; it never changes.
#ifndef RTR42_SOURCES_SAMPLE_SOURCE_H_
#define RTR42_SOURCES_SAMPLE_SOURCE_H_

#include "sources/registry_source.h"

namespace rtr42::sources {

class SampleSource : public RegistrySource {
 public:
  absl::StatusOr<std::optional<RegistryDelta>> Poll() override;
  void Confirm() override { confirmed_ = true; }
  std::string Describe() const override { return "embedded sample registry"; }

 private:
  bool confirmed_ = false;
};

}  // namespace rtr42::sources

#endif  // RTR42_SOURCES_SAMPLE_SOURCE_H_
