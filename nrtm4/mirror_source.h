// MirrorSource: an NRTMv4 mirror client (RFC 10063 section 5)
// as a RegistrySource, so its route and route6 objects reach the compiler
// like files of a registry ("data/route/<primary key>").
//
// Poll() fetches and verifies the Update Notification File (JWS, ES256),
// then initialises from the snapshot (first run, a new session, or deltas
// that do not reach back to our version) or applies the deltas after our
// version, in order. Every file is checked against its SHA-256 before it is
// read; a bad signature, hash, header, record or version sequence rejects the
// update and every newer file, and the state confirmed before stays in force.
// Only route and route6 objects are kept; other classes are ignored and
// invalid route objects are logged and skipped (section 9.2).
//
// The state lives in an SQLite database in `state_dir` (MirrorStore,
// mirror_store.h). Poll() makes its changes inside one transaction and
// Confirm() commits it, so what the compiler has not taken is rolled back and
// a crash at any point leaves the last confirmed state; a restart resumes
// with deltas. Only the changed objects are written: a delta of 1,000 changes
// to a mirror of 500,000 route objects writes 1,000 rows. The snapshot is
// read record by record from the downloaded file, never whole in memory.
// Key rotation (section 9.6): a next_signing_key from a verified file is
// stored and tried when the current key fails; once it verifies it replaces
// the current key for good.
//
// Over HTTPS, once the compiler has had the objects, the notification is
// fetched conditionally (ETag, Last-Modified): 304 Not Modified costs no
// download and no signature check.
#ifndef RTR42_NRTM4_MIRROR_SOURCE_H_
#define RTR42_NRTM4_MIRROR_SOURCE_H_

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nrtm4/files.h"
#include "nrtm4/https_fetch.h"
#include "nrtm4/mirror_store.h"
#include "sources/registry_source.h"

namespace rtr42::nrtm4 {

struct MirrorOptions {
  std::string url;        // of the Update Notification File
  std::string source;     // the IRR database name, e.g. "DN42"
  std::string key_file;   // PEM public key
  std::string ca_file;    // for HTTPS; empty: the system's CAs
  std::string state_dir;  // empty: CacheDir()/nrtm4-<source, lower case>
  absl::Duration stale_after = absl::Hours(24);
  FetchOptions fetch;  // timeouts, size caps (https.ca_file is set from ca_file)
};

// The database file's name in `state_dir`.
inline constexpr char kMirrorDatabase[] = "mirror.sqlite3";

class MirrorSource : public sources::RegistrySource {
 public:
  static absl::StatusOr<std::unique_ptr<MirrorSource>> Open(MirrorOptions options);

  absl::StatusOr<std::optional<sources::RegistryDelta>> Poll() override;
  void Confirm() override;
  std::string Describe() const override;
  bool is_remote() const override { return fetcher_->is_remote(); }

  // The confirmed state.
  const std::string& session_id() const { return meta_.session_id; }
  uint64_t version() const { return meta_.version; }
  const std::string& signing_key() const { return meta_.key; }
  const std::optional<std::string>& next_signing_key() const { return meta_.next_key; }
  uint64_t object_count() const { return object_count_; }
  // What the last poll did (for logs and tests).
  size_t last_skipped() const { return last_skipped_; }
  size_t last_ignored() const { return last_ignored_; }
  bool last_stale() const { return last_stale_; }
  bool last_not_modified() const { return last_not_modified_; }

 private:
  // What one poll changed: per object touched, its new text (nullopt:
  // deleted) and whether the confirmed state had it.
  struct Change {
    std::optional<std::string> text;
    bool existed = false;
  };
  struct Pending {
    MirrorMeta meta;
    http::Validators validators;
    absl::Time generated;                            // the notification's timestamp
    bool full = false;                               // a snapshot was loaded
    absl::flat_hash_map<ObjectKey, Change> changes;  // when not full
    uint64_t count = 0;                              // objects afterwards
  };

  MirrorSource(MirrorOptions options, std::unique_ptr<Fetcher> fetcher,
               std::unique_ptr<MirrorStore> store);
  absl::Status LoadState(const std::string& configured_key);
  absl::StatusOr<std::string> Fetch(const FileRef& ref, const std::string& kind);
  absl::StatusOr<Notification> VerifyNotification(const std::string& jws, MirrorMeta* meta);
  absl::Status CheckSameSession(const Notification& n) const;
  absl::Status Update(const Notification& n, Pending* p);
  absl::Status LoadSnapshot(const Notification& n, Pending* p);
  absl::Status ApplyDelta(const Notification& n, const FileRef& ref, Pending* p);
  absl::Status Record(const ObjectKey& key, std::optional<std::string> text, Pending* p);
  // Passes a route/route6 object of our source to `put`; counts (and logs)
  // the others.
  void AddObject(const std::string& text, const Notification& n, const std::string& where,
                 const std::function<void(ObjectKey, std::string)>& put);
  absl::StatusOr<sources::RegistryDelta> MakeDelta(const Pending& p);
  void NoteStaleness(absl::Time generated);

  MirrorOptions options_;
  std::unique_ptr<Fetcher> fetcher_;
  std::unique_ptr<MirrorStore> store_;
  MirrorMeta meta_;                              // confirmed
  http::Validators validators_;                  // of the confirmed notification
  uint64_t object_count_ = 0;                    // confirmed
  absl::Time generated_ = absl::InfinitePast();  // the confirmed notification's timestamp
  std::optional<Pending> pending_;
  bool delivered_ = false;  // the compiler has had a full delta
  absl::Time last_stale_logged_ = absl::InfinitePast();
  size_t last_skipped_ = 0, last_ignored_ = 0;
  bool last_stale_ = false, last_not_modified_ = false;
};

// "data/route/<key>" or "data/route6/<key>" for a route object's key.
std::string ObjectPath(const nrtm4::ObjectKey& key);

}  // namespace rtr42::nrtm4

#endif  // RTR42_NRTM4_MIRROR_SOURCE_H_
