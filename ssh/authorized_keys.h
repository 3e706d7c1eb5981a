// AuthorizedKeys: the public keys that may open RTR sessions over SSH, read
// from a file in OpenSSH's authorized_keys format (sshd(8), "AUTHORIZED_KEYS
// FILE FORMAT"): one key per line as "[OPTIONS] TYPE BASE64 [COMMENT]";
// blank lines and lines starting with '#' are skipped.
//
// Options: only those that forbid what the rpki-rtr subsystem never allows
// anyway are accepted (restrict, no-pty, no-port-forwarding,
// no-agent-forwarding, no-X11-forwarding, no-user-rc). Any other option
// (from=, command=, permitopen=, expiry-time=, ...) would change who may log
// in or what runs, which rtr42d does not implement; rather than widen access
// by ignoring it, the file is refused with FILE:LINE, as is a line that is
// not a key. A user may be any name: the key is the credential, and the name
// is logged with it.
//
// AuthorizedKeysFile keeps the file's last good contents: Find() re-reads
// the file when its stamp changed (checked at most once a second), Reload()
// at once (SIGHUP). A file that cannot be read or parsed keeps the keys in
// force, logged once until it changes again. Thread-safe.
#ifndef RTR42_SSH_AUTHORIZED_KEYS_H_
#define RTR42_SSH_AUTHORIZED_KEYS_H_

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "base/file_stamp.h"
#include "ssh/key.h"

namespace rtr42::ssh {

struct AuthorizedKey {
  std::shared_ptr<std::remove_pointer_t<ssh_key>> key;
  std::string comment;      // may be empty
  std::string fingerprint;  // SHA256:...
  int line = 0;
};

// Parses `text`; errors name `path` and the line.
absl::StatusOr<std::vector<AuthorizedKey>> ParseAuthorizedKeys(absl::string_view text,
                                                               const std::string& path);

class AuthorizedKeysFile {
 public:
  // Reads `path`; an error if it cannot be read or parsed (at start, a
  // mistake should stop the daemon, not lock every router out).
  static absl::StatusOr<std::unique_ptr<AuthorizedKeysFile>> Open(const std::string& path);

  // The entry for `key`, if it is authorized (re-reading a changed file first).
  std::optional<AuthorizedKey> Find(ssh_key key);
  // Reads the file now; false if it failed (the keys in force stay).
  bool Reload();
  size_t size() const;
  const std::string& path() const { return path_; }

 private:
  explicit AuthorizedKeysFile(std::string path) : path_(std::move(path)) {}
  bool ReadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const std::string path_;
  mutable absl::Mutex mutex_;
  std::vector<AuthorizedKey> keys_ ABSL_GUARDED_BY(mutex_);
  std::optional<FileStamp> stamp_ ABSL_GUARDED_BY(mutex_);  // of the file last tried
  std::chrono::steady_clock::time_point checked_ ABSL_GUARDED_BY(mutex_);
  std::string last_error_ ABSL_GUARDED_BY(mutex_);  // logged once
  int reads_ ABSL_GUARDED_BY(mutex_) = 0;           // that succeeded
};

}  // namespace rtr42::ssh

#endif  // RTR42_SSH_AUTHORIZED_KEYS_H_
