// vrpgen: writes a synthetic VRP JSON file (StayRTR / rpki-client shape).
//   vrpgen --count 1000000 --seed 1 --output vrps.json
#include <iostream>

#include "absl/time/clock.h"
#include "base/args.h"
#include "base/file_util.h"
#include "bench/vrp_gen.h"
#include "roa/vrp_format.h"

int main(int argc, char** argv) {
  using namespace rtr42;
  Args args("vrpgen", "Writes a synthetic, Internet-like VRP JSON file.");
  args.AddOption("count", "N", "number of VRPs (default 1000000)");
  args.AddOption("seed", "N", "random seed (default 1)");
  args.AddOption("output", "FILE", "where to write (default standard output)");
  if (std::optional<int> exit = args.ParseCommandLine(argc, argv)) return *exit;
  absl::StatusOr<int64_t> count = args.GetInt("count", 1000000, 1, 100000000);
  absl::StatusOr<int64_t> seed = args.GetInt("seed", 1, 0, 1LL << 32);
  if (!count.ok() || !seed.ok()) {
    std::cerr << "vrpgen: " << (count.ok() ? seed.status() : count.status()).message() << "\n";
    return 2;
  }
  roa::VrpSet set(bench::GenerateVrps(static_cast<size_t>(*count), static_cast<uint32_t>(*seed)));
  roa::FormatOptions options;
  options.generated = absl::ToUnixSeconds(absl::Now());
  std::string text = roa::FormatVrps(set, roa::OutputFormat::kJson, options);
  if (args.Has("output")) {
    if (absl::Status s = WriteFileAtomically(args.Get("output"), text); !s.ok()) {
      std::cerr << "vrpgen: " << s.message() << "\n";
      return 1;
    }
  } else {
    std::cout << text;
  }
  std::cerr << "vrpgen: " << set.size() << " VRPs (" << set.ipv4_count() << " IPv4, "
            << set.ipv6_count() << " IPv6)\n";
  return 0;
}
