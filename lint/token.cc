#include "lint/token.h"

#include <glob.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "base/file_util.h"
#include "lint/source_error.h"

namespace rtr42::lint {

std::string Location::ToString() const {
  return absl::StrCat(file ? *file : "<input>", ":", line, ":", column);
}

namespace {

bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)); }
bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

class Lexer {
 public:
  explicit Lexer(TokenStream* out) : out_(out) {}

  absl::Status File(const std::string& path, const Location* from, int depth) {
    std::error_code ec;
    std::string canonical = std::filesystem::weakly_canonical(path, ec).string();
    if (std::find(stack_.begin(), stack_.end(), canonical) != stack_.end()) {
      return Error(from, absl::StrCat("include cycle: ", path, " includes itself"));
    }
    if (depth > kMaxIncludeDepth) {
      return Error(from, absl::StrCat("includes nested deeper than ", kMaxIncludeDepth));
    }
    if (++files_read_ > kMaxIncludedFiles) {
      return Error(from, absl::StrCat("more than ", kMaxIncludedFiles,
                                      " files read (an include tree that multiplies)"));
    }
    ReadLimits limits;
    limits.max_bytes = kMaxInputBytes - std::min(bytes_read_, kMaxInputBytes);
    absl::StatusOr<std::string> text = ReadFile(path, limits);
    if (!text.ok()) {
      if (text.status().code() == absl::StatusCode::kResourceExhausted) {
        return Error(from, absl::StrCat("the configuration is larger than ", kMaxInputBytes >> 20,
                                        " MiB with ", path));
      }
      return Error(from, absl::StrCat("cannot read ", text.status().message()));
    }
    bytes_read_ += text->size();
    return Text(path, canonical, *text, depth);
  }

  absl::Status Text(const std::string& path, const std::string& canonical, const std::string& text,
                    int depth) {
    out_->files.push_back(std::make_unique<std::string>(path));
    const std::string* file = out_->files.back().get();
    stack_.push_back(canonical);
    absl::Status s = Scan(file, text, depth);
    stack_.pop_back();
    return s;
  }

 private:
  absl::Status Error(const Location* at, const std::string& message) {
    return SourceErrorStatus(at, message);
  }

  void NoteSuppression(const std::string& file, int line, const std::string& comment) {
    size_t at = comment.find("bird-rpki-lint:");
    if (at == std::string::npos) return;
    size_t ignore = comment.find("ignore", at);
    if (ignore == std::string::npos) return;
    std::set<std::string>& rules = out_->suppressions[file][line];
    size_t open = comment.find('[', ignore);
    size_t close = open == std::string::npos ? open : comment.find(']', open);
    if (open == std::string::npos || close == std::string::npos || open > ignore + 7) {
      rules.insert("*");
      return;
    }
    std::string list = comment.substr(open + 1, close - open - 1);
    size_t start = 0;
    while (start <= list.size()) {
      size_t comma = list.find(',', start);
      if (comma == std::string::npos) comma = list.size();
      std::string rule = list.substr(start, comma - start);
      rule.erase(0, rule.find_first_not_of(" \t"));
      rule.erase(rule.find_last_not_of(" \t") + 1);
      if (!rule.empty()) rules.insert(rule);
      start = comma + 1;
    }
  }

