#include "rtr/state_file.h"

#include <fcntl.h>
#include <glob.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/file_util.h"

namespace rtr42::rtr {
namespace {

constexpr absl::string_view kMagic = "rtr42 RTR state\n";
// Format 2 stores VRPs in the order of roa/vrp.h (address, max length,
// prefix length, ASN), and Router Keys after the ASPA records. Format 1
// (prefix, then max length; no keys) is still read: its vectors are sorted
// again, so an upgrade keeps the RTR session.
constexpr uint32_t kFormatVersion = 2;
constexpr uint32_t kOldestFormatVersion = 1;
constexpr size_t kHashSize = SHA256_DIGEST_LENGTH;

std::string Sha256Bytes(absl::string_view bytes) {
  unsigned char digest[kHashSize];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), kHashSize);
}

class Writer {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U32(uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) U8(static_cast<uint8_t>(v >> shift));
  }
  void I64(int64_t v) {
    uint64_t u = static_cast<uint64_t>(v);
    for (int shift = 56; shift >= 0; shift -= 8) U8(static_cast<uint8_t>(u >> shift));
  }
  void Count(uint64_t v) {  // LEB128
    while (v >= 0x80) {
      U8(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    U8(static_cast<uint8_t>(v));
  }
  void String(absl::string_view s) {
    Count(s.size());
    out_.append(s.data(), s.size());
  }
  void Vrps(const std::vector<roa::Vrp>& vrps) {
    Count(vrps.size());
    for (const roa::Vrp& v : vrps) {
      U8(static_cast<uint8_t>(v.prefix.family()));
      U8(v.prefix.length());
      out_.append(reinterpret_cast<const char*>(v.prefix.bytes().data()),
                  (v.prefix.length() + 7) / 8);
      U8(v.max_length);
      U32(v.asn);
    }
  }
  void Aspas(const std::vector<roa::Aspa>& aspas) {
    Count(aspas.size());
    for (const roa::Aspa& a : aspas) {
      U32(a.customer);
      Count(a.providers.size());
      for (uint32_t p : a.providers) U32(p);
    }
  }
  void RouterKeys(const std::vector<roa::RouterKey>& keys) {
    Count(keys.size());
    for (const roa::RouterKey& k : keys) {
      out_.append(k.ski);  // always kSkiSize bytes
      U32(k.asn);
      String(k.spki);
    }
  }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

// Reads what Writer wrote; the first failure sticks and names the offset.
class Reader {
 public:
  explicit Reader(absl::string_view in) : in_(in) {}

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  bool at_end() const { return pos_ == in_.size(); }
  void Fail(absl::string_view what) {
    if (error_.empty()) error_ = absl::StrCat(what, " at byte ", pos_);
  }

  uint8_t U8() {
    if (!Need(1)) return 0;
    return static_cast<uint8_t>(in_[pos_++]);
  }
  uint32_t U32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | U8();
    return v;
  }
  int64_t I64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | U8();
    return static_cast<int64_t>(v);
  }
  // A count of items each at least `min_item_size` bytes long, so a damaged
  // count cannot make us reserve more than the file could hold.
  uint64_t Count(size_t min_item_size) {
    uint64_t v = 0;
    for (int shift = 0; ok(); shift += 7) {
      if (shift > 63) {
        Fail("count too long");
        return 0;
      }
      uint8_t b = U8();
      v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    if (ok() && v > (in_.size() - pos_) / std::max<size_t>(min_item_size, 1)) {
      Fail("count larger than the file");
      return 0;
    }
    return ok() ? v : 0;
  }
  std::string String() {
    uint64_t n = Count(1);
    if (!Need(n)) return "";
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  // Format 1 files are in another order (see kFormatVersion).
  void set_format(uint32_t format) { format_ = format; }

  std::vector<roa::Vrp> Vrps() {
    std::vector<roa::Vrp> vrps;
    uint64_t n = Count(7);
    vrps.reserve(n);
    for (uint64_t i = 0; i < n && ok(); ++i) {
      uint8_t family = U8();
      uint8_t length = U8();
      if (ok() && family != 4 && family != 6) {
        Fail("bad address family");
        return vrps;
      }
      roa::Family f = family == 4 ? roa::Family::kIpv4 : roa::Family::kIpv6;
      if (length > MaxLength(f)) {
        Fail("prefix length out of range");
        return vrps;
      }
      uint8_t bytes[16] = {};
      size_t used = (length + 7) / 8;
      if (!Need(used)) return vrps;
      std::memcpy(bytes, in_.data() + pos_, used);
      pos_ += used;
      absl::StatusOr<roa::Prefix> prefix = roa::Prefix::FromBytes(f, bytes, length);
      if (!prefix.ok()) {
        Fail(prefix.status().message());
        return vrps;
      }
      roa::Vrp vrp{*prefix, U8(), U32()};
      if (ok() && (vrp.max_length < length || vrp.max_length > MaxLength(f))) {
        Fail("max length out of range");
        return vrps;
      }
      if (format_ >= 2 && !vrps.empty() && !(vrps.back() < vrp)) {
        Fail("VRPs out of order");
        return vrps;
      }
      vrps.push_back(vrp);
    }
    if (format_ < 2) {
      std::sort(vrps.begin(), vrps.end());
      if (std::adjacent_find(vrps.begin(), vrps.end()) != vrps.end()) Fail("duplicate VRPs");
    }
    return vrps;
  }
  std::vector<roa::RouterKey> RouterKeys() {
    std::vector<roa::RouterKey> keys;
    if (format_ < 2) return keys;
    uint64_t n = Count(roa::kSkiSize + 5);
    for (uint64_t i = 0; i < n && ok(); ++i) {
      roa::RouterKey k;
      if (!Need(roa::kSkiSize)) return keys;
      k.ski.assign(in_.data() + pos_, roa::kSkiSize);
      pos_ += roa::kSkiSize;
      k.asn = U32();
      k.spki = String();
      if (ok() && !keys.empty() && !(keys.back() < k)) {
        Fail("Router Keys out of order");
        return keys;
      }
      keys.push_back(std::move(k));
    }
    return keys;
  }
  std::vector<roa::Aspa> Aspas() {
    std::vector<roa::Aspa> aspas;
    uint64_t n = Count(5);
    for (uint64_t i = 0; i < n && ok(); ++i) {
      roa::Aspa a;
      a.customer = U32();
      uint64_t m = Count(4);
      for (uint64_t j = 0; j < m && ok(); ++j) {
        uint32_t p = U32();
        if (!a.providers.empty() && p <= a.providers.back()) {
          Fail("ASPA providers out of order");
          return aspas;
        }
        a.providers.push_back(p);
      }
      if (!aspas.empty() && a.customer <= aspas.back().customer) {
        Fail("ASPA records out of order");
        return aspas;
      }
      aspas.push_back(std::move(a));
    }
    return aspas;
  }

 private:
  bool Need(uint64_t n) {
    if (!ok()) return false;
    if (n > in_.size() - pos_) {
      Fail("truncated");
      return false;
    }
    return true;
  }

  absl::string_view in_;
  size_t pos_ = 0;
  std::string error_;
  uint32_t format_ = kFormatVersion;
};

}  // namespace

std::string EncodeStateFile(const Update& update, absl::Time saved) {
  Writer w;
  w.out().append(kMagic.data(), kMagic.size());
  w.U32(kFormatVersion);
  w.I64(absl::ToUnixNanos(saved));
  w.U32(update.session_id());
  w.U32(update.serial());
  w.String(update.revision());
  w.Vrps(update.set().vrps());
  w.Aspas(update.set().aspas());
  w.RouterKeys(update.set().router_keys());
  w.Count(update.steps().size());
  for (const auto& step : update.steps()) {
    w.U32(step->serial);
    w.I64(absl::ToUnixNanos(step->time));
    w.Vrps(step->diff.announced);
    w.Vrps(step->diff.withdrawn);
    w.Aspas(step->diff.aspa_announced);
    w.Aspas(step->diff.aspa_withdrawn);
    w.RouterKeys(step->diff.key_announced);
    w.RouterKeys(step->diff.key_withdrawn);
  }
  std::string hash = Sha256Bytes(w.out());
  w.out().append(hash);
  return std::move(w.out());
}

absl::StatusOr<StateFile> DecodeStateFile(absl::string_view bytes, absl::string_view source) {
  auto damaged = [&](absl::string_view what) {
    return absl::DataLossError(absl::StrCat(source, ": ", what));
  };
  if (bytes.size() < kMagic.size() + kHashSize || bytes.substr(0, kMagic.size()) != kMagic)
    return damaged("not an rtr42 state file");
  absl::string_view body = bytes.substr(0, bytes.size() - kHashSize);
  if (Sha256Bytes(body) != bytes.substr(body.size()))
    return damaged("checksum mismatch (truncated or damaged)");
  Reader r(body.substr(kMagic.size()));
  uint32_t format = r.U32();
  if (r.ok() && (format < kOldestFormatVersion || format > kFormatVersion)) {
    return damaged(absl::StrCat("format version ", format, ", this build reads ",
                                kOldestFormatVersion, " to ", kFormatVersion));
  }
  r.set_format(format);
  StateFile state;
  state.saved = absl::FromUnixNanos(r.I64());
  uint32_t session_id = r.U32();
  uint32_t serial = r.U32();
  std::string revision = r.String();
  std::vector<roa::Vrp> vrps = r.Vrps();
  std::vector<roa::Aspa> aspas = r.Aspas();
  std::vector<roa::RouterKey> keys = r.RouterKeys();
  uint64_t n_steps = r.Count(14);
  if (r.ok() && session_id > 0xffff) r.Fail("session id out of range");
  std::vector<std::shared_ptr<const SerialStep>> steps;
  for (uint64_t i = 0; i < n_steps && r.ok(); ++i) {
    auto step = std::make_shared<SerialStep>();
    step->serial = r.U32();
    step->time = absl::FromUnixNanos(r.I64());
    step->diff.announced = r.Vrps();
    step->diff.withdrawn = r.Vrps();
    step->diff.aspa_announced = r.Aspas();
    step->diff.aspa_withdrawn = r.Aspas();
    step->diff.key_announced = r.RouterKeys();
    step->diff.key_withdrawn = r.RouterKeys();
    // Steps are contiguous and the last one ends at `serial`.
    if (r.ok() && step->serial != uint32_t(serial - (n_steps - i)))
      r.Fail("serials not contiguous");
    steps.push_back(std::move(step));
  }
  if (r.ok() && !r.at_end()) r.Fail("trailing bytes");
  if (!r.ok()) return damaged(r.error());
  auto set =
      std::make_shared<const roa::VrpSet>(std::move(vrps), std::move(aspas), std::move(keys));
  state.update =
      std::make_shared<const Update>(static_cast<uint16_t>(session_id), serial, std::move(set),
                                     std::move(steps), std::move(revision));
  return state;
}

absl::Status SaveStateFile(const Update& update, const std::string& path) {
  return WriteFileAtomically(path, EncodeStateFile(update));
}

absl::StatusOr<StateFile> LoadStateFile(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadFile(path);
  if (!bytes.ok()) {
    if (absl::IsNotFound(bytes.status())) return bytes.status();
    return absl::DataLossError(bytes.status().message());
  }
  return DecodeStateFile(*bytes, path);
}

absl::Status InvalidateStateFile(const std::string& path) {
  if (::unlink(path.c_str()) == 0 || errno == ENOENT) return absl::OkStatus();
  int unlink_error = errno;
  int fd = ::open(path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) {
    char zeros[64] = {};
    bool written = ::pwrite(fd, zeros, sizeof(zeros), 0) == static_cast<ssize_t>(sizeof(zeros)) &&
                   ::fsync(fd) == 0;
    ::close(fd);
    if (written) return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat(path, ": can neither be removed (", std::strerror(unlink_error),
                   ") nor overwritten (", std::strerror(errno), ")"));
}

int RemoveStaleTemporaries(const std::string& path) {
  std::string pattern = path + ".tmp??????";
  glob_t g{};
  int removed = 0;
  if (::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) removed += ::unlink(g.gl_pathv[i]) == 0;
  }
  ::globfree(&g);
  return removed;
}

}  // namespace rtr42::rtr
