// Logging: one line per event, written to stderr as
//   2026-11-25T06:11:31.123Z INFO  message
// The level is process-wide and set once at start-up; Log() is safe from any
// thread (each line is written with a single write call, so lines from
// different threads never interleave).
#ifndef RTR42_BASE_LOG_H_
#define RTR42_BASE_LOG_H_

#include <functional>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace rtr42 {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kOff = 4 };

// Parses "debug", "info", "warning"/"warn", "error" or "off".
absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view name);
void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);
void LogLine(LogLevel level, absl::string_view message);

// Lines also go to `sink` while one is set (tests read what was logged);
// null removes it. The sink is called under a lock, one line at a time.
using LogSink = std::function<void(LogLevel level, absl::string_view message)>;
void SetLogSink(LogSink sink);

template <typename... Args>
void Log(LogLevel level, const absl::FormatSpec<Args...>& format, const Args&... args) {
  if (LogEnabled(level)) LogLine(level, absl::StrFormat(format, args...));
}

}  // namespace rtr42

#define RTR42_LOG_DEBUG(...) ::rtr42::Log(::rtr42::LogLevel::kDebug, __VA_ARGS__)
#define RTR42_LOG_INFO(...) ::rtr42::Log(::rtr42::LogLevel::kInfo, __VA_ARGS__)
#define RTR42_LOG_WARNING(...) ::rtr42::Log(::rtr42::LogLevel::kWarning, __VA_ARGS__)
#define RTR42_LOG_ERROR(...) ::rtr42::Log(::rtr42::LogLevel::kError, __VA_ARGS__)

#endif  // RTR42_BASE_LOG_H_
