// The dn42 filter.txt / filter6.txt parser on any text.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "roa/filter_policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rtr42::roa;
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  for (Family family : {Family::kIpv4, Family::kIpv6}) {
    (void)FilterPolicy::Parse(text, family, "data/filter.txt");
  }
  return 0;
}
