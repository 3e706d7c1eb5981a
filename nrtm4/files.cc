#include "nrtm4/files.h"

#include <openssl/rand.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "nrtm4/signature.h"
#include "roa/rpsl.h"
#include "roa/vrp_format.h"

namespace rtr42::nrtm4 {
namespace {

using nlohmann::json;

constexpr char kRecordSeparator = '\x1e';

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("Update Notification File: ", what));
}

bool IsHex64(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// A positive integer that fits 63 bits.
std::optional<uint64_t> Version(const json& v) {
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() > 0)) return {};
  uint64_t n = v.get<uint64_t>();
  if (n == 0) return {};
  return n;
}

absl::StatusOr<FileRef> ParseRef(const json& j, absl::string_view what) {
  if (!j.is_object()) return Invalid(absl::StrCat(what, " is not an object"));
  FileRef ref;
  auto v = j.contains("version") ? Version(j["version"]) : std::nullopt;
  if (!v) return Invalid(absl::StrCat(what, " has no positive integer version"));
  ref.version = *v;
  if (!j.contains("url") || !j["url"].is_string() || j["url"].get<std::string>().empty())
    return Invalid(absl::StrCat(what, " has no url"));
  ref.url = j["url"];
  if (!j.contains("hash") || !j["hash"].is_string() || !IsHex64(j["hash"].get<std::string>()))
    return Invalid(absl::StrCat(what, " has no SHA-256 hash in hex"));
  ref.hash = absl::AsciiStrToLower(j["hash"].get<std::string>());
  return ref;
}

}  // namespace

bool IsUuidV4(absl::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!absl::ascii_isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  char variant = absl::ascii_tolower(static_cast<unsigned char>(s[19]));
  return s[14] == '4' && (variant == '8' || variant == '9' || variant == 'a' || variant == 'b');
}

std::string NewUuidV4() {
  unsigned char b[16];
  RAND_bytes(b, sizeof(b));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  return absl::StrFormat("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
                         b[12], b[13], b[14], b[15]);
}

bool IsRpslName(absl::string_view s) {
  if (s.empty() || !absl::ascii_isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

absl::StatusOr<Notification> ParseNotification(absl::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Invalid("the payload is not a JSON object");
  if (!j.contains("nrtm_version") || j["nrtm_version"] != 4)
    return Invalid("nrtm_version is not 4");
  if (!j.contains("type") || j["type"] != "notification")
    return Invalid("type is not notification");
  Notification n;
  if (!j.contains("timestamp") || !j["timestamp"].is_string()) return Invalid("no timestamp");
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, j["timestamp"].get<std::string>(), &n.timestamp, &err))
    return Invalid(absl::StrCat("timestamp is not RFC 3339: ", err));
  if (!j.contains("source") || !j["source"].is_string() ||
      !IsRpslName(j["source"].get<std::string>()))
    return Invalid("source is not a valid IRR object name");
  n.source = j["source"];
  if (!j.contains("session_id") || !j["session_id"].is_string() ||
      !IsUuidV4(j["session_id"].get<std::string>()))
    return Invalid("session_id is not a version 4 UUID");
  n.session_id = absl::AsciiStrToLower(j["session_id"].get<std::string>());
  auto version = j.contains("version") ? Version(j["version"]) : std::nullopt;
  if (!version) return Invalid("version is not a positive integer");
  n.version = *version;
  if (j.contains("next_signing_key")) {
    if (!j["next_signing_key"].is_string()) return Invalid("next_signing_key is not a string");
    absl::StatusOr<std::string> key = NormalizePublicKey(j["next_signing_key"].get<std::string>());
    if (!key.ok()) return Invalid(absl::StrCat("next_signing_key: ", key.status().message()));
    n.next_signing_key = *key;
  }
  if (!j.contains("snapshot")) return Invalid("no snapshot");
  absl::StatusOr<FileRef> snapshot = ParseRef(j["snapshot"], "snapshot");
  if (!snapshot.ok()) return snapshot.status();
  n.snapshot = *snapshot;
  uint64_t highest = n.snapshot.version;
  if (j.contains("deltas")) {
    if (!j["deltas"].is_array()) return Invalid("deltas is not an array");
    for (size_t i = 0; i < j["deltas"].size(); ++i) {
      absl::StatusOr<FileRef> d = ParseRef(j["deltas"][i], absl::StrCat("deltas[", i, "]"));
      if (!d.ok()) return d.status();
      n.deltas.push_back(*d);
    }
    std::sort(n.deltas.begin(), n.deltas.end(),
              [](const FileRef& a, const FileRef& b) { return a.version < b.version; });
    for (size_t i = 1; i < n.deltas.size(); ++i) {
      if (n.deltas[i].version != n.deltas[i - 1].version + 1) {
        return Invalid(absl::StrCat("delta versions are not contiguous (", n.deltas[i - 1].version,
                                    " then ", n.deltas[i].version, ")"));
      }
    }
    if (!n.deltas.empty()) highest = std::max(highest, n.deltas.back().version);
  }
  if (highest != n.version) {
    return Invalid(absl::StrCat("version ", n.version,
                                " is not the highest version of the snapshot and deltas (", highest,
                                ")"));
  }
  return n;
}

