#include "tools/source_options.h"

#include "absl/strings/str_cat.h"
#include "base/file_util.h"
#include "http/client.h"
#include "nrtm4/mirror_source.h"
#include "sources/json_vrp_source.h"
#include "sources/open_registry.h"
#include "sources/policy_files_source.h"
#include "sources/registry_vrp_source.h"
#include "sources/rtr_upstream_source.h"

namespace rtr42::tools {

using sources::RegistrySource;

void AddSourceOptions(Args* args, const std::string& ref_option) {
  args->AddOption("registry", "PATH|URL",
                  "dn42 registry: git repository, URL, or directory with data/ (default: the "
                  "embedded sample)");
  args->AddOption(ref_option, "REV", "git branch, tag or commit to follow (default HEAD)");
  args->AddOption("cache-dir", "DIR", "where a registry URL is cloned (default ~/.cache/rtr42)");
  args->AddOption("nrtm4-url", "URL",
                  "NRTMv4 Update Notification File (https://..., or a local path)");
  args->AddOption("nrtm4-source", "NAME", "the IRR database name of the NRTMv4 feed (e.g. DN42)");
  args->AddOption("nrtm4-key", "FILE", "PEM public key that signs the NRTMv4 feed");
  args->AddOption("nrtm4-ca", "FILE", "trust this CA for the NRTMv4 feed (default: the system's)");
  args->AddOption("nrtm4-state-dir", "DIR",
                  "where the NRTMv4 mirror keeps its state (default ~/.cache/rtr42/nrtm4-NAME)");
  const http::ClientOptions https;  // the defaults
  args->AddOption("nrtm4-max-file-size", "BYTES",
                  absl::StrCat("refuse an NRTMv4 snapshot or delta larger than this (default ",
                               https.max_body_bytes, ")"));
  args->AddOption("nrtm4-connect-timeout", "SECONDS",
                  absl::StrCat("give up connecting (DNS, TCP, TLS) after this long (default ",
                               absl::ToInt64Seconds(https.connect_timeout), ")"));
  args->AddOption("nrtm4-read-timeout", "SECONDS",
                  absl::StrCat("give up a download when no byte came for this long (default ",
                               absl::ToInt64Seconds(https.read_timeout), ")"));
  args->AddOption("filter", "FILE", "IPv4 policy in dn42 filter.txt form, replacing the source's");
  args->AddOption("filter6", "FILE",
                  "IPv6 policy in dn42 filter6.txt form, replacing the source's");
}

absl::StatusOr<std::unique_ptr<RegistrySource>> OpenSourceFromArgs(const Args& args,
                                                                   const std::string& ref_option) {
  std::unique_ptr<RegistrySource> source;
  if (args.Has("nrtm4-url")) {
    if (args.Has("registry")) {
      return absl::InvalidArgumentError("--nrtm4-url and --registry exclude each other");
    }
    if (!args.Has("nrtm4-source") || !args.Has("nrtm4-key")) {
      return absl::InvalidArgumentError("--nrtm4-url needs --nrtm4-source and --nrtm4-key");
    }
    nrtm4::MirrorOptions o;
    o.url = args.Get("nrtm4-url");
    o.source = args.Get("nrtm4-source");
    o.key_file = args.Get("nrtm4-key");
    o.ca_file = args.Get("nrtm4-ca");
    o.state_dir = args.Get("nrtm4-state-dir");
    http::ClientOptions& https = o.fetch.https;
    absl::StatusOr<int64_t> max_size = args.GetInt(
        "nrtm4-max-file-size", static_cast<int64_t>(https.max_body_bytes), 1, int64_t{1} << 50);
    absl::StatusOr<int64_t> connect =
        args.GetInt("nrtm4-connect-timeout", absl::ToInt64Seconds(https.connect_timeout), 1, 3600);
    absl::StatusOr<int64_t> read =
        args.GetInt("nrtm4-read-timeout", absl::ToInt64Seconds(https.read_timeout), 1, 3600);
    for (const auto* v : {&max_size, &connect, &read}) {
      if (!v->ok()) return v->status();
    }
    https.max_body_bytes = static_cast<uint64_t>(*max_size);
    https.connect_timeout = absl::Seconds(*connect);
    https.read_timeout = absl::Seconds(*read);
    absl::StatusOr<std::unique_ptr<nrtm4::MirrorSource>> nrtm =
        nrtm4::MirrorSource::Open(std::move(o));
    if (!nrtm.ok()) return nrtm.status();
    source = std::move(*nrtm);
  } else {
    if (args.Has("registry") && args.Get("registry").empty()) {
      return absl::InvalidArgumentError(
          "--registry is empty: give a path or URL (leave it out for the embedded sample)");
    }
    absl::StatusOr<std::unique_ptr<RegistrySource>> registry = sources::OpenRegistrySource(
        args.Get("registry"), args.Get(ref_option), args.Get("cache-dir"));
    if (!registry.ok()) return registry.status();
    source = std::move(*registry);
  }
  if (args.Has("filter") || args.Has("filter6")) {
    source = std::make_unique<sources::PolicyFilesSource>(std::move(source), args.Get("filter"),
                                                          args.Get("filter6"));
  }
  return source;
}

namespace {
constexpr int64_t kDefaultJsonMaxAge = 86400;

// --rtr-upstream and its --rtr-upstream-* options as client options.
absl::StatusOr<rtr::RtrClient::Options> UpstreamOptions(const Args& args) {
  rtr::RtrClient::Options o;
  if (absl::Status s = rtr::SplitHostPort(args.Get("rtr-upstream"), &o.host, &o.port); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--rtr-upstream: ", s.message()));
  }
  absl::StatusOr<int64_t> version =
      args.GetInt("rtr-upstream-version", rtr::kMaxVersion, 0, rtr::kMaxVersion);
  if (!version.ok()) return version.status();
  o.version = static_cast<uint8_t>(*version);
  o.timeout = absl::Seconds(30);
  // What rtr42d serves is sorted again; another cache's order (StayRTR's is
  // not section 11.2's) is no reason to drop the session.
  o.check_order = false;
  o.tls = args.Has("rtr-upstream-tls") || args.Has("rtr-upstream-ca");
  o.tls_ca = args.Get("rtr-upstream-ca");
  o.tls_cert = args.Get("rtr-upstream-cert");
  o.tls_key = args.Get("rtr-upstream-key", o.tls_cert);
  if (args.Has("rtr-upstream-md5-key-file")) {
    absl::StatusOr<std::string> key = ReadFile(args.Get("rtr-upstream-md5-key-file"));
    if (!key.ok()) return key.status();
    while (!key->empty() && (key->back() == '\n' || key->back() == '\r')) key->pop_back();
    o.md5_key = *key;
  }
  return o;
}
}  // namespace

void AddVrpSourceOptions(Args* args) {
  args->AddOption("json", "FILE|URL",
                  "serve a StayRTR/rpki-client VRP JSON file (re-read on change) or https:// URL "
                  "(fetched every --poll-interval, conditionally)");
  args->AddOption("json-ca", "FILE", "trust this CA for a --json URL (default: the system's)");
  args->AddOption("json-max-age", "SECONDS",
                  absl::StrCat("warn (and count) when the JSON's metadata.generated is older "
                               "than this; it is served all the same (default ",
                               kDefaultJsonMaxAge, ")"));
  args->AddOption("rtr-upstream", "HOST:PORT",
                  "follow another RTR cache (rtr42d, StayRTR, Routinator, RTRTR) as a router does");
  args->AddSwitch("rtr-upstream-tls", "RTR over TLS to the upstream (RFC 8210 9.2)");
  args->AddOption("rtr-upstream-ca", "FILE",
                  "trust this CA for the upstream's certificate (implies --rtr-upstream-tls)");
  args->AddOption("rtr-upstream-cert", "FILE",
                  "present this client certificate (PEM, with the key unless "
                  "--rtr-upstream-key)");
  args->AddOption("rtr-upstream-key", "FILE", "the client certificate's private key (PEM)");
  args->AddOption("rtr-upstream-md5-key-file", "FILE", "TCP-MD5 (RFC 2385) key for the upstream");
  args->AddOption("rtr-upstream-version", "0|1|2",
                  "the highest RTR version asked of the upstream (default 2; lower on its "
                  "Unsupported Protocol Version)");
}

bool IsSourceOption(const std::string& name) {
  for (const char* option : kSourceOptions) {
    if (name == option) return true;
  }
  return false;
}

bool HasAnySource(const Args& args) {
  for (const char* name : kSourceOptions) {
    if (args.Has(name)) return true;
  }
  return false;
}

absl::StatusOr<OpenedSource> OpenVrpSourceFromArgs(const Args& args) {
  int named = 0;
  for (const char* name : kSourceOptions) named += args.Has(name) ? 1 : 0;
  if (named > 1) {
    return absl::InvalidArgumentError(
        "--registry, --nrtm4-url, --json and --rtr-upstream exclude each other (several "
        "sources: one [source.NAME] table each in --config)");
  }
  if (args.Has("json")) {
    sources::JsonSourceOptions o;
    o.location = args.Get("json");
    if (o.location.empty()) return absl::InvalidArgumentError("--json is empty");
    if (sources::IsUrl(o.location)) {
      absl::StatusOr<http::HttpsUrl> url = http::ParseHttpsUrl(o.location);
      if (!url.ok())
        return absl::InvalidArgumentError(absl::StrCat("--json: ", url.status().message()));
    }
    o.https.ca_file = args.Get("json-ca");
    absl::StatusOr<int64_t> age = args.GetInt("json-max-age", kDefaultJsonMaxAge, 1, 86400 * 365);
    if (!age.ok()) return age.status();
    o.max_age = absl::Seconds(*age);
    return OpenedSource{std::make_unique<sources::JsonVrpSource>(std::move(o)), "json"};
  }
  if (args.Has("rtr-upstream")) {
    absl::StatusOr<rtr::RtrClient::Options> o = UpstreamOptions(args);
    if (!o.ok()) return o.status();
    return OpenedSource{std::make_unique<sources::RtrUpstreamSource>(std::move(*o)), "rtr"};
  }
  absl::StatusOr<std::unique_ptr<RegistrySource>> registry =
      OpenSourceFromArgs(args, "registry-ref");
  if (!registry.ok()) return registry.status();
  return OpenedSource{std::make_unique<sources::RegistryVrpSource>(std::move(*registry)),
                      args.Has("nrtm4-url") ? "nrtm4" : "registry"};
}

}  // namespace rtr42::tools
