// SLURM (RFC 8416): local exceptions applied after the sources.
//
// Prefix filters remove every VRP whose prefix lies within the filter's prefix
// (when given) and whose ASN equals the filter's ASN (when given); prefix
// assertions then add VRPs. Parse() is strict about the RFC's structure
// (slurmVersion 1, the four arrays, each filter naming a prefix or an ASN,
// maxPrefixLength within range), so a broken file is rejected whole and the
// previous one stays in force. BGPsec filters and assertions are accepted
// and, as rtr42 serves no router keys, have no effect.
#ifndef RTR42_ROA_SLURM_H_
#define RTR42_ROA_SLURM_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "roa/vrp.h"

namespace rtr42::roa {

struct Slurm {
  struct PrefixFilter {
    std::optional<Prefix> prefix;
    std::optional<uint32_t> asn;
  };
  std::vector<PrefixFilter> prefix_filters;
  std::vector<Vrp> prefix_assertions;
  // ASPA (draft-ietf-sidrops-aspa-slurm): filters drop a customer's
  // record; assertions set one.
  std::vector<uint32_t> aspa_filters;
  std::vector<Aspa> aspa_assertions;
  // BGPsec (RFC 8416 sections 3.3.2 and 3.4.2): a filter drops the Router
  // Keys matching its ASN and/or SKI; an assertion adds a key.
  struct BgpsecFilter {
    std::optional<uint32_t> asn;
    std::optional<std::string> ski;  // bytes
  };
  std::vector<BgpsecFilter> bgpsec_filters;
  std::vector<RouterKey> bgpsec_assertions;
};

// `path` is used in error messages.
absl::StatusOr<Slurm> ParseSlurm(absl::string_view json, const std::string& path);

VrpSet ApplySlurm(const VrpSet& set, const Slurm& slurm);

}  // namespace rtr42::roa

#endif  // RTR42_ROA_SLURM_H_