std::string FormatNotification(const Notification& n) {
  json j = json::object();
  j["nrtm_version"] = 4;
  j["timestamp"] = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", n.timestamp, absl::UTCTimeZone());
  j["type"] = "notification";
  if (n.next_signing_key) j["next_signing_key"] = *n.next_signing_key;
  j["source"] = n.source;
  j["session_id"] = n.session_id;
  j["version"] = n.version;
  auto ref = [](const FileRef& r) {
    return json{{"version", r.version}, {"url", r.url}, {"hash", r.hash}};
  };
  j["snapshot"] = ref(n.snapshot);
  j["deltas"] = json::array();
  for (const FileRef& d : n.deltas) j["deltas"].push_back(ref(d));
  j["metadata"] = json{{"generator", "rtr42 nrtm4-publish"}};
  return j.dump(2);
}

absl::Status CheckHeader(const json& h, absl::string_view type, const Notification& n,
                         uint64_t version) {
  auto bad = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(type, " file header: ", what));
  };
  if (!h.is_object()) return bad("not a JSON object");
  if (!h.contains("nrtm_version") || h["nrtm_version"] != 4) return bad("nrtm_version is not 4");
  if (!h.contains("type") || h["type"] != std::string(type))
    return bad(absl::StrCat("type is not ", type));
  if (!h.contains("source") || h["source"] != n.source)
    return bad("source differs from the Update Notification File's");
  if (!h.contains("session_id") || !h["session_id"].is_string() ||
      absl::AsciiStrToLower(h["session_id"].get<std::string>()) != n.session_id)
    return bad("session_id differs from the Update Notification File's");
  auto v = h.contains("version") ? Version(h["version"]) : std::nullopt;
  if (!v || *v != version)
    return bad(absl::StrCat("version is not ", version, " as the Update Notification File says"));
  return absl::OkStatus();
}

json MakeHeader(absl::string_view type, const Notification& n, uint64_t version) {
  return json{{"nrtm_version", 4},
              {"type", std::string(type)},
              {"source", n.source},
              {"session_id", n.session_id},
              {"version", version}};
}

struct RecordReader::Impl {
  std::ifstream in;
  bool gzip = false;
  bool stream_end = false;
  z_stream z{};
  ~Impl() {
    if (gzip) inflateEnd(&z);
  }
};

RecordReader::~RecordReader() = default;

