// FileStamp: what tells a file's version apart without reading it, the one
// change test every polled file (registry directory, policy files, VRP JSON,
// SLURM) uses.
//
// Two stamps are equal when modification time (nanoseconds), size and inode
// are: a file replaced by rename (a new inode) or rewritten in place (a new
// time or size) has a new stamp.
#ifndef RTR42_BASE_FILE_STAMP_H_
#define RTR42_BASE_FILE_STAMP_H_

#include <cstdint>
#include <optional>
#include <string>

namespace rtr42 {

struct FileStamp {
  int64_t mtime_ns = -1;
  int64_t size = -1;
  uint64_t inode = 0;
  friend bool operator==(const FileStamp&, const FileStamp&) = default;
};

// The stamp of the regular file at `path`; nullopt when it does not exist,
// cannot be read or is not a regular file.
std::optional<FileStamp> StampOf(const std::string& path);

}  // namespace rtr42

#endif  // RTR42_BASE_FILE_STAMP_H_
