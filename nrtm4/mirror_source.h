// MirrorSource: an NRTMv4 mirror client (draft-ietf-grow-nrtm-v4 section 4)
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
// invalid objects are logged and skipped (section 8.1).
//
// Confirm() makes the polled state current and writes it (session, version,
// keys, file hashes seen, objects) to `state_dir`, atomically, so a restart
// resumes with deltas. Key rotation (section 8.4): a next_signing_key from a
// verified file is stored and tried when the current key fails; once it
// verifies it replaces the current key for good.
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
#include "sources/registry_source.h"

namespace rtr42::nrtm4 {

struct MirrorOptions {
  std::string url;        // of the Update Notification File
  std::string source;     // the IRR database name, e.g. "DN42"
  std::string key_file;   // PEM public key
  std::string ca_file;    // for HTTPS; empty: the system's CAs
  std::string state_dir;  // empty: CacheDir()/nrtm4-<source, lower case>
  absl::Duration stale_after = absl::Hours(24);
};

class MirrorSource : public sources::RegistrySource {
 public:
  static absl::StatusOr<std::unique_ptr<MirrorSource>> Open(MirrorOptions options);

  absl::StatusOr<std::optional<sources::RegistryDelta>> Poll() override;
  void Confirm() override;
  std::string Describe() const override;
  bool is_remote() const override { return fetcher_->is_remote(); }

  // The confirmed state.
  const std::string& session_id() const { return state_.session_id; }
  uint64_t version() const { return state_.version; }
  const std::string& signing_key() const { return state_.key; }
  const std::optional<std::string>& next_signing_key() const { return state_.next_key; }
  size_t object_count() const { return state_.objects.size(); }
  // Objects skipped or ignored by the last poll (for logs and tests).
  size_t last_skipped() const { return last_skipped_; }
  size_t last_ignored() const { return last_ignored_; }
  bool last_stale() const { return last_stale_; }

 private:
  using Objects = absl::flat_hash_map<nrtm4::ObjectKey, std::string>;
  struct State {
    std::string session_id;
    uint64_t version = 0;
    std::string key;
    std::optional<std::string> next_key;
    std::map<std::pair<char, uint64_t>, std::string> hashes;  // ('s'|'d', version) -> hash
    Objects objects;                                          // route and route6
  };
  struct Pending {
    State meta;  // everything but the objects
    bool full = false;
    Objects full_objects;                                                       // when full
    absl::flat_hash_map<nrtm4::ObjectKey, std::optional<std::string>> overlay;  // when not
  };

  MirrorSource(MirrorOptions options, std::unique_ptr<nrtm4::Fetcher> fetcher);
  absl::Status LoadState();
  absl::Status SaveState() const;
  absl::StatusOr<std::string> Fetch(const nrtm4::FileRef& ref, const std::string& kind);
  absl::Status LoadSnapshot(const nrtm4::Notification& n, Pending* p);
  absl::Status ApplyDelta(const nrtm4::Notification& n, const nrtm4::FileRef& ref, Pending* p);
  // Passes a route/route6 object of our source to `put`; counts (and logs)
  // the others.
  void AddObject(const std::string& text, const nrtm4::Notification& n, const std::string& where,
                 std::function<void(nrtm4::ObjectKey, std::string)> put);
  sources::RegistryDelta MakeDelta(const Pending& p) const;

  MirrorOptions options_;
  std::unique_ptr<nrtm4::Fetcher> fetcher_;
  State state_;
  std::optional<Pending> pending_;
  bool delivered_ = false;  // the compiler has had a full delta
  absl::Time last_stale_logged_ = absl::InfinitePast();
  size_t last_skipped_ = 0, last_ignored_ = 0;
  bool last_stale_ = false;
};

// "data/route/<key>" or "data/route6/<key>" for a route object's key.
std::string ObjectPath(const nrtm4::ObjectKey& key);

}  // namespace rtr42::nrtm4

#endif  // RTR42_NRTM4_MIRROR_SOURCE_H_
