#include "nrtm4/publisher.h"

#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

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

constexpr char kStateName[] = ".nrtm4-publish-state.json";
constexpr char kNotificationName[] = "update-notification-file.jose";
constexpr absl::Duration kDeltaLifetime = absl::Hours(24);
constexpr absl::Duration kGrace = absl::Minutes(10);  // files outlive their last mention

struct Published {
  FileRef ref;
  absl::Time created;
};

struct PublisherState {
  std::string source;
  std::string session_id;
  uint64_t version = 0;
  std::string commit;
  Published snapshot;
  std::vector<Published> deltas;
  bool changed_since_snapshot = false;
  std::map<std::string, ObjectKey> keys;                    // path -> key published
  std::vector<std::pair<std::string, absl::Time>> retired;  // path, when unnamed
};

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
    for (const auto& [object_path, k] : j.at("keys").items()) s.keys[object_path] = ObjectKey{k.at(0), k.at(1)};
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
  for (const auto& [p, k] : s.keys) j["keys"][p] = json::array({k.object_class, k.primary_key});
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
// holds ICVPN, NeoNetwork, CRXN and RIR objects beside its own): section 6.3
// wants every object's source to be the feed's, so the source: line is
// rewritten and a remarks: line says what it was (section 3.3.4 asks for a
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

