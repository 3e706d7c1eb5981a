// The SSH server's authorized keys file (OpenSSH format, our option rules,
// libssh's key decoding): any text parses to keys or an error naming a line.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ssh/authorized_keys.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<rtr42::ssh::AuthorizedKey>> keys =
      rtr42::ssh::ParseAuthorizedKeys(text, "fuzz");
  if (keys.ok()) {
    for (const auto& k : *keys) {
      if (k.key == nullptr || k.line < 1) __builtin_trap();
    }
  } else if (keys.status().message().rfind("fuzz:", 0) != 0) {
    __builtin_trap();  // every error names the file and line
  }
  return 0;
}
