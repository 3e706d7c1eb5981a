#include "sources/directory_source.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "base/file_util.h"
#include "base/log.h"

namespace rtr42::sources {

absl::StatusOr<DirectorySource::Scan> DirectorySource::StampAll() const {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(fs::path(root_) / "data", ec)) {
    return absl::NotFoundError(absl::StrCat(root_, "/data: not a directory"));
  }
  Scan scan;
  auto stamp = [&](const std::string& rel) {
    if (std::optional<FileStamp> s = StampOf(absl::StrCat(root_, "/", rel))) scan.stamps[rel] = *s;
  };
  stamp(roa::kFilterPath);
  stamp(roa::kFilter6Path);
  for (const char* dir : {roa::kRouteDir, roa::kRoute6Dir}) {
    fs::path path = fs::path(root_) / dir;
    if (!fs::is_directory(path, ec)) continue;
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      std::string name = entry.path().filename().string();
      if (name.empty() || name[0] == '.') continue;
      // As git does: a symbolic link is not followed (it may point out of
      // the tree, or at something huge), nor is anything but a plain file.
      std::error_code type_ec;
      if (entry.is_symlink(type_ec) || !entry.is_regular_file(type_ec)) {
        ++scan.skipped;
        continue;
      }
      stamp(absl::StrCat(dir, name));
    }
    if (ec) return absl::UnavailableError(absl::StrCat(path.string(), ": ", ec.message()));
  }
  return scan;
}

absl::StatusOr<std::optional<RegistryDelta>> DirectorySource::Poll() {
  absl::StatusOr<Scan> scan = StampAll();
  if (!scan.ok()) return scan.status();
  if (scan->skipped != skipped_logged_) {
    skipped_logged_ = scan->skipped;
    RTR42_LOG_WARNING(
        "%s: %d entries in data/route and data/route6 skipped: symbolic links or "
        "not plain files (not followed, as git does not)",
        root_, scan->skipped);
  }
  Stamps* now = &scan->stamps;
  RegistryDelta delta;
  delta.full = !confirmed_once_;
  for (const auto& [rel, stamp] : *now) {
    auto it = confirmed_.find(rel);
    if (confirmed_once_ && it != confirmed_.end() && it->second == stamp) continue;
    ReadLimits limits;
    limits.follow_symlinks = false;
    absl::StatusOr<std::string> text = ReadFile(absl::StrCat(root_, "/", rel), limits);
    if (!text.ok()) return text.status();
    delta.changes.push_back({rel, std::move(*text)});
  }
  if (confirmed_once_) {
    for (const auto& [rel, stamp] : confirmed_) {
      if (!now->contains(rel)) delta.changes.push_back({rel, std::nullopt});
    }
    if (delta.changes.empty()) return std::nullopt;
  }
  delta.revision = Describe();
  pending_ = std::move(scan->stamps);
  return delta;
}

void DirectorySource::Confirm() {
  confirmed_ = std::move(pending_);
  confirmed_once_ = true;
}

}  // namespace rtr42::sources