absl::StatusOr<std::unique_ptr<RecordReader>> RecordReader::Open(const std::string& path) {
  std::unique_ptr<RecordReader> r(new RecordReader());
  r->path_ = path;
  r->impl_ = std::make_unique<Impl>();
  r->impl_->in.open(path, std::ios::binary);
  if (!r->impl_->in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  char magic[2] = {0, 0};
  r->impl_->in.read(magic, 2);
  r->impl_->in.clear();
  r->impl_->in.seekg(0);
  if (magic[0] == '\x1f' && magic[1] == '\x8b') {
    r->impl_->gzip = true;
    if (inflateInit2(&r->impl_->z, 16 + MAX_WBITS) != Z_OK)
      return absl::InternalError("zlib initialisation failed");
  }
  return r;
}

absl::Status RecordReader::Fill() {
  char in[1 << 16];
  impl_->in.read(in, sizeof(in));
  size_t n = static_cast<size_t>(impl_->in.gcount());
  if (impl_->in.bad()) return absl::DataLossError(absl::StrCat(path_, ": read error"));
  if (!impl_->gzip) {
    buffer_.append(in, n);
    if (n == 0) eof_ = true;
    return absl::OkStatus();
  }
  if (n == 0) {
    eof_ = true;
    if (!impl_->stream_end) {
      return absl::DataLossError(absl::StrCat(path_, ": truncated gzip stream"));
    }
    return absl::OkStatus();
  }
  z_stream& z = impl_->z;
  z.next_in = reinterpret_cast<Bytef*>(in);
  z.avail_in = static_cast<uInt>(n);
  char out[1 << 16];
  while (z.avail_in > 0) {
    if (impl_->stream_end) {
      // Another gzip member follows (RFC 1952 allows several).
      if (inflateReset(&z) != Z_OK) return absl::DataLossError(absl::StrCat(path_, ": bad gzip"));
      impl_->stream_end = false;
    }
    z.next_out = reinterpret_cast<Bytef*>(out);
    z.avail_out = sizeof(out);
    int rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      return absl::DataLossError(
          absl::StrCat(path_, ": bad gzip data: ", z.msg ? z.msg : "inflate failed"));
    }
    buffer_.append(out, sizeof(out) - z.avail_out);
    inflated_ += sizeof(out) - z.avail_out;
    // RFC 10063 section 11: a limit on what a compressed file may expand to.
    uint64_t allowed = std::max<uint64_t>(kMaxInflateRatio * z.total_in, kMaxRecordBytes);
    if (inflated_ > allowed) {
      return absl::ResourceExhaustedError(
          absl::StrCat(path_, ": expands more than ", kMaxInflateRatio,
                       " times (a gzip bomb, not RPSL, which compresses about ten times)"));
    }
    if (rc == Z_STREAM_END) impl_->stream_end = true;
    if (rc == Z_BUF_ERROR && z.avail_out != 0) break;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<json>> RecordReader::Next() {
  while (true) {
    // A record runs from one separator to the next (or the end).
    size_t start = buffer_.find(kRecordSeparator, pos_);
    if (start != std::string::npos &&
        !absl::StripAsciiWhitespace(absl::string_view(buffer_).substr(pos_, start - pos_))
             .empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path_, ": text outside a record (not a JSON text sequence)"));
    }
    if (start != std::string::npos) {
      // Where the record's end may be: not in what an earlier pass searched.
      size_t end = buffer_.find(kRecordSeparator, std::max(start + 1, searched_));
      searched_ = buffer_.size();
      if (end != std::string::npos || eof_) {
        if (end == std::string::npos) end = buffer_.size();
        absl::string_view text(buffer_.data() + start + 1, end - start - 1);
        text = absl::StripAsciiWhitespace(text);
        pos_ = end;
        searched_ = 0;
        if (text.empty()) continue;
        ++records_;
        json j = json::parse(text, nullptr, false);
        if (j.is_discarded()) {
          return absl::InvalidArgumentError(
              absl::StrCat(path_, ": record ", records_, " is not valid JSON"));
        }
        if (!j.is_object()) {
          return absl::InvalidArgumentError(
              absl::StrCat(path_, ": record ", records_, " is not a JSON object"));
        }
        return std::optional<json>(std::move(j));
      }
    } else if (eof_) {
      if (!absl::StripAsciiWhitespace(absl::string_view(buffer_).substr(pos_)).empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(path_, ": text outside a record (not a JSON text sequence)"));
      }
      return std::optional<json>();
    }
    if (eof_) continue;
    // Keep the unread part only.
    if (pos_ > 0) {
      buffer_.erase(0, pos_);
      searched_ -= std::min(searched_, pos_);
      pos_ = 0;
    }
    if (buffer_.size() > kMaxRecordBytes) {
      return absl::ResourceExhaustedError(absl::StrCat(path_, ": record ", records_ + 1,
                                                       " is larger than ", kMaxRecordBytes >> 20,
                                                       " MiB (a broken file or a gzip bomb)"));
    }
    if (absl::Status s = Fill(); !s.ok()) return s;
  }
}

struct RecordWriter::Impl {
  std::FILE* plain = nullptr;
  gzFile gz = nullptr;
};

RecordWriter::~RecordWriter() { (void)Close(); }

absl::StatusOr<std::unique_ptr<RecordWriter>> RecordWriter::Open(const std::string& path,
                                                                 bool gzip) {
  std::unique_ptr<RecordWriter> w(new RecordWriter());
  w->impl_ = std::make_unique<Impl>();
  if (gzip) {
    w->impl_->gz = gzopen(path.c_str(), "wb9");
  } else {
    w->impl_->plain = std::fopen(path.c_str(), "wb");
  }
  if (!w->impl_->gz && !w->impl_->plain) {
    return absl::PermissionDeniedError(absl::StrCat(path, ": cannot create"));
  }
  return w;
}

