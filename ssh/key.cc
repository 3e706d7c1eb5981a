#include "ssh/key.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/file_util.h"

namespace rtr42::ssh {

std::string Fingerprint(ssh_key key) {
  unsigned char* hash = nullptr;
  size_t length = 0;
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) != SSH_OK) {
    return "SHA256:?";
  }
  char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length);
  ssh_clean_pubkey_hash(&hash);
  std::string out = text ? text : "SHA256:?";
  ssh_string_free_char(text);
  return out;
}

std::string PublicKeyLine(ssh_key key) {
  char* base64 = nullptr;
  if (ssh_pki_export_pubkey_base64(key, &base64) != SSH_OK) return "";
  std::string out = absl::StrCat(ssh_key_type_to_char(ssh_key_type(key)), " ", base64);
  ssh_string_free_char(base64);
  return out;
}

absl::StatusOr<HostKey> LoadOrCreateHostKey(const std::string& path) {
  HostKey host;
  host.path = path;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      return absl::PermissionDeniedError(
          absl::StrCat("SSH host key ", path, ": ", std::strerror(errno)));
    }
    ssh_key made = nullptr;
    if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &made) != SSH_OK) {
      return absl::InternalError("cannot make an Ed25519 SSH host key");
    }
    host.key.reset(made);
    char* pem = nullptr;
    if (ssh_pki_export_privkey_base64(made, nullptr, nullptr, nullptr, &pem) != SSH_OK) {
      return absl::InternalError("cannot encode the new SSH host key");
    }
    std::string text = pem;
    ssh_string_free_char(pem);
    if (absl::Status s = WriteFileAtomically(path, text, 0600); !s.ok()) {
      return absl::PermissionDeniedError(
          absl::StrCat("SSH host key ", path, ": cannot create it: ", s.message()));
    }
    host.created = true;
    return host;
  }
  absl::StatusOr<std::string> text = ReadFile(path, {.max_bytes = 1 << 20});
  if (!text.ok()) return text.status();
  ssh_key loaded = nullptr;
  if (ssh_pki_import_privkey_base64(text->c_str(), nullptr, nullptr, nullptr, &loaded) != SSH_OK) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SSH host key ", path,
        ": not an unencrypted private key in OpenSSH or PEM format (ssh-keygen -t ed25519 -N '' "
        "-f FILE makes one)"));
  }
  host.key.reset(loaded);
  return host;
}

}  // namespace rtr42::ssh
