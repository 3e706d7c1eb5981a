// RPSL objects as the dn42 registry writes them, one object per file.
//
//   route:              172.20.0.0/24      <- attribute: name at column 0, ':', value
//   remarks:            first line
//                       more text          <- continuation (space, tab or '+')
//   % a comment line, or # a comment line  <- skipped
//
// Every attribute keeps the line it starts on, for diagnostics. Names are
// lower-cased; values are trimmed and keep any bytes (the registry is not all
// UTF-8). Lines that are none of the above are reported in `bad_lines`, never
// read as attributes, and do not stop the parse. CRLF line ends are accepted.
#ifndef RTR42_ROA_RPSL_H_
#define RTR42_ROA_RPSL_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"

namespace rtr42::roa {

struct RpslAttribute {
  std::string name;   // lower case
  std::string value;  // the first line's value, trimmed
  int line = 0;       // 1-based line of the name
  // Trimmed text of continuation lines, in order ('+' lines give "").
  std::vector<std::string> continuation;
};

struct RpslObject {
  std::vector<RpslAttribute> attributes;
  std::vector<int> bad_lines;  // 1-based lines that were neither attribute nor comment

  // All attributes named `name` (lower case), in file order.
  std::vector<const RpslAttribute*> All(absl::string_view name) const;
  const RpslAttribute* First(absl::string_view name) const;
};

RpslObject ParseRpsl(absl::string_view text);

// A single-token value with any trailing "# comment" removed; the empty string
// if the value is empty or has more than one token, or the attribute has
// continuation text.
std::string SingleToken(const RpslAttribute& attribute);

}  // namespace rtr42::roa

#endif  // RTR42_ROA_RPSL_H_
