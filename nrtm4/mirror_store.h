// MirrorStore: what an NRTMv4 mirror has confirmed, in an SQLite database
// (Debian's libsqlite3), so that a mirror of an IRR with millions of objects
// is updated in place and never rewritten whole.
//
// The database (WAL journal) holds the feed's metadata (source, URL,
// session, version, signing keys), the hashes of the files the last
// notification named (section 5.4), and the route/route6 objects by class
// and canonical primary key. Every change is made inside a transaction that
// the caller opens with Begin() and ends with Commit() or Rollback(): a
// process that dies in between leaves the database as it was at the last
// Commit(). Reads inside a transaction see its own changes.
//
// Not thread-safe; one MirrorStore per database file.
#ifndef RTR42_NRTM4_MIRROR_STORE_H_
#define RTR42_NRTM4_MIRROR_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nrtm4/files.h"

struct sqlite3;
struct sqlite3_stmt;

namespace rtr42::nrtm4 {

struct MirrorMeta {
  std::string source;
  std::string url;
  std::string session_id;
  uint64_t version = 0;
  std::string key;                                          // PEM
  std::optional<std::string> next_key;                      // PEM
  std::map<std::pair<char, uint64_t>, std::string> hashes;  // ('s'|'d', version) -> hash
};

class MirrorStore {
 public:
  // Opens or creates the database at `path`.
  static absl::StatusOr<std::unique_ptr<MirrorStore>> Open(const std::string& path);
  ~MirrorStore();
  MirrorStore(const MirrorStore&) = delete;
  MirrorStore& operator=(const MirrorStore&) = delete;

  // The metadata; nullopt for a new (or wiped) database.
  absl::StatusOr<std::optional<MirrorMeta>> LoadMeta();

  absl::Status Begin();
  absl::Status Commit();
  void Rollback();  // no-op outside a transaction
  bool in_transaction() const { return in_transaction_; }

  // Inside a transaction:
  absl::Status SaveMeta(const MirrorMeta& meta);
  absl::Status Wipe();  // metadata and objects
  absl::Status ClearObjects();
  absl::Status Put(const ObjectKey& key, absl::string_view text);
  // Whether the object was there.
  absl::StatusOr<bool> Erase(const ObjectKey& key);
  absl::StatusOr<bool> Contains(const ObjectKey& key);

  // Outside a transaction: copies the write-ahead log into the database and
  // truncates it (after a snapshot, whose log is as large as the database).
  absl::Status Checkpoint();

  // Anywhere:
  absl::StatusOr<uint64_t> CountObjects();
  absl::Status ForEachObject(const std::function<void(ObjectKey, std::string)>& visit);

  const std::string& path() const { return path_; }

 private:
  explicit MirrorStore(std::string path) : path_(std::move(path)) {}
  absl::Status Exec(const char* sql);
  absl::Status Error(absl::string_view doing) const;
  absl::StatusOr<sqlite3_stmt*> Prepare(const char* sql);

  std::string path_;
  sqlite3* db_ = nullptr;
  bool in_transaction_ = false;
  sqlite3_stmt* put_ = nullptr;
  sqlite3_stmt* erase_ = nullptr;
  sqlite3_stmt* contains_ = nullptr;
};

}  // namespace rtr42::nrtm4

#endif  // RTR42_NRTM4_MIRROR_STORE_H_
