// SourceError: a BIRD configuration that cannot be read or parsed: where
// (file, line, column; 0 when unknown) and why.
//
// The tokenizer and the parser fail with an absl::Status made by
// SourceErrorStatus(): its message is the "file:line:col: message" a person
// reads, and it carries the location as a payload, so SourceErrorOf() gives
// the struct back without reading the message.
#ifndef RTR42_LINT_SOURCE_ERROR_H_
#define RTR42_LINT_SOURCE_ERROR_H_

#include <string>

#include "absl/status/status.h"
#include "lint/token.h"

namespace rtr42::lint {

struct SourceError {
  std::string file;  // empty when the error has no place (a missing file's name is in message)
  int line = 0;
  int column = 0;
  std::string message;
  // "file:line:col: message", or the message alone.
  std::string ToString() const;
};

absl::Status SourceErrorStatus(const Location* at, const std::string& message);
SourceError SourceErrorOf(const absl::Status& status);

}  // namespace rtr42::lint

#endif  // RTR42_LINT_SOURCE_ERROR_H_
