#include "nrtm4/publisher.h"

#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/file_util.h"
#include "base/log.h"
#include "nrtm4/files.h"
#include "nrtm4/signature.h"
#include "sources/git_source.h"

namespace rtr42::nrtm4 {
namespace {

using nlohmann::json;
using nrtm4::FileRef;
using nrtm4::ObjectKey;

// Before: the state inside the feed directory (served to anyone).
constexpr char kOldStateName[] = ".nrtm4-publish-state.json";
constexpr char kStateSuffix[] = ".nrtm4-publish-state.json";
constexpr char kNotificationName[] = "update-notification-file.jose";
constexpr absl::Duration kDeltaLifetime = absl::Hours(24);
constexpr absl::Duration kGrace = absl::Minutes(10);  // files outlive their last mention

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes));
  std::string out;
  for (unsigned char c : raw) absl::StrAppendFormat(&out, "%02x", c);
  return out;
}

json RefJson(const Published& p) {
  return json{{"version", p.ref.version},
              {"url", p.ref.url},
              {"hash", p.ref.hash},
              {"created", absl::ToUnixSeconds(p.created)}};
}
Published RefFrom(const json& j) {
  return Published{FileRef{j.at("version").get<uint64_t>(), j.at("url").get<std::string>(),
                           j.at("hash").get<std::string>()},
                   absl::FromUnixSeconds(j.at("created").get<int64_t>())};
}

absl::StatusOr<std::optional<PublisherState>> LoadState(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::optional<PublisherState>();
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  try {
    json j = json::parse(*text);
    PublisherState s;
    s.source = j.at("source");
    s.session_id = j.at("session_id");
    s.version = j.at("version");
    s.commit = j.at("commit");
    s.snapshot = RefFrom(j.at("snapshot"));
    for (const json& d : j.at("deltas")) s.deltas.push_back(RefFrom(d));
    s.changed_since_snapshot = j.at("changed_since_snapshot");
    // A path's keys: [[class, key], ...], or one [class, key] (older state).
    for (const auto& [object_path, k] : j.at("keys").items()) {
      if (k.size() == 2 && k.at(0).is_string()) {
        s.keys[object_path].push_back(NormalizeKey(k.at(0), k.at(1)));
      } else {
        for (const json& one : k) s.keys[object_path].push_back(NormalizeKey(one.at(0), one.at(1)));
      }
    }
    for (const json& r : j.at("retired"))
      s.retired.emplace_back(r.at(0).get<std::string>(),
                             absl::FromUnixSeconds(r.at(1).get<int64_t>()));
    return std::optional<PublisherState>(std::move(s));
  } catch (const json::exception& e) {
    return absl::DataLossError(absl::StrCat(path, ": ", e.what()));
  }
}

absl::Status SaveState(const std::string& path, const PublisherState& s) {
  json j;
  j["source"] = s.source;
  j["session_id"] = s.session_id;
  j["version"] = s.version;
  j["commit"] = s.commit;
  j["snapshot"] = RefJson(s.snapshot);
  j["deltas"] = json::array();
  for (const Published& d : s.deltas) j["deltas"].push_back(RefJson(d));
  j["changed_since_snapshot"] = s.changed_since_snapshot;
  j["keys"] = json::object();
  for (const auto& [p, keys] : s.keys) {
    json list = json::array();
    for (const ObjectKey& k : keys) list.push_back(json::array({k.object_class, k.primary_key}));
    j["keys"][p] = std::move(list);
  }
  j["retired"] = json::array();
  for (const auto& [p, t] : s.retired)
    j["retired"].push_back(json::array({p, absl::ToUnixSeconds(t)}));
  return WriteFileAtomically(path, j.dump());
}

