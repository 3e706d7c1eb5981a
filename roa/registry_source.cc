#include "roa/registry_source.h"

#include <sys/stat.h>

#include <filesystem>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "base/embedded.h"
#include "base/file_util.h"

namespace rtr42 {
extern const EmbeddedFile kSampleRegistry[];
extern const size_t kSampleRegistry_count;
}  // namespace rtr42

namespace rtr42::roa {
namespace {

class SampleSource : public RegistrySource {
 public:
  absl::StatusOr<std::optional<RegistryDelta>> Poll() override {
    if (confirmed_) return std::nullopt;
    RegistryDelta delta;
    delta.full = true;
    delta.revision = "embedded-sample";
    for (size_t i = 0; i < kSampleRegistry_count; ++i) {
      delta.changes.push_back(
          {std::string(kSampleRegistry[i].path), std::string(kSampleRegistry[i].data)});
    }
    return delta;
  }
  void Confirm() override { confirmed_ = true; }
  std::string Describe() const override { return "embedded sample registry"; }

 private:
  bool confirmed_ = false;
};

struct FileStamp {
  int64_t mtime_ns = 0;
  int64_t size = 0;
  uint64_t inode = 0;
  friend bool operator==(const FileStamp&, const FileStamp&) = default;
};

class DirectorySource : public RegistrySource {
 public:
  explicit DirectorySource(std::string root) : root_(std::move(root)) {}

  absl::StatusOr<std::optional<RegistryDelta>> Poll() override {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(fs::path(root_) / "data", ec)) {
      return absl::NotFoundError(absl::StrCat(root_, "/data: not a directory"));
    }
    absl::flat_hash_map<std::string, FileStamp> now;
    auto stamp = [&](const std::string& rel) {
      struct stat st;
      std::string full = absl::StrCat(root_, "/", rel);
      if (::stat(full.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
      now[rel] = FileStamp{int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
                           int64_t(st.st_size), uint64_t(st.st_ino)};
    };
    stamp(kFilterPath);
    stamp(kFilter6Path);
    for (const char* dir : {kRouteDir, kRoute6Dir}) {
      fs::path path = fs::path(root_) / dir;
      if (!fs::is_directory(path, ec)) continue;
      for (const auto& entry : fs::directory_iterator(path, ec)) {
        std::string name = entry.path().filename().string();
        if (!name.empty() && name[0] != '.') stamp(absl::StrCat(dir, name));
      }
      if (ec) return absl::UnavailableError(absl::StrCat(path.string(), ": ", ec.message()));
    }

    RegistryDelta delta;
    delta.full = !confirmed_once_;
    for (const auto& [rel, st] : now) {
      auto it = confirmed_.find(rel);
      if (confirmed_once_ && it != confirmed_.end() && it->second == st) continue;
      absl::StatusOr<std::string> text = ReadFile(absl::StrCat(root_, "/", rel));
      if (!text.ok()) return text.status();
      delta.changes.push_back({rel, std::move(*text)});
    }
    if (confirmed_once_) {
      for (const auto& [rel, st] : confirmed_) {
        if (!now.contains(rel)) delta.changes.push_back({rel, std::nullopt});
      }
      if (delta.changes.empty()) return std::nullopt;
    }
    delta.revision = absl::StrCat("directory ", root_);
    pending_ = std::move(now);
    return delta;
  }

  void Confirm() override {
    confirmed_ = std::move(pending_);
    confirmed_once_ = true;
  }
  std::string Describe() const override { return absl::StrCat("directory ", root_); }

 private:
  std::string root_;
  bool confirmed_once_ = false;
  absl::flat_hash_map<std::string, FileStamp> confirmed_, pending_;
};

}  // namespace

std::unique_ptr<RegistrySource> MakeSampleRegistrySource() {
  return std::make_unique<SampleSource>();
}

std::unique_ptr<RegistrySource> MakeDirectorySource(std::string root) {
  return std::make_unique<DirectorySource>(std::move(root));
}

namespace {

class PolicyFilesSource : public RegistrySource {
 public:
  PolicyFilesSource(std::unique_ptr<RegistrySource> inner, std::string filter4, std::string filter6)
      : inner_(std::move(inner)) {
    files_[0].source = std::move(filter4);
    files_[0].path = kFilterPath;
    files_[1].source = std::move(filter6);
    files_[1].path = kFilter6Path;
  }

  absl::StatusOr<std::optional<RegistryDelta>> Poll() override {
    absl::StatusOr<std::optional<RegistryDelta>> inner = inner_->Poll();
    if (!inner.ok()) return inner.status();
    inner_pending_ = inner->has_value();
    bool full = inner_pending_ && (*inner)->full;
    RegistryDelta delta;
    if (inner_pending_) {
      delta = std::move(**inner);
      pending_revision_ = delta.revision;
      // Ours replace the source's policy files.
      std::erase_if(delta.changes, [&](const FileChange& c) { return Ours(c.path); });
    } else {
      delta.revision = revision_;
    }
    bool changed = inner_pending_;
    for (File& f : files_) {
      if (f.source.empty()) continue;
      struct stat st;
      if (::stat(f.source.c_str(), &st) != 0) {
        return absl::NotFoundError(absl::StrCat(f.source, ": cannot read the policy file"));
      }
      f.pending = {int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
                   int64_t(st.st_size), uint64_t(st.st_ino)};
      if (f.pending == f.confirmed && !full) continue;
      absl::StatusOr<std::string> text = ReadFile(f.source);
      if (!text.ok()) return text.status();
      delta.changes.push_back({f.path, std::move(*text)});
      changed = true;
    }
    if (!changed) return std::nullopt;
    return std::optional<RegistryDelta>(std::move(delta));
  }
  void Confirm() override {
    if (inner_pending_) {
      inner_->Confirm();
      inner_pending_ = false;
      revision_ = pending_revision_;
    }
    for (File& f : files_) f.confirmed = f.pending;
  }
  std::string Describe() const override {
    std::string d = inner_->Describe();
    for (const File& f : files_) {
      if (!f.source.empty()) absl::StrAppend(&d, " with ", f.source);
    }
    return d;
  }
  bool is_remote() const override { return inner_->is_remote(); }

 private:
  struct Stamp {
    int64_t mtime = -1, size = -1;
    uint64_t inode = 0;
    friend bool operator==(const Stamp&, const Stamp&) = default;
  };
  struct File {
    std::string source;
    const char* path;
    Stamp confirmed, pending;
  };
  bool Ours(const std::string& path) const {
    for (const File& f : files_) {
      if (!f.source.empty() && path == f.path) return true;
    }
    return false;
  }

  std::unique_ptr<RegistrySource> inner_;
  File files_[2];
  bool inner_pending_ = false;
  std::string revision_, pending_revision_;
};

}  // namespace

std::unique_ptr<RegistrySource> WithPolicyFiles(std::unique_ptr<RegistrySource> inner,
                                                std::string filter4, std::string filter6) {
  return std::make_unique<PolicyFilesSource>(std::move(inner), std::move(filter4),
                                             std::move(filter6));
}

}  // namespace rtr42::roa
