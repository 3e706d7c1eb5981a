#include "tools/source_options.h"

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
    absl::StatusOr<std::unique_ptr<nrtm4::MirrorSource>> nrtm =
        nrtm4::MirrorSource::Open(std::move(o));
    if (!nrtm.ok()) return nrtm.status();
    source = std::move(*nrtm);
  } else {
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
