#include "nrtm4/mirror_source.h"

#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "base/file_util.h"
#include "base/log.h"
#include "nrtm4/signature.h"

namespace rtr42::nrtm4 {
namespace {

using nlohmann::json;
using nrtm4::FileRef;
using nrtm4::Notification;
using nrtm4::ObjectKey;

// The JSON state file of earlier versions, replaced by the database.
constexpr char kOldStateFile[] = "state.json";

bool IsRouteClass(absl::string_view cls) {
  return absl::EqualsIgnoreCase(cls, "route") || absl::EqualsIgnoreCase(cls, "route6");
}

// The class of an RPSL object: its first attribute's name.
absl::string_view ClassOf(absl::string_view text) {
  text = absl::StripLeadingAsciiWhitespace(text);
  return text.substr(0, std::min(text.find(':'), text.size()));
}

}  // namespace

std::string ObjectPath(const ObjectKey& key) {
  return absl::StrCat(key.object_class == "route6" ? roa::kRoute6Dir : roa::kRouteDir,
                      absl::StrReplaceAll(key.primary_key, {{"/", "_"}}));
}

MirrorSource::MirrorSource(MirrorOptions options, std::unique_ptr<Fetcher> fetcher,
                           std::unique_ptr<MirrorStore> store)
    : options_(std::move(options)), fetcher_(std::move(fetcher)), store_(std::move(store)) {}

absl::StatusOr<std::unique_ptr<MirrorSource>> MirrorSource::Open(MirrorOptions options) {
  if (!nrtm4::IsRpslName(options.source)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--nrtm4-source '", options.source, "' is not an IRR database name"));
  }
  absl::StatusOr<std::string> key_text = ReadFile(options.key_file);
  if (!key_text.ok()) return key_text.status();
  absl::StatusOr<std::string> key = nrtm4::NormalizePublicKey(*key_text);
  if (!key.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(options.key_file, ": ", key.status().message()));
  }
  if (!options.ca_file.empty()) options.fetch.https.ca_file = options.ca_file;
  absl::StatusOr<std::unique_ptr<Fetcher>> fetcher = Fetcher::Create(options.url, options.fetch);
  if (!fetcher.ok()) return fetcher.status();
  if (options.state_dir.empty()) {
    options.state_dir = absl::StrCat(CacheDir(), "/nrtm4-", absl::AsciiStrToLower(options.source));
  }
  std::error_code ec;
  std::filesystem::create_directories(options.state_dir, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat(options.state_dir, ": cannot create the directory: ", ec.message()));
  }
  std::string database = absl::StrCat(options.state_dir, "/", kMirrorDatabase);
  absl::StatusOr<std::unique_ptr<MirrorStore>> store = MirrorStore::Open(database);
  if (!store.ok() && store.status().code() == absl::StatusCode::kDataLoss) {
    // Not a database (or a damaged one): kept for a post-mortem, and the
    // mirror starts again from the snapshot.
    RTR42_LOG_WARNING("nrtm4 %s: %s; set aside as %s.damaged, starting a new mirror",
                      options.source, store.status().message(), database);
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::rename(database + suffix, database + suffix + ".damaged", ec);
    }
    store = MirrorStore::Open(database);
  }
  if (!store.ok()) return store.status();
  std::unique_ptr<MirrorSource> src(
      new MirrorSource(std::move(options), std::move(*fetcher), std::move(*store)));
  const std::string& source = src->options_.source;
  std::string old_state = absl::StrCat(src->options_.state_dir, "/", kOldStateFile);
  if (std::filesystem::exists(old_state, ec)) {
    RTR42_LOG_WARNING(
        "nrtm4 %s: %s (the JSON state of earlier versions) is not read any more; "
        "the mirror starts again from the snapshot",
        source, old_state);
    std::filesystem::remove(old_state, ec);
  }
  if (absl::Status s = src->LoadState(*key); !s.ok()) {
    RTR42_LOG_WARNING("nrtm4 %s: %s; starting a new mirror from the snapshot", source, s.message());
    absl::Status wiped = src->store_->Begin();
    if (wiped.ok()) wiped = src->store_->Wipe();
    if (wiped.ok()) wiped = src->store_->Commit();
    if (!wiped.ok()) return wiped;
    src->meta_ = MirrorMeta{source, src->options_.url, "", 0, *key, std::nullopt, {}};
    src->object_count_ = 0;
  }
  return src;
}

