// Small file helpers shared by the tools and sources.
#ifndef RTR42_BASE_FILE_UTIL_H_
#define RTR42_BASE_FILE_UTIL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rtr42 {

// What ReadFile() accepts.
struct ReadLimits {
  uint64_t max_bytes = uint64_t{1} << 30;  // a larger file is an error, never a truncation
  bool follow_symlinks = true;             // false: a symbolic link is an error
};

// Reads a whole regular file. A directory, FIFO, socket or device is an
// error (so /dev/zero or a FIFO never hangs or eats memory), and so is a
// file over `limits.max_bytes` or one that cannot be held in memory. The
// error names the path and the reason.
absl::StatusOr<std::string> ReadFile(const std::string& path, const ReadLimits& limits = {});

// Writes `contents` to `path` atomically: a temporary file in the same
// directory is written, flushed to disk and renamed over `path` (and the
// directory flushed), so a reader sees either the old file or the new one,
// never a part, even after a power loss. `mode` is the new file's permission
// bits (0600 for a private key).
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents,
                                 unsigned mode = 0644);

// Writes a program's output: to standard output when `path` is empty or
// "-", else to `path` -- atomically (WriteFileAtomically) when it is or will
// be a regular file, through a symbolic link to its target, and straight into
// a device, FIFO or socket (which a rename would replace). Every write error
// is reported (a full disk, a closed pipe), so a tool can exit non-zero.
absl::Status WriteOutput(const std::string& path, absl::string_view contents);

// rtr42's cache directory: $XDG_CACHE_HOME/rtr42, else ~/.cache/rtr42, else
// /var/cache/rtr42. Clones and mirror state live under it.
std::string CacheDir();

// Raises the soft limit on open files to the hard limit (a cache serving
// thousands of routers needs more than the usual 1024). Returns the new limit.
uint64_t RaiseOpenFileLimit();

}  // namespace rtr42

#endif  // RTR42_BASE_FILE_UTIL_H_
