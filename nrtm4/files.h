// The files of NRTMv4 (RFC 10063 sections 6 to 8): the Update
// Notification File payload, Snapshot and Delta File headers and records,
// and the primary keys of RPSL objects. Every validation rule implemented
// here is listed with its section in docs/nrtm4.md.
//
// Snapshot and Delta Files are JSON Text Sequences (RFC 7464), maybe gzip
// compressed; RecordReader hands them out one record at a time from a file,
// so a large snapshot is never one string in memory.
#ifndef RTR42_NRTM4_FILES_H_
#define RTR42_NRTM4_FILES_H_

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace rtr42::nrtm4 {

struct FileRef {
  uint64_t version = 0;
  std::string url;   // relative to the Update Notification File
  std::string hash;  // SHA-256, lower-case hex
  friend bool operator==(const FileRef&, const FileRef&) = default;
};

struct Notification {
  std::string source;
  std::string session_id;
  absl::Time timestamp;
  uint64_t version = 0;
  std::optional<std::string> next_signing_key;  // PEM
  FileRef snapshot;
  std::vector<FileRef> deltas;  // by version
};

// Parses and validates a payload (section 6.3).
absl::StatusOr<Notification> ParseNotification(absl::string_view json);
// The payload JSON of `n` (the publisher's side).
std::string FormatNotification(const Notification& n);

// Checks a Snapshot or Delta File header record (sections 6.3, 7.3) against
// the notification entry that named the file.
absl::Status CheckHeader(const nlohmann::json& header, absl::string_view type,
                         const Notification& n, uint64_t version);
nlohmann::json MakeHeader(absl::string_view type, const Notification& n, uint64_t version);

// RFC 4122 version 4 UUID in its text form.
bool IsUuidV4(absl::string_view s);
std::string NewUuidV4();
// RFC 2622 object name: a letter, then letters, digits, '_' or '-'.
bool IsRpslName(absl::string_view s);

// No record may be larger than this (the largest RPSL objects, as-sets
// with tens of thousands of members, are a few MB): a file that inflates to
// one endless record is an error, not an allocation failure.
inline constexpr size_t kMaxRecordBytes = size_t{16} << 20;
// A gzip file may expand at most this many times its compressed size read so
// far (RFC 10063 section 11 asks for such a limit; RPSL compresses about
// tenfold, a synthetic feed twentyfold).
inline constexpr uint64_t kMaxInflateRatio = 200;

class RecordReader {
 public:
  // Opens `path`; gzip is recognised by its magic bytes.
  static absl::StatusOr<std::unique_ptr<RecordReader>> Open(const std::string& path);
  ~RecordReader();
  // The next record, nullopt at the end. A record that is not a JSON object
  // or is over kMaxRecordBytes, a truncated gzip stream or a read error is
  // an error naming the record.
  absl::StatusOr<std::optional<nlohmann::json>> Next();
  size_t records() const { return records_; }

 private:
  RecordReader() = default;
  absl::Status Fill();
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string buffer_;
  size_t pos_ = 0;
  size_t searched_ = 0;  // buffer_ before this holds no record end
  uint64_t inflated_ = 0;
  bool eof_ = false;
  size_t records_ = 0;
  std::string path_;
};

// Writes a JSON Text Sequence, gzip compressed when `gzip`.
class RecordWriter {
 public:
  static absl::StatusOr<std::unique_ptr<RecordWriter>> Open(const std::string& path, bool gzip);
  ~RecordWriter();
  absl::Status Write(const nlohmann::json& record);
  absl::Status Close();

 private:
  RecordWriter() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The class and primary key of an RPSL object (section 8.3): route and
// route6 are prefix and origin appended; person and role their nic-hdl;
// any other class the value of the attribute named after it. The class is
// lower case and the key upper case, so matching is case insensitive.
struct ObjectKey {
  std::string object_class;
  std::string primary_key;
  friend bool operator==(const ObjectKey&, const ObjectKey&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const ObjectKey& k) {
    return H::combine(std::move(h), k.object_class, k.primary_key);
  }
};
absl::StatusOr<ObjectKey> KeyOf(absl::string_view rpsl_text);
// Lower-case class; upper-case key, except that a route/route6 key is the
// canonical prefix (roa::Prefix::ToString) followed by "AS<n>", as IRRd
// keys them, so keys written differently compare equal.
ObjectKey NormalizeKey(absl::string_view object_class, absl::string_view primary_key);

// The publication policy for route objects with several origin: lines (the
// dn42 registry has some; in RPSL origin is single-valued and part of the
// key, RFC 10063 section 4.3.4): one object per origin, each
// with that origin line, the other lines unchanged, and a remarks: line
// saying so. Any other text is returned as it is, alone.
std::vector<std::string> SplitOrigins(absl::string_view rpsl_text);
// The value of the object's "source:" attribute, or "" if it has none.
std::string SourceOf(absl::string_view rpsl_text);

}  // namespace rtr42::nrtm4

#endif  // RTR42_NRTM4_FILES_H_