std::string MirrorSource::Describe() const {
  return absl::StrCat("nrtm4 ", options_.source, " ", options_.url);
}

absl::Status MirrorSource::LoadState(const std::string& configured_key) {
  meta_ = MirrorMeta{options_.source, options_.url, "", 0, configured_key, std::nullopt, {}};
  absl::StatusOr<std::optional<MirrorMeta>> meta = store_->LoadMeta();
  if (!meta.ok()) return meta.status();
  if (!meta->has_value()) return absl::OkStatus();  // a first run
  if ((*meta)->source != options_.source || (*meta)->url != options_.url) {
    return absl::DataLossError(absl::StrCat(store_->path(), " is for another feed (",
                                            (*meta)->source, " ", (*meta)->url, ")"));
  }
  if (!nrtm4::NormalizePublicKey((*meta)->key).ok()) {
    return absl::DataLossError(store_->path() + " has a bad key");
  }
  absl::StatusOr<uint64_t> count = store_->CountObjects();
  if (!count.ok()) return count.status();
  if ((*meta)->key != configured_key) {
    RTR42_LOG_INFO("nrtm4 %s: using the signing key rotated to earlier (from %s), not --nrtm4-key",
                   options_.source, store_->path());
  }
  meta_ = std::move(**meta);
  object_count_ = *count;
  RTR42_LOG_INFO("nrtm4 %s: resuming session %s at version %d with %d route objects",
                 options_.source, meta_.session_id, meta_.version, object_count_);
  return absl::OkStatus();
}

absl::StatusOr<std::string> MirrorSource::Fetch(const FileRef& ref, const std::string& kind) {
  std::string scratch = absl::StrCat(options_.state_dir, "/download.tmp");
  absl::StatusOr<std::string> path = fetcher_->GetFile(ref.url, scratch);
  if (!path.ok()) return path.status();
  absl::StatusOr<std::string> hash = nrtm4::Sha256File(*path);
  if (!hash.ok()) return hash.status();
  if (*hash != ref.hash) {
    return absl::DataLossError(absl::StrCat(kind, " ", ref.version, " (", ref.url, "): SHA-256 ",
                                            *hash, " is not the ", ref.hash,
                                            " the Update Notification File names"));
  }
  return path;
}

void MirrorSource::AddObject(const std::string& text, const Notification& n,
                             const std::string& where,
                             const std::function<void(ObjectKey, std::string)>& put) {
  // The class first: an IRR's snapshot is mostly other classes, which are
  // not parsed further.
  if (!IsRouteClass(ClassOf(text))) {
    ++last_ignored_;
    return;
  }
  absl::StatusOr<ObjectKey> key = nrtm4::KeyOf(text);
  if (!key.ok()) {
    ++last_skipped_;
    RTR42_LOG_WARNING("nrtm4 %s: %s: invalid object skipped: %s", n.source, where,
                      key.status().message());
    return;
  }
  std::string source = nrtm4::SourceOf(text);
  if (!source.empty() && !absl::EqualsIgnoreCase(source, n.source)) {
    ++last_skipped_;
    RTR42_LOG_WARNING("nrtm4 %s: %s: %s %s skipped: its source is %s (section 7.3)", n.source,
                      where, key->object_class, key->primary_key, source);
    return;
  }
  put(std::move(*key), text);
}

