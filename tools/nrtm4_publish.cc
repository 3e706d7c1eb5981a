// nrtm4-publish: puts a git registry on NRTMv4 (see nrtm4/publisher.h).
//
//   nrtm4-publish keygen --private-key FILE --public-key FILE
//   nrtm4-publish --registry PATH --feed-dir DIR --private-key FILE [...]
#include <sys/stat.h>

#include <iostream>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "base/args.h"
#include "base/file_util.h"
#include "base/log.h"
#include "nrtm4/publisher.h"
#include "nrtm4/signature.h"

namespace rtr42 {
namespace {

int Fail(const absl::Status& status) {
  std::cerr << "nrtm4-publish: " << status.message() << "\n";
  return 2;
}

int Keygen(const Args& args) {
  if (!args.Has("private-key") || !args.Has("public-key")) {
    return Fail(
        absl::InvalidArgumentError("keygen needs --private-key FILE and --public-key FILE"));
  }
  struct stat st;
  if (::stat(args.Get("private-key").c_str(), &st) == 0) {
    return Fail(absl::AlreadyExistsError(
        absl::StrCat(args.Get("private-key"), " exists; not overwriting a private key")));
  }
  absl::StatusOr<nrtm4::KeyPair> keys = nrtm4::GenerateP256KeyPair();
  if (!keys.ok()) return Fail(keys.status());
  mode_t old = ::umask(077);  // the private key is for its owner only
  absl::Status s = WriteFileAtomically(args.Get("private-key"), keys->private_pem);
  ::umask(old);
  if (!s.ok()) return Fail(s);
  if (s = WriteFileAtomically(args.Get("public-key"), keys->public_pem); !s.ok()) return Fail(s);
  std::cout << "nrtm4-publish: wrote a P-256 key pair: private " << args.Get("private-key")
            << ", public " << args.Get("public-key") << "\n";
  return 0;
}

void AddOptions(Args* args) {
  args->AddOption("registry", "PATH", "the registry: a local git repository");
  args->AddOption("ref", "REV", "branch, tag or commit to publish (default HEAD)");
  args->AddOption("feed-dir", "DIR", "the directory an HTTPS server serves (created if missing)");
  args->AddOption("state-file", "FILE",
                  "the publisher's state (default: DIR.nrtm4-publish-state.json, beside the feed "
                  "directory, never inside it)");
  args->AddOption("source", "NAME", "the IRR database name (default DN42)");
  args->AddOption("private-key", "FILE", "PEM P-256 private key that signs the feed");
  args->AddOption("public-key", "FILE", "keygen: where the public key goes");
  args->AddOption("next-public-key", "FILE",
                  "announce this key as next_signing_key (key rotation, section 8.4)");
  args->AddOption("snapshot-interval", "SECONDS",
                  "a new snapshot when objects changed and the last is this old (3600..86400, "
                  "default 3600)");
  args->AddSwitch("snapshot", "write a new snapshot now if objects changed since the last one");
  args->AddSwitch("new-session", "start a new session (clients reinitialise from the snapshot)");
  args->AddOption("now", "RFC3339", "pretend it is this time (tests of file expiry)");
}

absl::StatusOr<nrtm4::PublishOptions> OptionsFrom(const Args& args) {
  if (!args.Has("registry") || !args.Has("feed-dir") || !args.Has("private-key")) {
    return absl::InvalidArgumentError("needs --registry, --feed-dir and --private-key");
  }
  nrtm4::PublishOptions o;
  o.registry = args.Get("registry");
  o.ref = args.Get("ref", "HEAD");
  o.feed_dir = args.Get("feed-dir");
  o.state_file = args.Get("state-file");
  o.source = args.Get("source", "DN42");
  o.private_key_file = args.Get("private-key");
  o.next_public_key_file = args.Get("next-public-key");
  absl::StatusOr<int64_t> interval = args.GetInt("snapshot-interval", 3600, 3600, 86400);
  if (!interval.ok()) return interval.status();
  o.snapshot_interval = absl::Seconds(*interval);
  o.force_snapshot = args.Has("snapshot");
  o.new_session = args.Has("new-session");
  if (args.Has("now")) {
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, args.Get("now"), &o.now, &err)) {
      return absl::InvalidArgumentError("--now: " + err);
    }
  }
  return o;
}

int Main(int argc, char** argv) {
  Args args("nrtm4-publish",
            "Publishes a git registry as an NRTMv4 feed (snapshot, deltas, signed Update "
            "Notification File). 'nrtm4-publish keygen' makes a signing key pair.");
  AddOptions(&args);
  if (std::optional<int> exit = args.ParseCommandLine(argc, argv, /*positional_allowed=*/true))
    return *exit;
  if (!args.positional().empty() && args.positional()[0] == "keygen") return Keygen(args);
  if (!args.positional().empty()) {
    return Fail(absl::InvalidArgumentError("unknown command " + args.positional()[0]));
  }
  absl::StatusOr<nrtm4::PublishOptions> o = OptionsFrom(args);
  if (!o.ok()) return Fail(o.status());
  SetLogLevel(LogLevel::kWarning);
  absl::StatusOr<nrtm4::PublishResult> r = nrtm4::PublishNrtm4(*o);
  if (!r.ok()) return Fail(r.status());
  std::cout << absl::StrFormat(
      "nrtm4-publish: %s session %s version %d%s%s%s%s%s%s\n", o->source, r->session_id, r->version,
      r->new_session ? ", new session" : "",
      r->wrote_delta ? absl::StrFormat(", delta with %d changes", r->changes) : "",
      r->wrote_snapshot ? absl::StrFormat(", snapshot of %d objects", r->objects) : "",
      r->deltas_dropped ? absl::StrFormat(", %d old deltas dropped", r->deltas_dropped) : "",
      r->rewritten ? absl::StrFormat(" (%d objects of other sources relabelled)", r->rewritten)
                   : "",
      r->split ? absl::StrFormat(" (%d multi-origin route objects split)", r->split) : "");
  return 0;
}

}  // namespace
}  // namespace rtr42

int main(int argc, char** argv) { return rtr42::Main(argc, argv); }
