#include "nrtm4/signature.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace rtr42::nrtm4 {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct SigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

absl::Status OpenSslError(absl::string_view what) {
  unsigned long e = ERR_get_error();
  char buf[256] = "unknown error";
  if (e != 0) ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return absl::InvalidArgumentError(absl::StrCat(what, ": ", buf));
}

absl::Status CheckP256(EVP_PKEY* key) {
  char group[64] = {0};
  size_t len = 0;
  if (!EVP_PKEY_is_a(key, "EC") ||
      !EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof(group), &len) ||
      std::string(group) != "prime256v1") {
    return absl::InvalidArgumentError("the key is not an EC key on P-256 (ES256 needs one)");
  }
  return absl::OkStatus();
}

absl::StatusOr<PkeyPtr> ReadPublic(absl::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return OpenSslError("not a PEM public key");
  if (absl::Status s = CheckP256(key.get()); !s.ok()) return s;
  return key;
}

absl::StatusOr<PkeyPtr> ReadPrivate(absl::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return OpenSslError("not a PEM private key");
  if (absl::Status s = CheckP256(key.get()); !s.ok()) return s;
  return key;
}

std::string BioString(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

}  // namespace

std::string Base64UrlEncode(absl::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  auto b = [&](size_t k) { return static_cast<uint8_t>(bytes[k]); };
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (b(i) << 16) | (b(i + 1) << 8) | b(i + 2);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (bytes.size() - i == 1) {
    uint32_t v = b(i) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (bytes.size() - i == 2) {
    uint32_t v = (b(i) << 16) | (b(i + 1) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

absl::StatusOr<std::string> Base64UrlDecode(absl::string_view text) {
  if (text.size() % 4 == 1) return absl::InvalidArgumentError("base64url text of a bad length");
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const char* p = c ? std::strchr(kAlphabet, c) : nullptr;
    if (p == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("'", std::string(1, c), "' is not base64url"));
    }
    acc = (acc << 6) | static_cast<uint32_t>(p - kAlphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr);
}
Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }
void Sha256::Update(absl::string_view bytes) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), bytes.data(), bytes.size());
}
std::string Sha256::HexDigest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), md, &n);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::string Sha256Hex(absl::string_view bytes) {
  Sha256 h;
  h.Update(bytes);
  return h.HexDigest();
}

absl::StatusOr<std::string> Sha256File(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  Sha256 h;
  char buf[1 << 16];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0)
    h.Update(absl::string_view(buf, in.gcount()));
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read error"));
  return h.HexDigest();
}

absl::StatusOr<KeyPair> GenerateP256KeyPair() {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return OpenSslError("generating a P-256 key");
  BioPtr priv(BIO_new(BIO_s_mem())), pub(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PrivateKey(priv.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) ||
      !PEM_write_bio_PUBKEY(pub.get(), key.get())) {
    return OpenSslError("writing PEM");
  }
  return KeyPair{BioString(priv.get()), BioString(pub.get())};
}

absl::StatusOr<std::string> PublicKeyOf(absl::string_view private_pem) {
  absl::StatusOr<PkeyPtr> key = ReadPrivate(private_pem);
  if (!key.ok()) return key.status();
  BioPtr pub(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PUBKEY(pub.get(), key->get())) return OpenSslError("writing PEM");
  return BioString(pub.get());
}

absl::StatusOr<std::string> NormalizePublicKey(absl::string_view key) {
  std::string pem(absl::StripAsciiWhitespace(key));
  if (!absl::StartsWith(pem, "-----BEGIN")) {
    std::string body;
    for (size_t i = 0; i < pem.size(); i += 64) absl::StrAppend(&body, pem.substr(i, 64), "\n");
    pem = absl::StrCat("-----BEGIN PUBLIC KEY-----\n", body, "-----END PUBLIC KEY-----\n");
  } else {
    pem += "\n";
  }
  absl::StatusOr<PkeyPtr> parsed = ReadPublic(pem);
  if (!parsed.ok()) return parsed.status();
  BioPtr pub(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PUBKEY(pub.get(), parsed->get())) return OpenSslError("writing PEM");
  return BioString(pub.get());
}

