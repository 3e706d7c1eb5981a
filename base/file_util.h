// Small file helpers shared by the tools and sources.
#ifndef RTR42_BASE_FILE_UTIL_H_
#define RTR42_BASE_FILE_UTIL_H_

#include "absl/strings/string_view.h"
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rtr42 {

// Reads a whole file. The error names the path and the reason.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Writes `contents` to `path` atomically: a temporary file in the same
// directory is written, flushed to disk and renamed over `path`, so a reader
// sees either the old file or the new one, never a part.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents);

}  // namespace rtr42

#endif  // RTR42_BASE_FILE_UTIL_H_
