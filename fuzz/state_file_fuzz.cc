// The --state-dir file reader: damaged bytes are refused, never crash; what
// it accepts re-encodes (in the current format) to bytes that decode and
// re-encode to themselves. (A format 1 file is re-sorted, so its own bytes
// are not reproduced.)
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "rtr/state_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rtr42::rtr;
  absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<StateFile> state = DecodeStateFile(bytes, "fuzz");
  if (!state.ok()) return 0;
  std::string again = EncodeStateFile(*state->update, state->saved);
  absl::StatusOr<StateFile> reread = DecodeStateFile(again, "fuzz");
  if (!reread.ok() || EncodeStateFile(*reread->update, reread->saved) != again) std::abort();
  return 0;
}
