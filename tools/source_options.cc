#include "tools/source_options.h"

#include "absl/strings/str_cat.h"
#include "http/client.h"
#include "nrtm4/mirror_source.h"
#include "sources/open_registry.h"
#include "sources/policy_files_source.h"

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

}  // namespace rtr42::tools