absl::Status MirrorSource::LoadSnapshot(const Notification& n, Pending* p) {
  absl::StatusOr<std::string> path = Fetch(n.snapshot, "snapshot");
  if (!path.ok()) return path.status();
  absl::StatusOr<std::unique_ptr<nrtm4::RecordReader>> reader = nrtm4::RecordReader::Open(*path);
  if (!reader.ok()) return reader.status();
  auto header = (*reader)->Next();
  if (!header.ok()) return header.status();
  if (!header->has_value()) return absl::InvalidArgumentError("snapshot file is empty");
  if (absl::Status s = nrtm4::CheckHeader(**header, "snapshot", n, n.snapshot.version); !s.ok())
    return s;
  if (absl::Status s = store_->ClearObjects(); !s.ok()) return s;
  p->full = true;
  p->changes.clear();
  absl::Status stored;
  constexpr size_t kProgressEvery = 1'000'000;
  while (true) {
    auto record = (*reader)->Next();
    if (!record.ok()) return record.status();
    if (!record->has_value()) break;
    const json& r = **record;
    size_t number = (*reader)->records();
    if (!r.contains("object") || !r["object"].is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("snapshot ", n.snapshot.version, " record ", number, " has no \"object\""));
    }
    AddObject(r["object"].get<std::string>(), n,
              absl::StrCat("snapshot ", n.snapshot.version, " record ", number),
              [&](ObjectKey k, std::string t) {
                if (stored.ok()) stored = store_->Put(k, t);
              });
    if (!stored.ok()) return stored;
    if (number % kProgressEvery == 0) {
      RTR42_LOG_INFO("nrtm4 %s: snapshot %d: %d records read", n.source, n.snapshot.version,
                     number);
    }
  }
  p->meta.version = n.snapshot.version;
  return absl::OkStatus();
}

absl::Status MirrorSource::Record(const ObjectKey& key, std::optional<std::string> text,
                                  Pending* p) {
  if (p->full) {  // the whole set goes to the compiler anyway
    if (text) return store_->Put(key, *text);
    return store_->Erase(key).status();
  }
  auto [it, first] = p->changes.try_emplace(key);
  if (text) {
    absl::StatusOr<bool> existed = store_->Contains(key);
    if (!existed.ok()) return existed.status();
    if (absl::Status s = store_->Put(key, *text); !s.ok()) return s;
    if (first) it->second.existed = *existed;
    if (!*existed) ++p->count;
  } else {
    absl::StatusOr<bool> existed = store_->Erase(key);
    if (!existed.ok()) return existed.status();
    if (first) it->second.existed = *existed;
    if (*existed) --p->count;
  }
  it->second.text = std::move(text);
  return absl::OkStatus();
}

absl::Status MirrorSource::ApplyDelta(const Notification& n, const FileRef& ref, Pending* p) {
  if (ref.version != p->meta.version + 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("version gap: delta ", ref.version, " after version ", p->meta.version));
  }
  absl::StatusOr<std::string> path = Fetch(ref, "delta");
  if (!path.ok()) return path.status();
  absl::StatusOr<std::unique_ptr<nrtm4::RecordReader>> reader = nrtm4::RecordReader::Open(*path);
  if (!reader.ok()) return reader.status();
  auto header = (*reader)->Next();
  if (!header.ok()) return header.status();
  if (!header->has_value()) return absl::InvalidArgumentError("delta file is empty");
  if (absl::Status s = nrtm4::CheckHeader(**header, "delta", n, ref.version); !s.ok()) return s;
  // Every record is checked before the first change is made (section 5.4:
  // a delta is applied whole or not at all; the transaction would undo a
  // partial one too).
  std::vector<std::pair<ObjectKey, std::optional<std::string>>> changes;
  size_t count = 0;
  while (true) {
    auto record = (*reader)->Next();
    if (!record.ok()) return record.status();
    if (!record->has_value()) break;
    ++count;
    const json& r = **record;
    std::string where = absl::StrCat("delta ", ref.version, " record ", (*reader)->records());
    std::string action = r.contains("action") && r["action"].is_string() ? r["action"] : "";
    if (action == "delete") {
      if (!r.contains("object_class") || !r["object_class"].is_string() ||
          !r.contains("primary_key") || !r["primary_key"].is_string()) {
        return absl::InvalidArgumentError(where + ": delete without object_class and primary_key");
      }
      ObjectKey key = nrtm4::NormalizeKey(r["object_class"].get<std::string>(),
                                          r["primary_key"].get<std::string>());
      if (IsRouteClass(key.object_class)) changes.emplace_back(std::move(key), std::nullopt);
    } else if (action == "add_modify") {
      if (!r.contains("object") || !r["object"].is_string()) {
        return absl::InvalidArgumentError(where + ": add_modify without an object");
      }
      AddObject(r["object"].get<std::string>(), n, where, [&](ObjectKey k, std::string t) {
        changes.emplace_back(std::move(k), std::move(t));
      });
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": action is not \"delete\" or \"add_modify\""));
    }
  }
  if (count == 0)
    return absl::InvalidArgumentError(absl::StrCat("delta ", ref.version, " has no changes"));
  for (auto& [key, text] : changes) {
    if (absl::Status s = Record(key, std::move(text), p); !s.ok()) return s;
  }
  p->meta.version = ref.version;
  return absl::OkStatus();
}