absl::StatusOr<PublishResult> PublishNrtm4(const PublishOptions& o) {
  const absl::Time now = o.now == absl::InfinitePast() ? absl::Now() : o.now;
  if (!nrtm4::IsRpslName(o.source)) {
    return absl::InvalidArgumentError(absl::StrCat("--source '", o.source, "' is not an IRR name"));
  }
  if (o.snapshot_interval < absl::Hours(1) || o.snapshot_interval > absl::Hours(24)) {
    return absl::InvalidArgumentError("the snapshot interval must be between one hour and one day");
  }
  absl::StatusOr<std::string> private_key = ReadFile(o.private_key_file);
  if (!private_key.ok()) return private_key.status();
  if (!nrtm4::PublicKeyOf(*private_key).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(o.private_key_file, " is not a PEM P-256 private key"));
  }
  std::optional<std::string> next_key;
  if (!o.next_public_key_file.empty()) {
    absl::StatusOr<std::string> text = ReadFile(o.next_public_key_file);
    if (!text.ok()) return text.status();
    absl::StatusOr<std::string> key = nrtm4::NormalizePublicKey(*text);
    if (!key.ok())
      return absl::InvalidArgumentError(
          absl::StrCat(o.next_public_key_file, ": ", key.status().message()));
    next_key = *key;
  }
  if (::mkdir(o.feed_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::PermissionDeniedError(absl::StrCat(o.feed_dir, ": cannot create"));
  }
  sources::GitSourceOptions go;
  go.location = o.registry;
  go.ref = o.ref;
  absl::StatusOr<std::unique_ptr<sources::GitSource>> git = sources::GitSource::Open(go);
  if (!git.ok()) return git.status();
  absl::StatusOr<std::string> commit = (*git)->ResolveCommit(o.ref);
  if (!commit.ok()) return commit.status();

  const std::string state_path = absl::StrCat(o.feed_dir, "/", kStateName);
  absl::StatusOr<std::optional<PublisherState>> loaded = LoadState(state_path);
  if (!loaded.ok()) return loaded.status();
  PublishResult result;
  PublisherState s;
  if (loaded->has_value() && !o.new_session && (*loaded)->source == o.source) {
    s = std::move(**loaded);
  } else {
    if (loaded->has_value()) {
      // The old session's files stop being named now.
      s.retired = (*loaded)->retired;
      s.retired.emplace_back((*loaded)->snapshot.ref.url, now);
      for (const Published& d : (*loaded)->deltas) s.retired.emplace_back(d.ref.url, now);
    }
    s.source = o.source;
    s.session_id = nrtm4::NewUuidV4();
    result.new_session = true;
  }
  nrtm4::Notification n;
  n.source = s.source;
  n.session_id = s.session_id;
  FileMaker maker(o.feed_dir, n);

  // An object's key, or nullopt (logged) when it has none; `text` is
  // rewritten when the object is of another source.
  auto keyed = [&](const std::string& path, std::string* text) -> std::optional<ObjectKey> {
    absl::StatusOr<ObjectKey> key = nrtm4::KeyOf(*text);
    if (!key.ok()) {
      ++result.skipped;
      RTR42_LOG_WARNING("nrtm4-publish: %s: not published: %s", path, key.status().message());
      return std::nullopt;
    }
    std::string source = nrtm4::SourceOf(*text);
    if (!source.empty() && !absl::EqualsIgnoreCase(source, s.source)) {
      ++result.rewritten;
      *text = RewriteSource(*text, source, s.source);
    }
    return *key;
  };

  auto write_snapshot = [&](const std::string& at) -> absl::Status {
    absl::StatusOr<sources::RegistryDelta> all = (*git)->DeltaBetween("", at, /*every_class=*/true);
    if (!all.ok()) return all.status();
    std::vector<json> records;
    std::map<std::string, ObjectKey> keys;
    for (sources::FileChange& c : all->changes) {
      if (!c.content || c.path == roa::kFilterPath || c.path == roa::kFilter6Path) continue;
      std::optional<ObjectKey> key = keyed(c.path, &*c.content);
      if (!key) continue;
      keys[c.path] = *key;
      records.push_back(json{{"object", std::move(*c.content)}});
    }
    absl::StatusOr<FileRef> ref = maker.Write("snapshot", s.version, records);
    if (!ref.ok()) return ref.status();
    if (!s.snapshot.ref.url.empty() && s.snapshot.ref.url != ref->url)
      s.retired.emplace_back(s.snapshot.ref.url, now);
    s.snapshot = Published{*ref, now};
    s.keys = std::move(keys);
    s.changed_since_snapshot = false;
    result.wrote_snapshot = true;
    result.objects = records.size();
    return absl::OkStatus();
  };

  if (result.new_session) {
    s.version = 1;
    s.commit = *commit;
    if (absl::Status st = write_snapshot(*commit); !st.ok()) return st;
  } else if (*commit != s.commit) {
    absl::StatusOr<std::vector<std::string>> chain = (*git)->FirstParentChain(s.commit, *commit);
    if (!chain.ok()) return chain.status();
    std::vector<json> records;
    std::string prev = s.commit;
    for (const std::string& c : *chain) {
      absl::StatusOr<sources::RegistryDelta> d =
          (*git)->DeltaBetween(prev, c, /*every_class=*/true);
      if (!d.ok()) return d.status();
      for (sources::FileChange& ch : d->changes) {
        if (ch.path == roa::kFilterPath || ch.path == roa::kFilter6Path) continue;
        auto old = s.keys.find(ch.path);
        std::optional<ObjectKey> now_key = ch.content ? keyed(ch.path, &*ch.content) : std::nullopt;
        if (old != s.keys.end() && (!now_key || !(*now_key == old->second))) {
          records.push_back(json{{"action", "delete"},
                                 {"object_class", old->second.object_class},
                                 {"primary_key", old->second.primary_key}});
          s.keys.erase(old);
        }
        if (now_key) {
          records.push_back(json{{"action", "add_modify"}, {"object", *ch.content}});
          s.keys[ch.path] = *now_key;
        }
      }
      prev = c;
    }
    s.commit = *commit;
    if (!records.empty()) {
      absl::StatusOr<FileRef> ref = maker.Write("delta", s.version + 1, records);
      if (!ref.ok()) return ref.status();
      ++s.version;
      s.deltas.push_back(Published{*ref, now});
      s.changed_since_snapshot = true;
      result.wrote_delta = true;
      result.changes = records.size();
    }
  }
  if (!result.new_session && s.changed_since_snapshot &&
      (o.force_snapshot || now - s.snapshot.created >= o.snapshot_interval)) {
    if (absl::Status st = write_snapshot(s.commit); !st.ok()) return st;
  }
  // Deltas older than a day leave the notification (section 3.3.1).
  while (!s.deltas.empty() && now - s.deltas.front().created > kDeltaLifetime) {
    s.retired.emplace_back(s.deltas.front().ref.url, now);
    s.deltas.erase(s.deltas.begin());
    ++result.deltas_dropped;
  }
  // Files unnamed for longer than the grace period go.
  for (auto it = s.retired.begin(); it != s.retired.end();) {
    if (now - it->second >= kGrace) {
      ::unlink(absl::StrCat(o.feed_dir, "/", it->first).c_str());
      it = s.retired.erase(it);
    } else {
      ++it;
    }
  }

  n.timestamp = now;
  n.version = s.version;
  n.next_signing_key = next_key;
  n.snapshot = s.snapshot.ref;
  for (const Published& d : s.deltas) n.deltas.push_back(d.ref);
  absl::StatusOr<std::string> jws = nrtm4::JwsSign(nrtm4::FormatNotification(n), *private_key);
  if (!jws.ok()) return jws.status();
  // State first: a crash between the two leaves files the state knows about.
  if (absl::Status st = SaveState(state_path, s); !st.ok()) return st;
  if (absl::Status st = WriteFileAtomically(absl::StrCat(o.feed_dir, "/", kNotificationName), *jws);
      !st.ok())
    return st;
  result.session_id = s.session_id;
  result.version = s.version;
  return result;
}

}  // namespace rtr42::nrtm4