// Writes `records` (after the header) to a new file under the session and
// returns its reference.
class FileMaker {
 public:
  FileMaker(std::string feed_dir, const nrtm4::Notification& n)
      : feed_(std::move(feed_dir)), n_(n) {}
  absl::StatusOr<FileRef> Write(const std::string& type, uint64_t version,
                                const std::vector<json>& records) {
    std::string dir = absl::StrCat(feed_, "/", n_.session_id);
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return absl::PermissionDeniedError(absl::StrCat(dir, ": cannot create"));
    }
    std::string url =
        absl::StrCat(n_.session_id, "/nrtm-", type, ".", version, ".", RandomHex(20), ".json.gz");
    std::string path = absl::StrCat(feed_, "/", url);
    std::string tmp = path + ".tmp";
    {
      absl::StatusOr<std::unique_ptr<nrtm4::RecordWriter>> w = nrtm4::RecordWriter::Open(tmp, true);
      if (!w.ok()) return w.status();
      if (absl::Status s = (*w)->Write(nrtm4::MakeHeader(type, n_, version)); !s.ok()) return s;
      for (const json& r : records) {
        if (absl::Status s = (*w)->Write(r); !s.ok()) return s;
      }
      if (absl::Status s = (*w)->Close(); !s.ok()) return s;
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      return absl::PermissionDeniedError(absl::StrCat(path, ": cannot rename into place"));
    }
    absl::StatusOr<std::string> hash = nrtm4::Sha256File(path);
    if (!hash.ok()) return hash.status();
    return FileRef{version, url, *hash};
  }

 private:
  std::string feed_;
  const nrtm4::Notification& n_;
};

// The publication policy for objects of another source (the dn42 registry
// holds ICVPN, NeoNetwork, CRXN and RIR objects beside its own): section 7.3
// wants every object's source to be the feed's, so the source: line is
// rewritten and a remarks: line says what it was (section 4.3.4 asks for a
// change humans can see).
std::string RewriteSource(const std::string& text, const std::string& from, const std::string& to) {
  std::string out;
  size_t pos = 0;
  bool done = false;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    std::string line = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    pos = end == std::string::npos ? text.size() : end + 1;
    if (!done && absl::StartsWithIgnoreCase(line, "source:")) {
      absl::StrAppend(&out, "source:             ", to, "\n",
                      "remarks:            nrtm4-publish: source was ", from, " in the registry\n");
      done = true;
      continue;
    }
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

}  // namespace

absl::StatusOr<PublishResult> PublishNrtm4(const PublishOptions& options) {
  absl::StatusOr<std::unique_ptr<Publisher>> publisher = Publisher::Open(options);
  if (!publisher.ok()) return publisher.status();
  return (*publisher)->Run();
}

absl::StatusOr<std::unique_ptr<Publisher>> Publisher::Open(PublishOptions options) {
  std::unique_ptr<Publisher> p(new Publisher(std::move(options)));
  if (absl::Status s = p->CheckOptionsAndKeys(); !s.ok()) return s;
  if (absl::Status s = p->OpenRegistry(); !s.ok()) return s;
  return p;
}

Publisher::Publisher(PublishOptions options)
    : o_(std::move(options)), now_(o_.now == absl::InfinitePast() ? absl::Now() : o_.now) {}

Publisher::~Publisher() = default;

absl::Status Publisher::CheckOptionsAndKeys() {
  if (!nrtm4::IsRpslName(o_.source)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--source '", o_.source, "' is not an IRR name"));
  }
  if (o_.snapshot_interval < absl::Hours(1) || o_.snapshot_interval > absl::Hours(24)) {
    return absl::InvalidArgumentError("the snapshot interval must be between one hour and one day");
  }
  absl::StatusOr<std::string> private_key = ReadFile(o_.private_key_file);
  if (!private_key.ok()) return private_key.status();
  if (!nrtm4::PublicKeyOf(*private_key).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(o_.private_key_file, " is not a PEM P-256 private key"));
  }
  private_key_ = std::move(*private_key);
  if (!o_.next_public_key_file.empty()) {
    absl::StatusOr<std::string> text = ReadFile(o_.next_public_key_file);
    if (!text.ok()) return text.status();
    absl::StatusOr<std::string> key = nrtm4::NormalizePublicKey(*text);
    if (!key.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(o_.next_public_key_file, ": ", key.status().message()));
    }
    next_key_ = *key;
  }
  std::error_code ec;
  std::filesystem::create_directories(o_.feed_dir, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat(o_.feed_dir, ": ", ec.message()));
  // A state written inside the served directory by an older version moves
  // out of it.
  std::string old_state = absl::StrCat(o_.feed_dir, "/", kOldStateName);
  if (std::filesystem::exists(old_state, ec) && !std::filesystem::exists(StatePath(), ec)) {
    std::filesystem::rename(old_state, StatePath(), ec);
    if (ec) return absl::PermissionDeniedError(absl::StrCat(StatePath(), ": ", ec.message()));
    RTR42_LOG_INFO("nrtm4-publish: the state moved out of the feed directory to %s", StatePath());
  }
  return absl::OkStatus();
}

