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

constexpr char kStateFile[] = "state.json";

bool IsRouteClass(const std::string& cls) { return cls == "route" || cls == "route6"; }

}  // namespace

std::string ObjectPath(const ObjectKey& key) {
  return absl::StrCat(key.object_class == "route6" ? roa::kRoute6Dir : roa::kRouteDir,
                      absl::StrReplaceAll(key.primary_key, {{"/", "_"}}));
}

MirrorSource::MirrorSource(MirrorOptions options, std::unique_ptr<nrtm4::Fetcher> fetcher)
    : options_(std::move(options)), fetcher_(std::move(fetcher)) {}

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
  nrtm4::Fetcher::Options fo;
  fo.ca_file = options.ca_file;
  absl::StatusOr<std::unique_ptr<nrtm4::Fetcher>> fetcher = nrtm4::Fetcher::Create(options.url, fo);
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
  std::unique_ptr<MirrorSource> src(new MirrorSource(std::move(options), std::move(*fetcher)));
  src->state_.key = *key;
  if (absl::Status s = src->LoadState(); !s.ok()) {
    RTR42_LOG_WARNING("nrtm4 %s: %s; starting a new mirror from the snapshot", src->options_.source,
                      s.message());
    src->state_ = State{};
    src->state_.key = *key;
  }
  return src;
}

std::string MirrorSource::Describe() const {
  return absl::StrCat("nrtm4 ", options_.source, " ", options_.url);
}

absl::Status MirrorSource::LoadState() {
  std::string path = absl::StrCat(options_.state_dir, "/", kStateFile);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return absl::OkStatus();  // a first run
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  json j = json::parse(*text, nullptr, false);
  if (!j.is_object() || j.value("source", "") != options_.source ||
      j.value("url", "") != options_.url || !j.contains("objects") || !j["objects"].is_array() ||
      !j.contains("key")) {
    return absl::DataLossError(absl::StrCat(path, " is corrupt or for another feed"));
  }
  State s;
  s.session_id = j.value("session_id", "");
  s.version = j.value("version", uint64_t{0});
  s.key = j.value("key", "");
  if (j.contains("next_key") && j["next_key"].is_string()) s.next_key = j["next_key"];
  if (j.contains("hashes") && j["hashes"].is_array()) {
    for (const json& h : j["hashes"]) {
      if (!h.is_array() || h.size() != 3)
        return absl::DataLossError(path + " has a bad hash entry");
      s.hashes[{h[0].get<std::string>()[0], h[1].get<uint64_t>()}] = h[2].get<std::string>();
    }
  }
  for (const json& o : j["objects"]) {
    if (!o.is_string()) return absl::DataLossError(path + " has a bad object");
    absl::StatusOr<ObjectKey> key = nrtm4::KeyOf(o.get<std::string>());
    if (!key.ok()) return absl::DataLossError(path + " has an object without a key");
    s.objects[*key] = o.get<std::string>();
  }
  if (!nrtm4::NormalizePublicKey(s.key).ok()) return absl::DataLossError(path + " has a bad key");
  if (s.key != state_.key) {
    RTR42_LOG_INFO("nrtm4 %s: using the signing key rotated to earlier (from %s), not --nrtm4-key",
                   options_.source, path);
  }
  state_ = std::move(s);
  RTR42_LOG_INFO("nrtm4 %s: resuming session %s at version %d with %d route objects",
                 options_.source, state_.session_id, state_.version, state_.objects.size());
  return absl::OkStatus();
}

