#include "ssh/authorized_keys.h"

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/file_util.h"
#include "base/log.h"

namespace rtr42::ssh {
namespace {

// Options that only take away what the rpki-rtr subsystem never grants.
constexpr std::array<absl::string_view, 6> kHarmlessOptions = {
    "restrict",          "no-pty",    "no-port-forwarding", "no-agent-forwarding",
    "no-x11-forwarding", "no-user-rc"};

// Splits the options field at commas outside double quotes.
std::vector<std::string> SplitOptions(absl::string_view field) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (char c : field) {
    if (c == '"') quoted = !quoted;
    if (c == ',' && !quoted) {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

// The next whitespace-separated field of `rest` (quotes keep spaces).
absl::string_view NextField(absl::string_view* rest) {
  *rest = absl::StripLeadingAsciiWhitespace(*rest);
  bool quoted = false;
  size_t i = 0;
  for (; i < rest->size(); ++i) {
    char c = (*rest)[i];
    if (c == '"') quoted = !quoted;
    if (!quoted && (c == ' ' || c == '\t')) break;
  }
  absl::string_view field = rest->substr(0, i);
  rest->remove_prefix(i);
  return field;
}

bool IsKeyType(absl::string_view field) {
  return ssh_key_type_from_name(std::string(field).c_str()) != SSH_KEYTYPE_UNKNOWN;
}

}  // namespace

absl::StatusOr<std::vector<AuthorizedKey>> ParseAuthorizedKeys(absl::string_view text,
                                                               const std::string& path) {
  std::vector<AuthorizedKey> keys;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    absl::string_view rest = absl::StripAsciiWhitespace(line);
    if (rest.empty() || rest.front() == '#') continue;
    auto error = [&](const std::string& why) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", number, ": ", why));
    };
    absl::string_view type = NextField(&rest);
    if (!IsKeyType(type)) {
      for (const std::string& option : SplitOptions(type)) {
        std::string name = absl::AsciiStrToLower(option.substr(0, option.find('=')));
        bool harmless = false;
        for (absl::string_view h : kHarmlessOptions) harmless = harmless || name == h;
        if (!harmless) {
          return error(absl::StrCat(
              "option '", option,
              "' is not supported by rtr42d's SSH server (only restrict and no-* options are); "
              "remove it or the line"));
        }
      }
      type = NextField(&rest);
      if (!IsKeyType(type)) return error(absl::StrCat("'", type, "' is not an SSH key type"));
    }
    absl::string_view base64 = NextField(&rest);
    ssh_key key = nullptr;
    if (base64.empty() || ssh_pki_import_pubkey_base64(
                              std::string(base64).c_str(),
                              ssh_key_type_from_name(std::string(type).c_str()), &key) != SSH_OK) {
      return error(absl::StrCat("the ", type, " key does not decode"));
    }
    AuthorizedKey entry;
    entry.key.reset(key, KeyFree());
    entry.comment = std::string(absl::StripAsciiWhitespace(rest));
    entry.fingerprint = Fingerprint(key);
    entry.line = number;
    keys.push_back(std::move(entry));
  }
  return keys;
}

absl::StatusOr<std::unique_ptr<AuthorizedKeysFile>> AuthorizedKeysFile::Open(
    const std::string& path) {
  std::unique_ptr<AuthorizedKeysFile> file(new AuthorizedKeysFile(path));
  absl::MutexLock lock(&file->mutex_);
  if (!file->ReadLocked()) return absl::InvalidArgumentError(file->last_error_);
  RTR42_LOG_INFO("SSH: %d authorized keys in %s", file->keys_.size(), path);
  return file;
}

bool AuthorizedKeysFile::ReadLocked() {
  checked_ = std::chrono::steady_clock::now();
  stamp_ = StampOf(path_);
  absl::StatusOr<std::string> text = ReadFile(path_, {.max_bytes = 16 << 20});
  absl::StatusOr<std::vector<AuthorizedKey>> keys =
      text.ok() ? ParseAuthorizedKeys(*text, path_)
                : absl::StatusOr<std::vector<AuthorizedKey>>(text.status());
  if (!keys.ok()) {
    std::string error = std::string(keys.status().message());
    if (error != last_error_ && reads_ > 0) {
      RTR42_LOG_ERROR("SSH authorized keys: %s; the %d keys read before stay in force", error,
                      keys_.size());
    }
    last_error_ = error;
    return false;
  }
  if (reads_++ > 0) RTR42_LOG_INFO("SSH: %s read again: %d authorized keys", path_, keys->size());
  last_error_.clear();
  keys_ = std::move(*keys);
  return true;
}

std::optional<AuthorizedKey> AuthorizedKeysFile::Find(ssh_key key) {
  absl::MutexLock lock(&mutex_);
  auto now = std::chrono::steady_clock::now();
  if (now - checked_ >= std::chrono::seconds(1)) {
    std::optional<FileStamp> stamp = StampOf(path_);
    if (stamp != stamp_) {
      ReadLocked();
    } else {
      checked_ = now;
    }
  }
  for (const AuthorizedKey& k : keys_) {
    if (ssh_key_cmp(k.key.get(), key, SSH_KEY_CMP_PUBLIC) == 0) return k;
  }
  return std::nullopt;
}

bool AuthorizedKeysFile::Reload() {
  absl::MutexLock lock(&mutex_);
  return ReadLocked();
}

size_t AuthorizedKeysFile::size() const {
  absl::MutexLock lock(&mutex_);
  return keys_.size();
}

}  // namespace rtr42::ssh
