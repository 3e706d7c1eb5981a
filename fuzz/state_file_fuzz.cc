// The --state-dir file reader: damaged bytes are refused, never crash; what
// it accepts re-encodes to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "rtr/state_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rtr42::roa;
  absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<StateFile> state = DecodeStateFile(bytes, "fuzz");
  if (!state.ok()) return 0;
  if (EncodeStateFile(*state->update, state->saved) != bytes) std::abort();
  return 0;
}
