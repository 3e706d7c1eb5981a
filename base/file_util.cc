#include "base/file_util.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>

#include "absl/strings/str_cat.h"

namespace rtr42 {

absl::StatusOr<std::string> ReadFile(const std::string& path, const ReadLimits& limits) {
  // O_NONBLOCK: opening a FIFO does not wait for a writer (it is refused
  // below); O_NOFOLLOW refuses a symbolic link when asked to.
  int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | (limits.follow_symlinks ? 0 : O_NOFOLLOW);
  int fd = ::open(path.c_str(), flags);
  if (fd < 0) {
    if (errno == ELOOP && !limits.follow_symlinks) {
      return absl::PermissionDeniedError(absl::StrCat(path, ": is a symbolic link (not followed)"));
    }
    return absl::NotFoundError(absl::StrCat(path, ": ", std::strerror(errno)));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    bool dir = S_ISDIR(st.st_mode);
    ::close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat(path, dir ? ": is a directory" : ": is not a regular file"));
  }
  if (static_cast<uint64_t>(st.st_size) > limits.max_bytes) {
    ::close(fd);
    return absl::ResourceExhaustedError(
        absl::StrCat(path, ": ", st.st_size, " bytes, more than the limit of ", limits.max_bytes));
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  std::string data;
  try {
    data.reserve(static_cast<size_t>(st.st_size));
    char buf[1 << 16];
    while (true) {
      ssize_t n = ::read(fd, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int err = errno;
        ::close(fd);
        return absl::DataLossError(absl::StrCat(path, ": read error: ", std::strerror(err)));
      }
      if (n == 0) break;
      if (data.size() + static_cast<size_t>(n) > limits.max_bytes) {  // it grew while read
        ::close(fd);
        return absl::ResourceExhaustedError(
            absl::StrCat(path, ": more than the limit of ", limits.max_bytes, " bytes"));
      }
      data.append(buf, static_cast<size_t>(n));
    }
  } catch (const std::bad_alloc&) {
    ::close(fd);
    return absl::ResourceExhaustedError(absl::StrCat(path, ": not enough memory to read it"));
  }
  ::close(fd);
  return data;
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents,
                                 unsigned mode) {
  std::string tmp = path + ".tmpXXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat(path, ": cannot create temporary file: ", std::strerror(errno)));
  }
  const char* p = contents.data();
  size_t left = contents.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return absl::DataLossError(absl::StrCat(tmp, ": write failed: ", std::strerror(err)));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  // mkstemp creates the file 0600; an output file is usually meant to be read
  // by others.
  ::fchmod(fd, static_cast<mode_t>(mode));
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return absl::DataLossError(absl::StrCat(tmp, ": flush failed: ", std::strerror(err)));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return absl::PermissionDeniedError(
        absl::StrCat("rename ", tmp, " to ", path, ": ", std::strerror(err)));
  }
  // The rename itself is durable once the directory is flushed.
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return absl::OkStatus();
}

namespace {

absl::Status WriteAll(int fd, absl::string_view contents, const std::string& name) {
  const char* p = contents.data();
  size_t left = contents.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return absl::DataLossError(absl::StrCat(name, ": write failed: ", std::strerror(errno)));
    p += n;
    left -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteOutput(const std::string& path, absl::string_view contents) {
  if (path.empty() || path == "-") {
    std::fflush(stdout);
    return WriteAll(STDOUT_FILENO, contents, "standard output");
  }
  std::string target = path;
  struct stat st;
  for (int hops = 0; hops < 8 && ::lstat(target.c_str(), &st) == 0 && S_ISLNK(st.st_mode); ++hops) {
    std::string link = target;
    // Write where the link points (a link to a file not made yet included).
    char buf[4096];
    ssize_t n = ::readlink(link.c_str(), buf, sizeof(buf) - 1);
    if (n <= 0) return absl::NotFoundError(absl::StrCat(path, ": ", std::strerror(errno)));
    target.assign(buf, static_cast<size_t>(n));
    size_t slash = link.rfind('/');
    if (target[0] != '/' && slash != std::string::npos) target = link.substr(0, slash + 1) + target;
  }
  if (::stat(target.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    if (S_ISDIR(st.st_mode))
      return absl::InvalidArgumentError(absl::StrCat(path, ": is a directory"));
    int fd = ::open(target.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return absl::PermissionDeniedError(absl::StrCat(path, ": ", std::strerror(errno)));
    absl::Status s = WriteAll(fd, contents, path);
    if (::close(fd) != 0 && s.ok()) {
      s = absl::DataLossError(absl::StrCat(path, ": ", std::strerror(errno)));
    }
    return s;
  }
  return WriteFileAtomically(target, contents);
}

uint64_t RaiseOpenFileLimit() {
  struct rlimit limit;
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur;
}

std::string CacheDir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return absl::StrCat(xdg, "/rtr42");
  if (const char* home = std::getenv("HOME"); home && *home)
    return absl::StrCat(home, "/.cache/rtr42");
  return "/var/cache/rtr42";
}

}  // namespace rtr42
