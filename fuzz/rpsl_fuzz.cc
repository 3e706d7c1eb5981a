// The RPSL parser and the route-object compiler on any text: a route object
// that compiles yields VRPs whose max length is within the prefix's family.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "roa/compiler.h"
#include "roa/rpsl.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rtr42::roa;
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  RpslObject object = ParseRpsl(text);
  for (const RpslAttribute& a : object.attributes) {
    if (a.line < 1) std::abort();
    (void)SingleToken(a);
  }
  // Through the compiler, as a registry file (no policy, then a policy).
  for (const char* path : {"data/route/172.20.0.0_24", "data/route6/fd42::_48"}) {
    RegistryCompiler compiler;
    RegistryDelta delta;
    delta.full = true;
    delta.changes.push_back({"data/filter.txt", "1 permit 0.0.0.0/0 0 32\n"});
    delta.changes.push_back({"data/filter6.txt", "1 permit ::/0 0 128\n"});
    delta.changes.push_back({path, std::string(text)});
    if (!compiler.Apply(delta).ok()) continue;
    VrpSet set = compiler.BuildSet();
    for (const Vrp& v : set.vrps()) {
      if (v.max_length < v.prefix.length() || v.max_length > MaxLength(v.prefix.family()))
        std::abort();
    }
  }
  return 0;
}