absl::StatusOr<Notification> MirrorSource::VerifyNotification(const std::string& jws,
                                                              MirrorMeta* meta) {
  // Sections 5.6 and 9.6: the current key, else a next key seen before.
  absl::StatusOr<std::string> payload = nrtm4::JwsVerify(jws, meta_.key);
  bool rotated = false;
  if (!payload.ok() && meta_.next_key) {
    absl::StatusOr<std::string> with_next = nrtm4::JwsVerify(jws, *meta_.next_key);
    if (with_next.ok()) {
      payload = std::move(with_next);
      rotated = true;
    }
  }
  if (!payload.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("Update Notification File rejected: ", payload.status().message(),
                     meta_.next_key ? " (nor with the next signing key)" : ""));
  }
  absl::StatusOr<Notification> n = nrtm4::ParseNotification(*payload);
  if (!n.ok()) return n.status();
  if (n->source != options_.source) {
    return absl::InvalidArgumentError(absl::StrCat("Update Notification File is for source ",
                                                   n->source, ", not ", options_.source));
  }
  if (rotated) {
    RTR42_LOG_INFO("nrtm4 %s: the next signing key verified; it is now the key", n->source);
    meta->key = *meta_.next_key;
    meta->next_key.reset();
  }
  if (n->next_signing_key && *n->next_signing_key != meta->key)
    meta->next_key = n->next_signing_key;
  return n;
}