absl::Status Publisher::OpenRegistry() {
  sources::GitSourceOptions go;
  go.location = o_.registry;
  go.ref = o_.ref;
  absl::StatusOr<std::unique_ptr<sources::GitSource>> git = sources::GitSource::Open(go);
  if (!git.ok()) return git.status();
  git_ = std::move(*git);
  absl::StatusOr<std::string> commit = git_->ResolveCommit(o_.ref);
  if (!commit.ok()) return commit.status();
  commit_ = *commit;
  return absl::OkStatus();
}

absl::StatusOr<PublishResult> Publisher::Run() {
  if (absl::Status s = LoadOrStartSession(); !s.ok()) return s;
  if (result_.new_session) {
    state_.version = 1;
    state_.commit = commit_;
    if (absl::Status s = WriteSnapshot(commit_); !s.ok()) return s;
  } else if (commit_ != state_.commit) {
    if (absl::Status s = WriteDelta(); !s.ok()) return s;
  }
  if (!result_.new_session && state_.changed_since_snapshot &&
      (o_.force_snapshot || now_ - state_.snapshot.created >= o_.snapshot_interval)) {
    if (absl::Status s = WriteSnapshot(state_.commit); !s.ok()) return s;
  }
  Expire();
  if (absl::Status s = SignAndSave(); !s.ok()) return s;
  result_.session_id = state_.session_id;
  result_.version = state_.version;
  return result_;
}

absl::Status Publisher::LoadOrStartSession() {
  absl::StatusOr<std::optional<PublisherState>> loaded = LoadState(StatePath());
  if (!loaded.ok()) return loaded.status();
  if (loaded->has_value() && !o_.new_session && (*loaded)->source == o_.source) {
    state_ = std::move(**loaded);
  } else {
    if (loaded->has_value()) {
      // The old session's files stop being named now.
      state_.retired = (*loaded)->retired;
      state_.retired.emplace_back((*loaded)->snapshot.ref.url, now_);
      for (const Published& d : (*loaded)->deltas) state_.retired.emplace_back(d.ref.url, now_);
    }
    state_.source = o_.source;
    state_.session_id = nrtm4::NewUuidV4();
    result_.new_session = true;
  }
  notification_.source = state_.source;
  notification_.session_id = state_.session_id;
  return absl::OkStatus();
}

std::vector<Publisher::Object> Publisher::ObjectsOf(const std::string& path,
                                                    const std::string& text) {
  std::vector<Object> out;
  for (std::string& object : SplitOrigins(text)) {
    absl::StatusOr<ObjectKey> key = nrtm4::KeyOf(object);
    if (!key.ok()) {
      ++result_.skipped;
      RTR42_LOG_WARNING("nrtm4-publish: %s: not published: %s", path, key.status().message());
      return {};
    }
    std::string source = nrtm4::SourceOf(object);
    if (!source.empty() && !absl::EqualsIgnoreCase(source, state_.source)) {
      ++result_.rewritten;
      object = RewriteSource(object, source, state_.source);
    }
    out.push_back({*key, std::move(object)});
  }
  if (out.size() > 1) ++result_.split;
  return out;
}

absl::Status Publisher::WriteSnapshot(const std::string& at) {
  absl::StatusOr<sources::RegistryDelta> all = git_->DeltaBetween("", at, /*every_class=*/true);
  if (!all.ok()) return all.status();
  std::vector<json> records;
  std::map<std::string, std::vector<ObjectKey>> keys;
  for (sources::FileChange& c : all->changes) {
    if (!c.content || c.path == roa::kFilterPath || c.path == roa::kFilter6Path) continue;
    for (Object& o : ObjectsOf(c.path, *c.content)) {
      keys[c.path].push_back(o.key);
      records.push_back(json{{"object", std::move(o.text)}});
    }
  }
  FileMaker maker(o_.feed_dir, notification_);
  absl::StatusOr<FileRef> ref = maker.Write("snapshot", state_.version, records);
  if (!ref.ok()) return ref.status();
  if (!state_.snapshot.ref.url.empty() && state_.snapshot.ref.url != ref->url) {
    state_.retired.emplace_back(state_.snapshot.ref.url, now_);
  }
  state_.snapshot = Published{*ref, now_};
  state_.keys = std::move(keys);
  state_.changed_since_snapshot = false;
  result_.wrote_snapshot = true;
  result_.objects = records.size();
  return absl::OkStatus();
}

