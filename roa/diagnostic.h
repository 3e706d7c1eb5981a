// Diagnostic: one thing the compiler dropped or adjusted, with where and why.
#ifndef RTR42_ROA_DIAGNOSTIC_H_
#define RTR42_ROA_DIAGNOSTIC_H_

#include <string>

namespace rtr42::roa {

struct Diagnostic {
  enum class Kind {
    kDropped,   // the object (or, for an origin, that VRP) gives no VRPs
    kAdjusted,  // the object is kept, but a value was changed or ignored
  };
  std::string file;    // registry-relative path, "data/route/172.20.0.0_24"
  int line = 0;        // 1-based; 0 when the reason is the whole file
  std::string object;  // the route key as written, or the file name
  Kind kind = Kind::kDropped;
  std::string reason;

  // "data/route/172.20.0.0_24:3: dropped: 172.20.0.0/24: <reason>"
  std::string ToString() const;
  friend bool operator==(const Diagnostic&, const Diagnostic&) = default;
};

// "dropped" or "adjusted": how ToString(), /diagnostics, the status page
// and roa-compile --diff name a kind.
const char* DiagnosticKindName(Diagnostic::Kind kind);

}  // namespace rtr42::roa

#endif  // RTR42_ROA_DIAGNOSTIC_H_
