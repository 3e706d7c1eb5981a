// Tokens of a BIRD configuration, with `include` already expanded.
//
// Tokenize() reads a file and returns its tokens, each with the file, line and
// column it came from. `include "PATH";` is expanded wherever it stands (BIRD
// does it in the lexer, so it may stand even inside a filter body): PATH is
// relative to the including file, may be a glob (files in alphabetical
// order), cycles and nesting deeper than kMaxIncludeDepth are errors. Only
// regular files are read (a directory, FIFO or device is an error), at most
// kMaxIncludedFiles of them and kMaxInputBytes in all, so any input is linted
// in bounded time and memory.
// Comments (`#` to the end of the line, `/* ... */`) are dropped, but
// suppression comments (`# bird-rpki-lint: ignore[rule] reason`) are kept in
// a side table.
#ifndef RTR42_LINT_TOKEN_H_
#define RTR42_LINT_TOKEN_H_

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace rtr42::lint {

inline constexpr int kMaxIncludeDepth = 8;
inline constexpr int kMaxIncludedFiles = 4096;
inline constexpr uint64_t kMaxInputBytes = uint64_t{64} << 20;

struct Location {
  const std::string* file = nullptr;  // owned by the TokenStream
  int line = 0;
  int column = 0;
  std::string ToString() const;
};

enum class TokenKind {
  kIdentifier,  // names and keywords
  kNumber,      // decimal or 0x hex
  kAddress,     // 10.0.0.0, fd00::1, 10.0.0.0/8 (the /len is part of it)
  kString,
  kPunct,  // operators and punctuation: "==" etc. in `text`
  kEnd,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;
  Location location;
  bool Is(const char* punct_or_word) const {
    return text == punct_or_word && kind != TokenKind::kString;
  }
};

struct TokenStream {
  std::vector<Token> tokens;                        // ends with one kEnd token
  std::vector<std::unique_ptr<std::string>> files;  // every file read, in order
  // Suppressions: file -> line -> rules ("*" for every rule).
  std::map<std::string, std::map<int, std::set<std::string>>> suppressions;
  size_t lines = 0;  // lines read, over all files
};

// Errors name file, line and column.
absl::StatusOr<TokenStream> Tokenize(const std::string& path);
// The same over text in memory, named `name` (includes are read from disk,
// relative to the directory part of `name`).
absl::StatusOr<TokenStream> TokenizeText(const std::string& name, const std::string& text);

}  // namespace rtr42::lint

#endif  // RTR42_LINT_TOKEN_H_
