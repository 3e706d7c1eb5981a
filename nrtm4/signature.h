// The cryptography of NRTMv4 (RFC 10063 sections 6.3, 6.4, 9.6):
// SHA-256 of files, and JWS compact serialisation (RFC 7515) signed with
// ES256 (ECDSA over P-256 with SHA-256, RFC 7518 section 3.4), keys in PEM.
// All of it is OpenSSL; nothing here touches the network or the disk.
#ifndef RTR42_NRTM4_SIGNATURE_H_
#define RTR42_NRTM4_SIGNATURE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rtr42::nrtm4 {

// Base64url without padding (RFC 7515 section 2), and its inverse; the
// decoder refuses padding and characters outside the alphabet.
std::string Base64UrlEncode(absl::string_view bytes);
absl::StatusOr<std::string> Base64UrlDecode(absl::string_view text);

// Incremental SHA-256, lower-case hex.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(absl::string_view bytes);
  std::string HexDigest();  // once

 private:
  void* ctx_;
};
std::string Sha256Hex(absl::string_view bytes);
// The hash of a whole file, read in chunks.
absl::StatusOr<std::string> Sha256File(const std::string& path);

// A new P-256 key pair as PEM: PKCS#8 private key and SubjectPublicKeyInfo.
struct KeyPair {
  std::string private_pem;
  std::string public_pem;
};
absl::StatusOr<KeyPair> GenerateP256KeyPair();

// The public key of a PEM private key.
absl::StatusOr<std::string> PublicKeyOf(absl::string_view private_pem);

// Accepts a PEM public key, or the bare base64 body of one (as some
// publishers put in next_signing_key), and returns it as PEM if it is a
// P-256 key.
absl::StatusOr<std::string> NormalizePublicKey(absl::string_view key);

// JWS compact serialisation with {"alg":"ES256"}.
absl::StatusOr<std::string> JwsSign(absl::string_view payload, absl::string_view private_pem);
// Checks the header (alg ES256, no "crit"), the signature over
// "header.payload" with `public_pem`, and returns the decoded payload.
absl::StatusOr<std::string> JwsVerify(absl::string_view compact, absl::string_view public_pem);

}  // namespace rtr42::nrtm4

#endif  // RTR42_NRTM4_SIGNATURE_H_
