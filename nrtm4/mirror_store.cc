#include "nrtm4/mirror_store.h"

#include <sqlite3.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rtr42::nrtm4 {
namespace {

// The schema. `meta` is name/value so a field can be added without a
// migration; "schema" names the layout.
constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS files (kind TEXT NOT NULL, version INTEGER NOT NULL,
                                  hash TEXT NOT NULL, PRIMARY KEY (kind, version)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS objects (class TEXT NOT NULL, pkey TEXT NOT NULL, text TEXT NOT NULL,
                                    PRIMARY KEY (class, pkey)) WITHOUT ROWID;
)sql";
constexpr char kSchemaVersion[] = "1";

// Resets and clears a prepared statement when it goes out of scope.
class Reset {
 public:
  explicit Reset(sqlite3_stmt* s) : s_(s) {}
  ~Reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

 private:
  sqlite3_stmt* s_;
};

void BindText(sqlite3_stmt* s, int i, absl::string_view text) {
  sqlite3_bind_text(s, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

std::string ColumnText(sqlite3_stmt* s, int i) {
  const unsigned char* p = sqlite3_column_text(s, i);
  return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(s, i)) : "";
}

}  // namespace

absl::StatusOr<std::unique_ptr<MirrorStore>> MirrorStore::Open(const std::string& path) {
  std::unique_ptr<MirrorStore> store(new MirrorStore(path));
  if (sqlite3_open_v2(path.c_str(), &store->db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    return store->Error("cannot open the database");
  }
  sqlite3_busy_timeout(store->db_, 5000);
  // WAL: a commit appends to the log; synchronous=NORMAL keeps the database
  // consistent through a crash (a power cut may lose the last commits, which
  // the next poll fetches again). The log is cut back after checkpoints.
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
                          "PRAGMA journal_size_limit=67108864", kSchema}) {
    if (absl::Status s = store->Exec(sql); !s.ok()) return s;
  }
  absl::StatusOr<sqlite3_stmt*> put =
      store->Prepare("INSERT OR REPLACE INTO objects (class, pkey, text) VALUES (?1, ?2, ?3)");
  if (!put.ok()) return put.status();
  store->put_ = *put;
  absl::StatusOr<sqlite3_stmt*> erase =
      store->Prepare("DELETE FROM objects WHERE class = ?1 AND pkey = ?2");
  if (!erase.ok()) return erase.status();
  store->erase_ = *erase;
  absl::StatusOr<sqlite3_stmt*> contains =
      store->Prepare("SELECT 1 FROM objects WHERE class = ?1 AND pkey = ?2");
  if (!contains.ok()) return contains.status();
  store->contains_ = *contains;
  return store;
}

MirrorStore::~MirrorStore() {
  Rollback();
  for (sqlite3_stmt* s : {put_, erase_, contains_}) sqlite3_finalize(s);
  sqlite3_close(db_);
}

absl::Status MirrorStore::Error(absl::string_view doing) const {
  return absl::DataLossError(
      absl::StrCat(path_, ": ", doing, ": ", db_ ? sqlite3_errmsg(db_) : "out of memory"));
}

absl::Status MirrorStore::Exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    absl::Status s = absl::DataLossError(absl::StrCat(path_, ": ", message ? message : "error"));
    sqlite3_free(message);
    return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<sqlite3_stmt*> MirrorStore::Prepare(const char* sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK) return Error(sql);
  return s;
}

