// The StayRTR / rpki-client VRP JSON reader: what it accepts must survive
// our own JSON writer and read back to the same set.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "roa/vrp_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rtr42::roa;
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<VrpSet> set = ParseVrpJson(text);
  if (!set.ok()) return 0;
  absl::StatusOr<VrpSet> again = ParseVrpJson(FormatVrps(*set, OutputFormat::kJson, {}));
  if (!again.ok() || !(*again == *set)) std::abort();
  return 0;
}