absl::Status MirrorSource::CheckSameSession(const Notification& n) const {
  if (n.version < meta_.version) {
    return absl::FailedPreconditionError(
        absl::StrCat("Update Notification File rejected: version ", n.version,
                     n.version + 1 == meta_.version ? " is one behind" : " is far behind",
                     " ours (", meta_.version, ")"));
  }
  // Section 5.4: a file already seen must keep its hash.
  auto check = [&](char kind, const FileRef& ref) -> absl::Status {
    auto it = meta_.hashes.find({kind, ref.version});
    if (it != meta_.hashes.end() && it->second != ref.hash) {
      return absl::DataLossError(
          absl::StrCat("Update Notification File rejected: ", kind == 's' ? "snapshot " : "delta ",
                       ref.version, " now has another hash"));
    }
    return absl::OkStatus();
  };
  if (absl::Status s = check('s', n.snapshot); !s.ok()) return s;
  for (const FileRef& d : n.deltas) {
    if (absl::Status s = check('d', d); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status MirrorSource::Update(const Notification& n, Pending* p) {
  bool same_session = !meta_.session_id.empty() && n.session_id == meta_.session_id;
  if (same_session) {
    if (absl::Status s = CheckSameSession(n); !s.ok()) return s;
    bool reaches = !n.deltas.empty() && n.deltas.front().version <= meta_.version + 1;
    if (n.version > meta_.version && !reaches) {
      RTR42_LOG_WARNING(
          "nrtm4 %s: deltas do not reach back to version %d: reinitialising from snapshot %d",
          n.source, meta_.version + 1, n.snapshot.version);
      if (absl::Status s = LoadSnapshot(n, p); !s.ok()) return s;
    }
  } else {
    if (!meta_.session_id.empty()) {
      RTR42_LOG_WARNING("nrtm4 %s: session changed from %s to %s: reinitialising from the snapshot",
                        n.source, meta_.session_id, n.session_id);
    }
    p->meta.session_id = n.session_id;
    p->meta.hashes.clear();
    if (absl::Status s = LoadSnapshot(n, p); !s.ok()) return s;
  }
  for (const FileRef& d : n.deltas) {
    if (d.version <= p->meta.version) continue;
    if (absl::Status s = ApplyDelta(n, d, p); !s.ok()) return s;
  }
  // Remember the hashes of what the notification names, and only those.
  p->meta.hashes.clear();
  p->meta.hashes[{'s', n.snapshot.version}] = n.snapshot.hash;
  for (const FileRef& d : n.deltas) p->meta.hashes[{'d', d.version}] = d.hash;
  if (p->full) {
    absl::StatusOr<uint64_t> count = store_->CountObjects();
    if (!count.ok()) return count.status();
    p->count = *count;
  }
  return absl::OkStatus();
}

void MirrorSource::NoteStaleness(absl::Time generated) {
  last_stale_ = absl::Now() - generated > options_.stale_after;
  if (last_stale_ && last_stale_logged_ != generated) {
    last_stale_logged_ = generated;
    RTR42_LOG_WARNING("nrtm4 %s: the Update Notification File is stale: generated %s, over %s ago",
                      options_.source,
                      absl::FormatTime(absl::RFC3339_sec, generated, absl::UTCTimeZone()),
                      absl::FormatDuration(options_.stale_after));
  }
}

absl::StatusOr<std::optional<sources::RegistryDelta>> MirrorSource::Poll() {
  store_->Rollback();  // what the compiler did not take
  pending_.reset();
  last_skipped_ = last_ignored_ = 0;
  last_not_modified_ = false;
  absl::StatusOr<NotificationFetch> got =
      fetcher_->GetNotification(delivered_ ? validators_ : http::Validators{});
  if (!got.ok()) return got.status();
  if (got->not_modified) {
    last_not_modified_ = true;
    NoteStaleness(generated_);
    return std::nullopt;
  }
  Pending p;
  p.meta = meta_;
  p.validators = got->validators;
  p.count = object_count_;
  absl::StatusOr<Notification> n = VerifyNotification(got->body, &p.meta);
  if (!n.ok()) return n.status();
  NoteStaleness(n->timestamp);
  p.generated = n->timestamp;
  if (absl::Status s = store_->Begin(); !s.ok()) return s;
  absl::Status s = Update(*n, &p);
  if (s.ok()) s = store_->SaveMeta(p.meta);
  if (!s.ok()) {
    store_->Rollback();
    return s;
  }
  if (!p.full && p.changes.empty() && delivered_) {
    // Nothing for the compiler; the metadata (keys, hashes) is kept at once.
    if (absl::Status c = store_->Commit(); !c.ok()) return c;
    meta_ = std::move(p.meta);
    validators_ = std::move(p.validators);
    generated_ = p.generated;
    return std::nullopt;
  }
  absl::StatusOr<sources::RegistryDelta> delta = MakeDelta(p);
  if (!delta.ok()) {
    store_->Rollback();
    return delta.status();
  }
  pending_ = std::move(p);
  return std::optional<sources::RegistryDelta>(std::move(*delta));
}

absl::StatusOr<sources::RegistryDelta> MirrorSource::MakeDelta(const Pending& p) {
  sources::RegistryDelta delta;
  delta.revision =
      absl::StrCat("nrtm4 ", options_.source, " ", p.meta.session_id, " version ", p.meta.version);
  if (p.full || !delivered_) {
    delta.full = true;
    delta.changes.reserve(p.count);
    absl::Status s = store_->ForEachObject([&](ObjectKey key, std::string text) {
      delta.changes.push_back({ObjectPath(key), std::move(text)});
    });
    if (!s.ok()) return s;
    return delta;
  }
  for (const auto& [key, change] : p.changes) {
    if (!change.text && !change.existed) continue;  // came and went
    delta.changes.push_back({ObjectPath(key), change.text});
  }
  return delta;
}

void MirrorSource::Confirm() {
  if (!pending_) return;
  Pending& p = *pending_;
  if (absl::Status s = store_->Commit(); !s.ok()) {
    // The compiler has the objects; the next poll applies the same files to
    // the state confirmed before, which changes nothing it has.
    RTR42_LOG_ERROR("nrtm4 %s: cannot save the mirror state: %s", options_.source, s.message());
  } else {
    meta_ = std::move(p.meta);
    validators_ = std::move(p.validators);
    generated_ = p.generated;
    object_count_ = p.count;
    if (p.full) {
      if (absl::Status c = store_->Checkpoint(); !c.ok()) {
        RTR42_LOG_WARNING("nrtm4 %s: %s", options_.source, c.message());
      }
    }
  }
  pending_.reset();
  delivered_ = true;
}

}  // namespace rtr42::nrtm4