absl::Status RecordWriter::Write(const json& record) {
  std::string text = absl::StrCat(std::string(1, kRecordSeparator), record.dump(), "\n");
  if (impl_->gz) {
    if (gzwrite(impl_->gz, text.data(), static_cast<unsigned>(text.size())) !=
        static_cast<int>(text.size()))
      return absl::DataLossError("gzip write failed");
  } else if (std::fwrite(text.data(), 1, text.size(), impl_->plain) != text.size()) {
    return absl::DataLossError("write failed");
  }
  return absl::OkStatus();
}

absl::Status RecordWriter::Close() {
  if (!impl_) return absl::OkStatus();
  bool ok = true;
  if (impl_->gz) ok = gzclose(impl_->gz) == Z_OK;
  if (impl_->plain) ok = std::fclose(impl_->plain) == 0;
  impl_.reset();
  return ok ? absl::OkStatus() : absl::DataLossError("closing the file failed");
}

ObjectKey NormalizeKey(absl::string_view object_class, absl::string_view primary_key) {
  std::string cls = absl::AsciiStrToLower(absl::StripAsciiWhitespace(object_class));
  std::string key = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(primary_key));
  if (cls == "route" || cls == "route6") {
    // "<prefix>AS<n>" with the prefix in canonical form, as IRRd keys route
    // objects: "FD42:0ABC:0001::/48as4242420001" -> "fd42:abc:1::/48AS4242420001".
    size_t as = key.rfind("AS");
    if (as != std::string::npos && as > 0) {
      absl::StatusOr<roa::Prefix> prefix = roa::Prefix::Parse(key.substr(0, as));
      uint32_t asn = 0;
      if (prefix.ok() && roa::ParseAsn(key.substr(as), &asn)) {
        key = absl::StrCat(prefix->ToString(), "AS", asn);
      }
    }
  }
  return ObjectKey{std::move(cls), std::move(key)};
}

std::vector<std::string> SplitOrigins(absl::string_view text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::vector<size_t> origins;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (absl::StartsWithIgnoreCase(lines[i], "origin:")) origins.push_back(i);
  }
  if (origins.size() < 2) return {std::string(text)};
  std::vector<std::string> out;
  for (size_t keep : origins) {
    std::string object;
    for (size_t i = 0; i < lines.size(); ++i) {
      if (std::find(origins.begin(), origins.end(), i) != origins.end() && i != keep) continue;
      absl::StrAppend(&object, lines[i], "\n");
      if (i == keep) {
        absl::StrAppend(&object, "remarks:            nrtm4-publish: one of ", origins.size(),
                        " origins of this registry object, published one route object each\n");
      }
    }
    out.push_back(std::move(object));
  }
  return out;
}

absl::StatusOr<ObjectKey> KeyOf(absl::string_view text) {
  roa::RpslObject o = roa::ParseRpsl(text);
  if (o.attributes.empty()) return absl::InvalidArgumentError("not an RPSL object");
  const std::string& cls = o.attributes[0].name;
  auto value = [&](absl::string_view name) -> std::string {
    const roa::RpslAttribute* a = o.First(name);
    return a ? roa::SingleToken(*a) : "";
  };
  std::string key;
  if (cls == "route" || cls == "route6") {
    std::string prefix = value(cls), origin = value("origin");
    if (prefix.empty() || origin.empty())
      return absl::InvalidArgumentError(
          absl::StrCat(cls, " object without ", cls, ": and origin:"));
    key = prefix + origin;
  } else if (cls == "person" || cls == "role") {
    key = value("nic-hdl");
    if (key.empty()) key = o.attributes[0].value;
  } else {
    const roa::RpslAttribute& a = o.attributes[0];
    key = a.value;
    size_t hash = key.find('#');
    if (hash != std::string::npos) key.erase(hash);
  }
  if (absl::StripAsciiWhitespace(key).empty())
    return absl::InvalidArgumentError(absl::StrCat(cls, " object without a primary key"));
  return NormalizeKey(cls, key);
}

std::string SourceOf(absl::string_view text) {
  roa::RpslObject o = roa::ParseRpsl(text);
  const roa::RpslAttribute* a = o.First("source");
  return a ? roa::SingleToken(*a) : "";
}

}  // namespace rtr42::nrtm4