  absl::Status Scan(const std::string* file, const std::string& s, int depth) {
    size_t i = 0;
    int line = 1;
    size_t line_start = 0;
    size_t first_token = out_->tokens.size();
    auto loc = [&](size_t pos) {
      return Location{file, line, static_cast<int>(pos - line_start) + 1};
    };
    while (i < s.size()) {
      char c = s[i];
      if (c == '\n') {
        ++line;
        line_start = ++i;
        continue;
      }
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
        continue;
      }
      if (c == '#') {
        size_t end = s.find('\n', i);
        if (end == std::string::npos) end = s.size();
        NoteSuppression(*file, line, s.substr(i, end - i));
        i = end;
        continue;
      }
      if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
        Location start = loc(i);
        size_t end = s.find("*/", i + 2);
        if (end == std::string::npos) return Error(&start, "unterminated /* comment");
        for (size_t k = i; k < end; ++k) {
          if (s[k] == '\n') {
            ++line;
            line_start = k + 1;
          }
        }
        i = end + 2;
        continue;
      }
      Token t;
      t.location = loc(i);
      if (c == '"') {
        size_t j = i + 1;
        std::string value;
        while (j < s.size() && s[j] != '"' && s[j] != '\n') {
          if (s[j] == '\\' && j + 1 < s.size()) ++j;
          value += s[j++];
        }
        if (j >= s.size() || s[j] != '"') return Error(&t.location, "unterminated string");
        t.kind = TokenKind::kString;
        t.text = value;
        i = j + 1;
      } else if (c == '\'') {
        // A quoted symbol name: 'dn42-region'.
        size_t close = s.find('\'', i + 1);
        if (close == std::string::npos || s.find('\n', i) < close) {
          return Error(&t.location, "unterminated quoted symbol");
        }
        t.kind = TokenKind::kIdentifier;
        t.text = s.substr(i + 1, close - i - 1);
        i = close + 1;
      } else if (size_t n = AddressLength(s, i); n > 0) {
        t.kind = TokenKind::kAddress;
        t.text = s.substr(i, n);
        i += n;
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        size_t j = i;
        if (c == '0' && j + 1 < s.size() && (s[j + 1] == 'x' || s[j + 1] == 'X')) {
          j += 2;
          while (j < s.size() && IsHex(s[j])) ++j;
        } else {
          while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
        }
        t.kind = TokenKind::kNumber;
        t.text = s.substr(i, j - i);
        i = j;
      } else if (s.compare(i, 4, "hex:") == 0) {
        // A bytestring: hex:01:02:03, hex:010203 or hex: (empty).
        size_t j = i + 4;
        while (j < s.size() && (IsHex(s[j]) || s[j] == ':')) ++j;
        t.kind = TokenKind::kNumber;
        t.text = s.substr(i, j - i);
        i = j;
      } else if (IsIdentStart(c)) {
        size_t j = i;
        while (j < s.size() && IsIdentChar(s[j])) ++j;
        t.kind = TokenKind::kIdentifier;
        t.text = s.substr(i, j - i);
        i = j;
      } else {
        static const char* kTwo[] = {"!=", "<=", ">=", "!~", "&&", "||",
                                     "..", "->", "==", "+=", "-="};
        t.kind = TokenKind::kPunct;
        t.text = std::string(1, c);
        for (const char* two : kTwo) {
          if (s.compare(i, 2, two) == 0) t.text = two;
        }
        // The empty path and lists are single values in BIRD.
        for (const char* e : {"+empty+", "-empty-", "--empty--", "---empty---"}) {
          size_t len = std::strlen(e);
          if (s.compare(i, len, e) == 0 && len > t.text.size()) {
            t.kind = TokenKind::kIdentifier;
            t.text = e;
          }
        }
        i += t.text.size();
      }
      out_->tokens.push_back(std::move(t));
      // include "PATH"; -> the tokens of PATH, here.
      size_t n = out_->tokens.size();
      if (n >= first_token + 3 && out_->tokens[n - 1].Is(";") &&
          out_->tokens[n - 2].kind == TokenKind::kString &&
          out_->tokens[n - 3].kind == TokenKind::kIdentifier &&
          out_->tokens[n - 3].text == "include") {
        Location at = out_->tokens[n - 3].location;
        std::string pattern = out_->tokens[n - 2].text;
        out_->tokens.resize(n - 3);
        if (absl::Status st = Include(*file, pattern, at, depth); !st.ok()) return st;
      }
    }
    out_->lines += static_cast<size_t>(line);
    return absl::OkStatus();
  }

  absl::Status Include(const std::string& from_file, const std::string& pattern, const Location& at,
                       int depth) {
    std::filesystem::path base = std::filesystem::path(from_file).parent_path();
    std::string full = pattern.empty() || pattern[0] == '/' ? pattern : (base / pattern).string();
    if (full.find_first_of("*?[") == std::string::npos) return File(full, &at, depth + 1);
    glob_t g{};
    int rc = glob(full.c_str(), 0, nullptr, &g);
    std::vector<std::string> paths;
    if (rc == 0) {
      for (size_t k = 0; k < g.gl_pathc; ++k) paths.push_back(g.gl_pathv[k]);
    }
    globfree(&g);
    std::sort(paths.begin(), paths.end());
    for (const std::string& p : paths) {
      if (absl::Status st = File(p, &at, depth + 1); !st.ok()) return st;
    }
    return absl::OkStatus();
  }

  // Length of an IPv4/IPv6 address (with an optional /len) starting at i, or 0.
  static size_t AddressLength(const std::string& s, size_t i) {
    size_t j = i;
    // IPv4: d+.d+.d+.d+
    int dots = 0;
    while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) {
      if (s[j] == '.') {
        if (j + 1 < s.size() && s[j + 1] == '.') break;  // a ".." range
        ++dots;
      }
      ++j;
    }
    if (dots == 3 && j > i && s[j - 1] != '.') return WithLength(s, i, j);
    // IPv6: hex groups and colons, with at least two colons, e.g. fd00::, ::1, 2001:db8::/32.
    j = i;
    int colons = 0;
    bool hex_only = true;
    while (j < s.size() && (IsHex(s[j]) || s[j] == ':' || (s[j] == '.' && colons >= 2))) {
      if (s[j] == ':') ++colons;
      ++j;
    }
    if (j < s.size() && IsIdentChar(s[j]) && !IsHex(s[j])) hex_only = false;
    // "ROA_VALID:" and "else:" are not addresses: an address has two colons, or a
    // hex group right after a colon.
    if (colons >= 2 && hex_only) {
      size_t first_colon = s.find(':', i);
      bool ok = s.compare(i, 2, "::") == 0 ||
                (first_colon + 1 < j && (IsHex(s[first_colon + 1]) || s[first_colon + 1] == ':'));
      if (ok) return WithLength(s, i, j);
    }
    return 0;
  }

  static size_t WithLength(const std::string& s, size_t i, size_t j) {
    if (j + 1 < s.size() && s[j] == '/' && std::isdigit(static_cast<unsigned char>(s[j + 1]))) {
      ++j;
      while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
    }
    return j - i;
  }

  uint64_t bytes_read_ = 0;
  int files_read_ = 0;
  TokenStream* out_;
  std::vector<std::string> stack_;
};

}  // namespace

absl::StatusOr<TokenStream> Tokenize(const std::string& path) {
  TokenStream out;
  Lexer lexer(&out);
  if (absl::Status s = lexer.File(path, nullptr, 0); !s.ok()) return s;
  out.tokens.push_back(
      Token{TokenKind::kEnd, "", out.tokens.empty() ? Location{} : out.tokens.back().location});
  return out;
}

absl::StatusOr<TokenStream> TokenizeText(const std::string& name, const std::string& text) {
  TokenStream out;
  Lexer lexer(&out);
  std::error_code ec;
  std::string canonical = std::filesystem::weakly_canonical(name, ec).string();
  if (absl::Status s = lexer.Text(name, canonical, text, 0); !s.ok()) return s;
  out.tokens.push_back(
      Token{TokenKind::kEnd, "", out.tokens.empty() ? Location{} : out.tokens.back().location});
  return out;
}

}  // namespace rtr42::lint
