// SSH keys for RTR over SSH: an owning handle for libssh's ssh_key, the
// fingerprint OpenSSH prints, and the server's host key, made on first use.
//
// LoadOrCreateHostKey() reads an OpenSSH private key file; when the file does
// not exist it makes an Ed25519 key and writes it there (mode 0600,
// atomically), so a new cache has a stable identity from its first start and
// the operator copies its public half into the routers' known_hosts. Any
// other problem (unreadable, not a key, encrypted) is an error naming the
// file: a cache must never start with a different identity than before.
#ifndef RTR42_SSH_KEY_H_
#define RTR42_SSH_KEY_H_

#include <libssh/libssh.h>

#include <memory>
#include <string>
#include <type_traits>

#include "absl/status/statusor.h"

namespace rtr42::ssh {

struct KeyFree {
  void operator()(ssh_key key) const { ssh_key_free(key); }
};
using UniqueKey = std::unique_ptr<std::remove_pointer_t<ssh_key>, KeyFree>;

// "SHA256:..." as ssh-keygen -l prints it.
std::string Fingerprint(ssh_key key);
// "ssh-ed25519 AAAA..." (the public key as a known_hosts or
// authorized_keys line holds it).
std::string PublicKeyLine(ssh_key key);

struct HostKey {
  UniqueKey key;
  std::string path;
  bool created = false;  // made now: the file did not exist
};
absl::StatusOr<HostKey> LoadOrCreateHostKey(const std::string& path);

}  // namespace rtr42::ssh

#endif  // RTR42_SSH_KEY_H_