absl::Status Publisher::WriteDelta() {
  absl::StatusOr<std::vector<std::string>> chain = git_->FirstParentChain(state_.commit, commit_);
  if (!chain.ok()) return chain.status();
  std::vector<json> records;
  std::string prev = state_.commit;
  for (const std::string& c : *chain) {
    absl::StatusOr<sources::RegistryDelta> d = git_->DeltaBetween(prev, c, /*every_class=*/true);
    if (!d.ok()) return d.status();
    for (sources::FileChange& ch : d->changes) AddChange(&ch, &records);
    prev = c;
  }
  state_.commit = commit_;
  if (records.empty()) return absl::OkStatus();
  FileMaker maker(o_.feed_dir, notification_);
  absl::StatusOr<FileRef> ref = maker.Write("delta", state_.version + 1, records);
  if (!ref.ok()) return ref.status();
  ++state_.version;
  state_.deltas.push_back(Published{*ref, now_});
  state_.changed_since_snapshot = true;
  result_.wrote_delta = true;
  result_.changes = records.size();
  return absl::OkStatus();
}

void Publisher::AddChange(sources::FileChange* change, std::vector<json>* records) {
  if (change->path == roa::kFilterPath || change->path == roa::kFilter6Path) return;
  std::vector<Object> now;
  if (change->content) now = ObjectsOf(change->path, *change->content);
  // Keys the file no longer has are deleted (a changed key is a delete of
  // the old key, then an add); every object it has now is added or modified.
  auto old = state_.keys.find(change->path);
  if (old != state_.keys.end()) {
    for (const ObjectKey& k : old->second) {
      bool kept = std::any_of(now.begin(), now.end(), [&](const Object& o) { return o.key == k; });
      if (kept) continue;
      records->push_back(json{
          {"action", "delete"}, {"object_class", k.object_class}, {"primary_key", k.primary_key}});
    }
    state_.keys.erase(old);
  }
  for (Object& o : now) {
    state_.keys[change->path].push_back(o.key);
    records->push_back(json{{"action", "add_modify"}, {"object", std::move(o.text)}});
  }
}

void Publisher::Expire() {
  // Deltas older than a day leave the notification (section 4.3.1).
  while (!state_.deltas.empty() && now_ - state_.deltas.front().created > kDeltaLifetime) {
    state_.retired.emplace_back(state_.deltas.front().ref.url, now_);
    state_.deltas.erase(state_.deltas.begin());
    ++result_.deltas_dropped;
  }
  // Files unnamed for longer than the grace period go.
  for (auto it = state_.retired.begin(); it != state_.retired.end();) {
    if (now_ - it->second >= kGrace) {
      ::unlink(absl::StrCat(o_.feed_dir, "/", it->first).c_str());
      it = state_.retired.erase(it);
    } else {
      ++it;
    }
  }
}

absl::Status Publisher::SignAndSave() {
  notification_.timestamp = now_;
  notification_.version = state_.version;
  notification_.next_signing_key = next_key_;
  notification_.snapshot = state_.snapshot.ref;
  notification_.deltas.clear();
  for (const Published& d : state_.deltas) notification_.deltas.push_back(d.ref);
  absl::StatusOr<std::string> jws =
      nrtm4::JwsSign(nrtm4::FormatNotification(notification_), private_key_);
  if (!jws.ok()) return jws.status();
  // State first: a crash between the two leaves files the state knows about.
  if (absl::Status s = SaveState(StatePath(), state_); !s.ok()) return s;
  return WriteFileAtomically(absl::StrCat(o_.feed_dir, "/", kNotificationName), *jws);
}

std::string Publisher::StatePath() const { return StateFileFor(o_); }

std::string StateFileFor(const PublishOptions& options) {
  if (!options.state_file.empty()) return options.state_file;
  std::string dir = options.feed_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir + kStateSuffix;
}

}  // namespace rtr42::nrtm4