absl::Status MirrorSource::SaveState() const {
  json j = json::object();
  j["source"] = options_.source;
  j["url"] = options_.url;
  j["session_id"] = state_.session_id;
  j["version"] = state_.version;
  j["key"] = state_.key;
  if (state_.next_key) j["next_key"] = *state_.next_key;
  j["hashes"] = json::array();
  for (const auto& [k, hash] : state_.hashes) {
    j["hashes"].push_back(json::array({std::string(1, k.first), k.second, hash}));
  }
  j["objects"] = json::array();
  for (const auto& [key, text] : state_.objects) j["objects"].push_back(text);
  return WriteFileAtomically(absl::StrCat(options_.state_dir, "/", kStateFile), j.dump());
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
                             std::function<void(ObjectKey, std::string)> put) {
  absl::StatusOr<ObjectKey> key = nrtm4::KeyOf(text);
  if (!key.ok()) {
    ++last_skipped_;
    RTR42_LOG_WARNING("nrtm4 %s: %s: invalid object skipped: %s", n.source, where,
                      key.status().message());
    return;
  }
  if (!IsRouteClass(key->object_class)) {
    ++last_ignored_;
    return;
  }
  std::string source = nrtm4::SourceOf(text);
  if (!source.empty() && !absl::EqualsIgnoreCase(source, n.source)) {
    ++last_skipped_;
    RTR42_LOG_WARNING("nrtm4 %s: %s: %s %s skipped: its source is %s (section 6.3)", n.source,
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
  p->full = true;
  p->full_objects.clear();
  p->overlay.clear();
  while (true) {
    auto record = (*reader)->Next();
    if (!record.ok()) return record.status();
    if (!record->has_value()) break;
    const json& r = **record;
    if (!r.contains("object") || !r["object"].is_string()) {
      return absl::InvalidArgumentError(absl::StrCat("snapshot ", n.snapshot.version, " record ",
                                                     (*reader)->records(), " has no \"object\""));
    }
    AddObject(r["object"].get<std::string>(), n,
              absl::StrCat("snapshot ", n.snapshot.version, " record ", (*reader)->records()),
              [&](ObjectKey k, std::string t) { p->full_objects[std::move(k)] = std::move(t); });
  }
  p->meta.version = n.snapshot.version;
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
  // A delta is applied whole or not at all (section 4.3): changes go to a
  // local overlay first.
  absl::flat_hash_map<ObjectKey, std::optional<std::string>> changes;
  std::vector<ObjectKey> order;
  auto set = [&](ObjectKey k, std::optional<std::string> t) {
    auto [it, inserted] = changes.try_emplace(k, std::move(t));
    if (!inserted) it->second = std::move(t);
    if (inserted) order.push_back(std::move(k));
  };
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
      if (IsRouteClass(key.object_class)) set(std::move(key), std::nullopt);
    } else if (action == "add_modify") {
      if (!r.contains("object") || !r["object"].is_string()) {
        return absl::InvalidArgumentError(where + ": add_modify without an object");
      }
      AddObject(r["object"].get<std::string>(), n, where,
                [&](ObjectKey k, std::string t) { set(std::move(k), std::move(t)); });
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": action is not \"delete\" or \"add_modify\""));
    }
  }
  if (count == 0)
    return absl::InvalidArgumentError(absl::StrCat("delta ", ref.version, " has no changes"));
  for (ObjectKey& k : order) {
    if (p->full) {
      if (changes[k]) {
        p->full_objects[k] = *changes[k];
      } else {
        p->full_objects.erase(k);
      }
    } else {
      p->overlay[k] = std::move(changes[k]);
    }
  }
  p->meta.version = ref.version;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<sources::RegistryDelta>> MirrorSource::Poll() {
  pending_.reset();
  last_skipped_ = last_ignored_ = 0;
  absl::StatusOr<std::string> jws = fetcher_->GetNotification();
  if (!jws.ok()) return jws.status();

  // Section 4.4 and 8.4: the current key, else a next key seen before.
  State meta = state_;
  meta.objects.clear();
  absl::StatusOr<std::string> payload = nrtm4::JwsVerify(*jws, state_.key);
  bool rotated = false;
  if (!payload.ok() && state_.next_key) {
    absl::StatusOr<std::string> with_next = nrtm4::JwsVerify(*jws, *state_.next_key);
    if (with_next.ok()) {
      payload = std::move(with_next);
      rotated = true;
    }
  }
  if (!payload.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("Update Notification File rejected: ", payload.status().message(),
                     state_.next_key ? " (nor with the next signing key)" : ""));
  }
  absl::StatusOr<Notification> parsed = nrtm4::ParseNotification(*payload);
  if (!parsed.ok()) return parsed.status();
  const Notification& n = *parsed;
  if (n.source != options_.source) {
    return absl::InvalidArgumentError(absl::StrCat("Update Notification File is for source ",
                                                   n.source, ", not ", options_.source));
  }
  if (rotated) {
    meta.key = *state_.next_key;
    meta.next_key.reset();
  }
  if (n.next_signing_key && *n.next_signing_key != meta.key) meta.next_key = n.next_signing_key;

  absl::Time now = absl::Now();
  last_stale_ = now - n.timestamp > options_.stale_after;
  if (last_stale_ && last_stale_logged_ != n.timestamp) {
    last_stale_logged_ = n.timestamp;
    RTR42_LOG_WARNING("nrtm4 %s: the Update Notification File is stale: generated %s, over %s ago",
                      n.source,
                      absl::FormatTime(absl::RFC3339_sec, n.timestamp, absl::UTCTimeZone()),
                      absl::FormatDuration(options_.stale_after));
  }

  Pending p;
  bool same_session = !state_.session_id.empty() && n.session_id == state_.session_id;
  if (same_session) {
    if (n.version < state_.version) {
      return absl::FailedPreconditionError(
          absl::StrCat("Update Notification File rejected: version ", n.version,
                       n.version + 1 == state_.version ? " is one behind" : " is far behind",
                       " ours (", state_.version, ")"));
    }
    // Section 4.3: a file already seen must keep its hash.
    auto check = [&](char kind, const FileRef& ref) -> absl::Status {
      auto it = state_.hashes.find({kind, ref.version});
      if (it != state_.hashes.end() && it->second != ref.hash) {
        return absl::DataLossError(absl::StrCat(
            "Update Notification File rejected: ", kind == 's' ? "snapshot " : "delta ",
            ref.version, " now has another hash"));
      }
      return absl::OkStatus();
    };
    if (absl::Status s = check('s', n.snapshot); !s.ok()) return s;
    for (const FileRef& d : n.deltas) {
      if (absl::Status s = check('d', d); !s.ok()) return s;
    }
  }
  p.meta = meta;
  if (!same_session) {
    if (!state_.session_id.empty()) {
      RTR42_LOG_WARNING("nrtm4 %s: session changed from %s to %s: reinitialising from the snapshot",
                        n.source, state_.session_id, n.session_id);
    }
    p.meta.session_id = n.session_id;
    p.meta.hashes.clear();
    if (absl::Status s = LoadSnapshot(n, &p); !s.ok()) return s;
    for (const FileRef& d : n.deltas) {
      if (d.version <= p.meta.version) continue;
      if (absl::Status s = ApplyDelta(n, d, &p); !s.ok()) return s;
    }
  } else if (n.version > state_.version) {
    bool reaches = !n.deltas.empty() && n.deltas.front().version <= state_.version + 1;
    if (!reaches) {
      RTR42_LOG_WARNING(
          "nrtm4 %s: deltas do not reach back to version %d: reinitialising from "
          "snapshot %d",
          n.source, state_.version + 1, n.snapshot.version);
      if (absl::Status s = LoadSnapshot(n, &p); !s.ok()) return s;
    }
    for (const FileRef& d : n.deltas) {
      if (d.version <= p.meta.version) continue;
      if (absl::Status s = ApplyDelta(n, d, &p); !s.ok()) return s;
    }
  }
  p.meta.hashes[{'s', n.snapshot.version}] = n.snapshot.hash;
  for (const FileRef& d : n.deltas) p.meta.hashes[{'d', d.version}] = d.hash;
  // Remember only what the notification still names.
  for (auto it = p.meta.hashes.begin(); it != p.meta.hashes.end();) {
    bool named = (it->first.first == 's' && it->first.second == n.snapshot.version) ||
                 std::any_of(n.deltas.begin(), n.deltas.end(),
                             [&](const FileRef& d) { return d.version == it->first.second; });
    it = named ? std::next(it) : p.meta.hashes.erase(it);
  }
  if (rotated)
    RTR42_LOG_INFO("nrtm4 %s: the next signing key verified; it is now the key", n.source);

  bool objects_changed = p.full || !p.overlay.empty();
  if (!objects_changed && delivered_) {
    // Nothing for the compiler; the metadata (keys, hashes) is kept at once.
    Objects objects = std::move(state_.objects);
    state_ = std::move(p.meta);
    state_.objects = std::move(objects);
    if (absl::Status s = SaveState(); !s.ok()) return s;
    return std::nullopt;
  }
  sources::RegistryDelta delta = MakeDelta(p);
  pending_ = std::move(p);
  return std::optional<sources::RegistryDelta>(std::move(delta));
}

