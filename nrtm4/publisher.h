// Nrtm4Publisher: puts a git registry on NRTMv4 (draft-ietf-grow-nrtm-v4
// section 3), as a directory any HTTPS server can serve.
//
// Each Run() looks at the followed ref. The first run makes a session (a
// random v4 UUID) and snapshot version 1 of every object under data/. Later
// runs write one delta with every object changed by the commits since the
// last run, commit by commit along first parents (so in the order they
// happened; a changed key is a delete of the old key, then an add), write a
// new snapshot when the objects changed and the last snapshot is older than
// the snapshot interval (one hour to one day), drop deltas older than 24
// hours from the notification, delete files no longer named after a grace
// period, and sign a fresh Update Notification File. Files are gzip
// compressed and named <session>/nrtm-{snapshot,delta}.<version>.<random>.json.gz.
// Objects whose source: is not the feed's (the dn42 registry holds ICVPN,
// NeoNetwork and RIR objects) are published with source: rewritten and a
// remarks: line naming the original, as sections 6.3 and 3.3.4 ask.
// The publisher's own state sits beside them in .nrtm4-publish-state.json.
#ifndef RTR42_NRTM4_PUBLISHER_H_
#define RTR42_NRTM4_PUBLISHER_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace rtr42::nrtm4 {

struct PublishOptions {
  std::string registry;  // a local git repository
  std::string ref = "HEAD";
  std::string feed_dir;
  std::string source = "DN42";
  std::string private_key_file;      // PEM; read, never logged
  std::string next_public_key_file;  // PEM; announced as next_signing_key
  absl::Duration snapshot_interval = absl::Hours(1);
  bool force_snapshot = false;
  bool new_session = false;
  absl::Time now = absl::InfinitePast();  // InfinitePast: the clock
};

struct PublishResult {
  std::string session_id;
  uint64_t version = 0;
  bool new_session = false;
  bool wrote_delta = false;
  bool wrote_snapshot = false;
  size_t changes = 0;         // records in the new delta
  size_t objects = 0;         // in the new snapshot
  size_t deltas_dropped = 0;  // older than 24 hours
  size_t skipped = 0;         // objects without a key (not published)
  size_t rewritten = 0;       // of another source: source: rewritten, remarks: added
};

absl::StatusOr<PublishResult> PublishNrtm4(const PublishOptions& options);

}  // namespace rtr42::nrtm4

#endif  // RTR42_NRTM4_PUBLISHER_H_