absl::Status MirrorStore::Begin() {
  if (absl::Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  in_transaction_ = true;
  return absl::OkStatus();
}

absl::Status MirrorStore::Commit() {
  absl::Status s = Exec("COMMIT");
  if (!s.ok()) Rollback();
  in_transaction_ = false;
  return s;
}

void MirrorStore::Rollback() {
  if (!in_transaction_ || !db_) return;
  (void)Exec("ROLLBACK");
  in_transaction_ = false;
}

absl::Status MirrorStore::Checkpoint() { return Exec("PRAGMA wal_checkpoint(TRUNCATE)"); }

absl::StatusOr<std::optional<MirrorMeta>> MirrorStore::LoadMeta() {
  absl::StatusOr<sqlite3_stmt*> q = Prepare("SELECT name, value FROM meta");
  if (!q.ok()) return q.status();
  std::map<std::string, std::string> values;
  int rc;
  while ((rc = sqlite3_step(*q)) == SQLITE_ROW) values[ColumnText(*q, 0)] = ColumnText(*q, 1);
  sqlite3_finalize(*q);
  if (rc != SQLITE_DONE) return Error("reading the metadata");
  if (values.empty()) return std::nullopt;
  if (values["schema"] != kSchemaVersion) {
    return absl::DataLossError(absl::StrCat(path_, ": unknown schema ", values["schema"]));
  }
  MirrorMeta meta;
  meta.source = values["source"];
  meta.url = values["url"];
  meta.session_id = values["session_id"];
  meta.key = values["key"];
  if (values.contains("next_key")) meta.next_key = values["next_key"];
  if (!absl::SimpleAtoi(values["version"], &meta.version) || meta.key.empty()) {
    return absl::DataLossError(absl::StrCat(path_, ": the metadata is incomplete"));
  }
  q = Prepare("SELECT kind, version, hash FROM files");
  if (!q.ok()) return q.status();
  while ((rc = sqlite3_step(*q)) == SQLITE_ROW) {
    std::string kind = ColumnText(*q, 0);
    meta.hashes[{kind.empty() ? '?' : kind[0], sqlite3_column_int64(*q, 1)}] = ColumnText(*q, 2);
  }
  sqlite3_finalize(*q);
  if (rc != SQLITE_DONE) return Error("reading the file hashes");
  return meta;
}

absl::Status MirrorStore::SaveMeta(const MirrorMeta& meta) {
  if (absl::Status s = Exec("DELETE FROM meta; DELETE FROM files"); !s.ok()) return s;
  absl::StatusOr<sqlite3_stmt*> put = Prepare("INSERT INTO meta (name, value) VALUES (?1, ?2)");
  if (!put.ok()) return put.status();
  std::vector<std::pair<std::string, std::string>> values = {
      {"schema", kSchemaVersion}, {"source", meta.source},
      {"url", meta.url},          {"session_id", meta.session_id},
      {"key", meta.key},          {"version", absl::StrCat(meta.version)}};
  if (meta.next_key) values.emplace_back("next_key", *meta.next_key);
  absl::Status status;
  for (const auto& [name, value] : values) {
    BindText(*put, 1, name);
    BindText(*put, 2, value);
    if (sqlite3_step(*put) != SQLITE_DONE) status = Error("writing the metadata");
    sqlite3_reset(*put);
  }
  sqlite3_finalize(*put);
  if (!status.ok()) return status;
  put = Prepare("INSERT INTO files (kind, version, hash) VALUES (?1, ?2, ?3)");
  if (!put.ok()) return put.status();
  for (const auto& [file, hash] : meta.hashes) {
    BindText(*put, 1, std::string(1, file.first));
    sqlite3_bind_int64(*put, 2, static_cast<sqlite3_int64>(file.second));
    BindText(*put, 3, hash);
    if (sqlite3_step(*put) != SQLITE_DONE) status = Error("writing the file hashes");
    sqlite3_reset(*put);
  }
  sqlite3_finalize(*put);
  return status;
}

absl::Status MirrorStore::Wipe() {
  return Exec("DELETE FROM meta; DELETE FROM files; DELETE FROM objects");
}

absl::Status MirrorStore::ClearObjects() { return Exec("DELETE FROM objects"); }

absl::Status MirrorStore::Put(const ObjectKey& key, absl::string_view text) {
  Reset reset(put_);
  BindText(put_, 1, key.object_class);
  BindText(put_, 2, key.primary_key);
  BindText(put_, 3, text);
  if (sqlite3_step(put_) != SQLITE_DONE) return Error("writing an object");
  return absl::OkStatus();
}

absl::StatusOr<bool> MirrorStore::Erase(const ObjectKey& key) {
  Reset reset(erase_);
  BindText(erase_, 1, key.object_class);
  BindText(erase_, 2, key.primary_key);
  if (sqlite3_step(erase_) != SQLITE_DONE) return Error("deleting an object");
  return sqlite3_changes(db_) > 0;
}

absl::StatusOr<bool> MirrorStore::Contains(const ObjectKey& key) {
  Reset reset(contains_);
  BindText(contains_, 1, key.object_class);
  BindText(contains_, 2, key.primary_key);
  int rc = sqlite3_step(contains_);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error("looking up an object");
  return rc == SQLITE_ROW;
}

absl::StatusOr<uint64_t> MirrorStore::CountObjects() {
  absl::StatusOr<sqlite3_stmt*> q = Prepare("SELECT COUNT(*) FROM objects");
  if (!q.ok()) return q.status();
  uint64_t n = 0;
  int rc = sqlite3_step(*q);
  if (rc == SQLITE_ROW) n = sqlite3_column_int64(*q, 0);
  sqlite3_finalize(*q);
  if (rc != SQLITE_ROW) return Error("counting the objects");
  return n;
}

absl::Status MirrorStore::ForEachObject(const std::function<void(ObjectKey, std::string)>& visit) {
  absl::StatusOr<sqlite3_stmt*> q = Prepare("SELECT class, pkey, text FROM objects");
  if (!q.ok()) return q.status();
  int rc;
  while ((rc = sqlite3_step(*q)) == SQLITE_ROW) {
    visit(ObjectKey{ColumnText(*q, 0), ColumnText(*q, 1)}, ColumnText(*q, 2));
  }
  sqlite3_finalize(*q);
  if (rc != SQLITE_DONE) return Error("reading the objects");
  return absl::OkStatus();
}

}  // namespace rtr42::nrtm4