sources::RegistryDelta MirrorSource::MakeDelta(const Pending& p) const {
  sources::RegistryDelta delta;
  delta.revision =
      absl::StrCat("nrtm4 ", options_.source, " ", p.meta.session_id, " version ", p.meta.version);
  if (p.full || !delivered_) {
    delta.full = true;
    const Objects* objects = p.full ? &p.full_objects : &state_.objects;
    for (const auto& [key, text] : *objects) {
      auto o = p.full ? p.overlay.end() : p.overlay.find(key);
      if (o != p.overlay.end()) continue;  // below
      delta.changes.push_back({ObjectPath(key), text});
    }
    if (!p.full) {
      for (const auto& [key, text] : p.overlay) {
        if (text) delta.changes.push_back({ObjectPath(key), *text});
      }
    }
    return delta;
  }
  for (const auto& [key, text] : p.overlay) {
    if (!text && !state_.objects.contains(key)) continue;  // came and went
    delta.changes.push_back({ObjectPath(key), text});
  }
  return delta;
}

void MirrorSource::Confirm() {
  if (!pending_) return;
  Pending& p = *pending_;
  Objects objects = p.full ? std::move(p.full_objects) : std::move(state_.objects);
  for (auto& [key, text] : p.overlay) {
    if (text) {
      objects[key] = std::move(*text);
    } else {
      objects.erase(key);
    }
  }
  state_ = std::move(p.meta);
  state_.objects = std::move(objects);
  pending_.reset();
  delivered_ = true;
  if (absl::Status s = SaveState(); !s.ok()) {
    RTR42_LOG_ERROR("nrtm4 %s: cannot save the mirror state: %s", options_.source, s.message());
  }
}

}  // namespace rtr42::nrtm4
