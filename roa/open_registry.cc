#include "roa/open_registry.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "roa/git_source.h"
#include "roa/nrtm4_source.h"

namespace rtr42::roa {
namespace {

// A remote repository that could not be cloned yet: every Poll() tries
// again, so a daemon started while the remote is down (serving its saved
// state) picks the registry up once it is back.
class RetryingGitSource : public RegistrySource {
 public:
  explicit RetryingGitSource(GitSourceOptions options) : options_(std::move(options)) {}

  absl::StatusOr<std::optional<RegistryDelta>> Poll() override {
    if (!git_) {
      absl::StatusOr<std::unique_ptr<GitSource>> git = GitSource::Open(options_);
      if (!git.ok()) return git.status();
      git_ = std::move(*git);
    }
    return git_->Poll();
  }
  void Confirm() override {
    if (git_) git_->Confirm();
  }
  std::string Describe() const override {
    return absl::StrCat("git ", options_.location, "@", options_.ref);
  }
  bool is_remote() const override { return true; }

 private:
  GitSourceOptions options_;
  std::unique_ptr<GitSource> git_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RegistrySource>> OpenRegistrySource(const std::string& location,
                                                                   const std::string& ref,
                                                                   const std::string& cache_dir) {
  if (location.empty()) {
    if (!ref.empty() && ref != "HEAD") {
      return absl::InvalidArgumentError("a ref needs a registry (the embedded sample has none)");
    }
    return MakeSampleRegistrySource();
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  bool url = GitSource::IsUrl(location);
  bool is_git = url || fs::exists(fs::path(location) / ".git", ec) ||
                (fs::exists(fs::path(location) / "HEAD", ec) &&
                 fs::is_directory(fs::path(location) / "objects", ec));
  if (is_git) {
    GitSourceOptions options;
    options.location = location;
    options.ref = ref.empty() ? "HEAD" : ref;
    options.cache_dir = cache_dir;
    absl::StatusOr<std::unique_ptr<GitSource>> git = GitSource::Open(options);
    if (!git.ok()) {
      // A remote may be down for a while; a local path that fails is a mistake.
      if (url) return std::unique_ptr<RegistrySource>(new RetryingGitSource(options));
      return git.status();
    }
    return std::unique_ptr<RegistrySource>(std::move(*git));
  }
  if (!fs::is_directory(location, ec)) {
    return absl::NotFoundError(absl::StrCat(location, ": no such directory or repository"));
  }
  if (!ref.empty() && ref != "HEAD") {
    return absl::InvalidArgumentError(
        absl::StrCat(location, " is a plain directory, so --ref cannot apply"));
  }
  return MakeDirectorySource(location);
}

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
    Nrtm4Options o;
    o.url = args.Get("nrtm4-url");
    o.source = args.Get("nrtm4-source");
    o.key_file = args.Get("nrtm4-key");
    o.ca_file = args.Get("nrtm4-ca");
    o.state_dir = args.Get("nrtm4-state-dir");
    absl::StatusOr<std::unique_ptr<Nrtm4Source>> nrtm = Nrtm4Source::Open(std::move(o));
    if (!nrtm.ok()) return nrtm.status();
    source = std::move(*nrtm);
  } else {
    absl::StatusOr<std::unique_ptr<RegistrySource>> registry =
        OpenRegistrySource(args.Get("registry"), args.Get(ref_option), args.Get("cache-dir"));
    if (!registry.ok()) return registry.status();
    source = std::move(*registry);
  }
  if (args.Has("filter") || args.Has("filter6")) {
    source = WithPolicyFiles(std::move(source), args.Get("filter"), args.Get("filter6"));
  }
  return source;
}

}  // namespace rtr42::roa