absl::StatusOr<std::string> JwsSign(absl::string_view payload, absl::string_view private_pem) {
  absl::StatusOr<PkeyPtr> key = ReadPrivate(private_pem);
  if (!key.ok()) return key.status();
  std::string input =
      absl::StrCat(Base64UrlEncode(R"({"alg":"ES256"})"), ".", Base64UrlEncode(payload));
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  size_t der_len = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key->get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &der_len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return OpenSslError("signing");
  }
  std::string der(der_len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &der_len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return OpenSslError("signing");
  }
  // JWS wants R || S, 32 bytes each, not DER.
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, SigFree> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len)));
  if (!sig) return OpenSslError("decoding the signature");
  unsigned char raw[64];
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), raw, 32) != 32 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), raw + 32, 32) != 32) {
    return OpenSslError("encoding the signature");
  }
  return absl::StrCat(input, ".",
                      Base64UrlEncode(absl::string_view(reinterpret_cast<char*>(raw), 64)));
}

absl::StatusOr<std::string> JwsVerify(absl::string_view compact, absl::string_view public_pem) {
  std::vector<absl::string_view> parts = absl::StrSplit(absl::StripAsciiWhitespace(compact), '.');
  if (parts.size() != 3) {
    return absl::InvalidArgumentError("not a JWS compact serialisation (needs three parts)");
  }
  absl::StatusOr<std::string> header = Base64UrlDecode(parts[0]);
  if (!header.ok()) return absl::InvalidArgumentError("JWS header: " + header.status().ToString());
  nlohmann::json h = nlohmann::json::parse(*header, nullptr, false);
  if (!h.is_object() || !h.contains("alg") || !h["alg"].is_string()) {
    return absl::InvalidArgumentError("JWS header is not a JSON object with \"alg\"");
  }
  if (h["alg"] != "ES256") {
    return absl::InvalidArgumentError(
        absl::StrCat("JWS algorithm ", h["alg"].get<std::string>(), " is not supported (ES256)"));
  }
  if (h.contains("crit")) return absl::InvalidArgumentError("JWS header has \"crit\" parameters");
  absl::StatusOr<std::string> raw = Base64UrlDecode(parts[2]);
  if (!raw.ok() || raw->size() != 64) {
    return absl::InvalidArgumentError("JWS signature is not 64 bytes of ES256");
  }
  absl::StatusOr<PkeyPtr> key = ReadPublic(public_pem);
  if (!key.ok()) return key.status();
  std::unique_ptr<ECDSA_SIG, SigFree> sig(ECDSA_SIG_new());
  const unsigned char* r = reinterpret_cast<const unsigned char*>(raw->data());
  ECDSA_SIG_set0(sig.get(), BN_bin2bn(r, 32, nullptr), BN_bin2bn(r + 32, 32, nullptr));
  unsigned char* der = nullptr;
  int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) return OpenSslError("encoding the signature");
  std::unique_ptr<unsigned char, void (*)(unsigned char*)> der_owner(
      der, [](unsigned char* d) { OPENSSL_free(d); });
  std::string input = absl::StrCat(parts[0], ".", parts[1]);
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key->get()) != 1) {
    return OpenSslError("verifying");
  }
  int ok = EVP_DigestVerify(ctx.get(), der, static_cast<size_t>(der_len),
                            reinterpret_cast<const unsigned char*>(input.data()), input.size());
  ERR_clear_error();
  if (ok != 1) return absl::PermissionDeniedError("the JWS signature does not verify with the key");
  absl::StatusOr<std::string> payload = Base64UrlDecode(parts[1]);
  if (!payload.ok())
    return absl::InvalidArgumentError("JWS payload: " + payload.status().ToString());
  return payload;
}

}  // namespace rtr42::nrtm4
