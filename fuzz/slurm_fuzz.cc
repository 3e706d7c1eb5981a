// The RFC 8416 SLURM parser, and applying what it accepts to a small set.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "roa/slurm.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rtr42::roa;
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<Slurm> slurm = ParseSlurm(text, "fuzz.slurm");
  if (!slurm.ok()) return 0;
  VrpSet set({{*Prefix::Parse("172.20.0.0/24"), 28, 4242420000},
              {*Prefix::Parse("fd42::/48"), 64, 4242420001}},
             {{4242420000, {4242420001}}});
  (void)ApplySlurm(set, *slurm);
  return 0;
}
