// Helpers shared by the tests: temporary directories, running commands,
// where ../shared is, a log sink, and a short way to write a VRP.
#ifndef RTR42_TESTS_TEST_UTIL_H_
#define RTR42_TESTS_TEST_UTIL_H_

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "base/log.h"
#include "roa/vrp.h"

namespace rtr42::testing {

// A fresh directory under $TMPDIR, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs `command` with /bin/sh; returns its exit status and fills `output`
// with standard output (standard error is left alone).
int RunCommand(const std::string& command, std::string* output = nullptr);

void WriteFile(const std::string& path, const std::string& contents);

// The shared registry bundle, or "" if ../shared is absent.
std::string SharedBundlePath();
// Clones the bundle to `repo`; returns its commits along first parents,
// oldest first (empty if the clone failed).
std::vector<std::string> CloneSharedBundle(const std::string& repo);

// Collects what is logged (from any thread) while it lives.
class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  // Lines at `level` or above that contain `text`.
  int Count(LogLevel level, absl::string_view text) const;
  std::string All() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<LogLevel, std::string>> lines_;
};

// The VRP (prefix, max length, origin); the prefix must parse.
roa::Vrp V(const char* prefix, int max_length, uint32_t asn);

// The directory holding the built tools (roa-compile, rtr42d, rtr-dump).
std::string ToolDir();

}  // namespace rtr42::testing

#endif  // RTR42_TESTS_TEST_UTIL_H_
