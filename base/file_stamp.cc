#include "base/file_stamp.h"

#include <sys/stat.h>

namespace rtr42 {

std::optional<FileStamp> StampOf(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return FileStamp{int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
                   int64_t(st.st_size), uint64_t(st.st_ino)};
}

}  // namespace rtr42
