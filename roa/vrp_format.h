// Reading and writing VRP sets as text.
//
// JSON is the shape StayRTR and rpki-client read:
//   {"metadata": {"counts": N, "generated": UNIX, "valid": UNIX, "commit": "SHA"},
//    "roas": [{"prefix": "172.20.0.0/24", "maxLength": 28, "asn": "AS4242420000"}]}
// ParseVrpJson() streams the text (a SAX parser), so a million-entry file is
// never held as a document tree; "asn" may be a number or "AS<n>", and
// "maxLength" may be absent (the prefix length then).
#ifndef RTR42_ROA_VRP_FORMAT_H_
#define RTR42_ROA_VRP_FORMAT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "roa/vrp.h"

namespace rtr42::roa {

enum class OutputFormat { kJson, kBird2, kBird1, kCsv };

absl::StatusOr<OutputFormat> ParseOutputFormat(absl::string_view name);

struct FormatOptions {
  std::optional<Family> family;   // only this family
  int64_t generated = 0;          // unix seconds, for JSON metadata
  int64_t valid_seconds = 86400;  // "valid" = generated + this
  std::string commit;             // JSON metadata; omitted when empty
};

std::string FormatVrps(const VrpSet& set, OutputFormat format, const FormatOptions& options);

// What a JSON file says of itself, where the parsers are asked.
struct VrpJsonMetadata {
  std::optional<int64_t> generated;  // metadata.generated, unix seconds
};

absl::StatusOr<VrpSet> ParseVrpJson(absl::string_view text, VrpJsonMetadata* metadata = nullptr);
// Streams the file through the parser in small chunks.
absl::StatusOr<VrpSet> ReadVrpJsonFile(const std::string& path,
                                       VrpJsonMetadata* metadata = nullptr);

// "AS123" or "123" -> 123.
bool ParseAsn(absl::string_view text, uint32_t* asn);

}  // namespace rtr42::roa

#endif  // RTR42_ROA_VRP_FORMAT_H_
