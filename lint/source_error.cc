#include "lint/source_error.h"

#include <optional>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace rtr42::lint {
namespace {

// The payload: line, column, file and message, separated by NUL bytes (a
// file name or message never holds one).
constexpr char kPayloadUrl[] = "rtr42.lint.SourceError";

}  // namespace

std::string SourceError::ToString() const {
  if (file.empty()) return message;
  return absl::StrCat(file, ":", line, ":", column, ": ", message);
}

absl::Status SourceErrorStatus(const Location* at, const std::string& message) {
  SourceError e;
  e.message = message;
  if (at && at->file) {
    e.file = *at->file;
    e.line = at->line;
    e.column = at->column;
  }
  absl::Status status = absl::InvalidArgumentError(e.ToString());
  status.SetPayload(kPayloadUrl, absl::Cord(absl::StrCat(e.line, std::string(1, '\0'), e.column,
                                                         std::string(1, '\0'), e.file,
                                                         std::string(1, '\0'), e.message)));
  return status;
}

SourceError SourceErrorOf(const absl::Status& status) {
  SourceError e;
  e.message = std::string(status.message());
  auto payload = status.GetPayload(kPayloadUrl);  // absl::optional in Debian 12
  if (!payload) return e;
  std::vector<std::string> parts = absl::StrSplit(std::string(*payload), absl::MaxSplits('\0', 3));
  if (parts.size() == 4 && absl::SimpleAtoi(parts[0], &e.line) &&
      absl::SimpleAtoi(parts[1], &e.column)) {
    e.file = parts[2];
    e.message = parts[3];
  }
  return e;
}

}  // namespace rtr42::lint
