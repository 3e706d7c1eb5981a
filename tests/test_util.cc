#include "tests/test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace rtr42::testing {

TempDir::TempDir() {
  std::string base = std::filesystem::temp_directory_path().string() + "/rtr42-test-XXXXXX";
  if (!mkdtemp(base.data())) throw std::runtime_error("mkdtemp failed");
  path_ = base;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

int RunCommand(const std::string& command, std::string* output) {
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return -1;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) {
    if (output) output->append(buf, n);
  }
  int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
}

std::string SharedBundlePath() {
  const char* env = getenv("RTR42_SHARED_DIR");
  std::string dir = env && *env ? env : RTR42_SOURCE_DIR "/../shared";
  std::string bundle = dir + "/data/dn42-registry-2023H1.bundle";
  return std::filesystem::exists(bundle) ? bundle : "";
}

std::vector<std::string> CloneSharedBundle(const std::string& repo) {
  if (RunCommand("git clone -q " + SharedBundlePath() + " " + repo + " 2>&1") != 0) return {};
  std::string revs;
  RunCommand("git -C " + repo + " rev-list --first-parent --reverse HEAD", &revs);
  return absl::StrSplit(revs, '\n', absl::SkipEmpty());
}

std::string ToolDir() { return RTR42_TOOL_DIR; }

LogCapture::LogCapture() {
  SetLogSink([this](LogLevel level, absl::string_view message) {
    std::lock_guard lock(mutex_);
    lines_.push_back({level, std::string(message)});
  });
}

LogCapture::~LogCapture() { SetLogSink(nullptr); }

int LogCapture::Count(LogLevel level, absl::string_view text) const {
  std::lock_guard lock(mutex_);
  int n = 0;
  for (const auto& [l, m] : lines_) n += l >= level && absl::StrContains(m, text);
  return n;
}

std::string LogCapture::All() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [l, m] : lines_) absl::StrAppend(&out, m, "\n");
  return out;
}

roa::Vrp V(const char* prefix, int max_length, uint32_t asn) {
  return roa::Vrp{*roa::Prefix::Parse(prefix), static_cast<uint8_t>(max_length), asn};
}

}  // namespace rtr42::testing
