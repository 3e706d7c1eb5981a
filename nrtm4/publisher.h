// Publisher: puts a git registry on NRTMv4 (RFC 10063
// section 4), as a directory any HTTPS server can serve.
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
// A route object with several origin: lines is published as one object per
// origin (SplitOrigins, nrtm4/files.h), and route keys are canonical, so an
// IRRd mirror takes the feed whole. The publisher's own state is kept beside
// the feed directory (StateFileFor), never inside it.
#ifndef RTR42_NRTM4_PUBLISHER_H_
#define RTR42_NRTM4_PUBLISHER_H_

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nrtm4/files.h"
#include "sources/git_source.h"

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
  // The publisher's own state; empty: StateFileFor() (beside the feed
  // directory, never inside what the web server serves).
  std::string state_file;
};

// "<feed_dir>.nrtm4-publish-state.json", or options.state_file.
std::string StateFileFor(const PublishOptions& options);

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
  size_t split = 0;           // route objects with several origins, published one per origin
};

// One file the feed names, and when it was written.
struct Published {
  FileRef ref;
  absl::Time created;
};

// What the publisher remembers between runs.
struct PublisherState {
  std::string source;
  std::string session_id;
  uint64_t version = 0;
  std::string commit;
  Published snapshot;
  std::vector<Published> deltas;
  bool changed_since_snapshot = false;
  std::map<std::string, std::vector<ObjectKey>> keys;       // path -> keys published
  std::vector<std::pair<std::string, absl::Time>> retired;  // path, when unnamed
};

// One run of the publisher, as named steps: Open() checks the options and
// keys and opens the registry; Run() loads the state (or starts a session),
// writes the snapshot or the delta, a new snapshot when due, expires old
// files, and signs the notification.
class Publisher {
 public:
  static absl::StatusOr<std::unique_ptr<Publisher>> Open(PublishOptions options);
  ~Publisher();
  absl::StatusOr<PublishResult> Run();

 private:
  explicit Publisher(PublishOptions options);
  absl::Status CheckOptionsAndKeys();
  absl::Status OpenRegistry();
  absl::Status LoadOrStartSession();
  // What a registry file is published as: one object (several for a route
  // with several origins, SplitOrigins), each with its key and its text (the
  // source rewritten when it is another's); none (logged) without a key.
  struct Object {
    ObjectKey key;
    std::string text;
  };
  std::vector<Object> ObjectsOf(const std::string& path, const std::string& text);
  absl::Status WriteSnapshot(const std::string& commit);
  // One delta with every object the commits since the last run changed.
  absl::Status WriteDelta();
  void AddChange(sources::FileChange* change, std::vector<nlohmann::json>* records);
  void Expire();
  absl::Status SignAndSave();
  std::string StatePath() const;

  const PublishOptions o_;
  const absl::Time now_;
  std::string private_key_;
  std::optional<std::string> next_key_;
  std::unique_ptr<sources::GitSource> git_;
  std::string commit_;  // the ref's commit now
  PublisherState state_;
  Notification notification_;
  PublishResult result_;
};

// Publisher::Open(options), then Run().
absl::StatusOr<PublishResult> PublishNrtm4(const PublishOptions& options);

}  // namespace rtr42::nrtm4

#endif  // RTR42_NRTM4_PUBLISHER_H_
