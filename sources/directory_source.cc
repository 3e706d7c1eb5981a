#include "sources/directory_source.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "base/file_util.h"

namespace rtr42::sources {

absl::StatusOr<DirectorySource::Stamps> DirectorySource::StampAll() const {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(fs::path(root_) / "data", ec)) {
    return absl::NotFoundError(absl::StrCat(root_, "/data: not a directory"));
  }
  Stamps stamps;
  auto stamp = [&](const std::string& rel) {
    if (std::optional<FileStamp> s = StampOf(absl::StrCat(root_, "/", rel))) stamps[rel] = *s;
  };
  stamp(roa::kFilterPath);
  stamp(roa::kFilter6Path);
  for (const char* dir : {roa::kRouteDir, roa::kRoute6Dir}) {
    fs::path path = fs::path(root_) / dir;
    if (!fs::is_directory(path, ec)) continue;
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      std::string name = entry.path().filename().string();
      if (!name.empty() && name[0] != '.') stamp(absl::StrCat(dir, name));
    }
    if (ec) return absl::UnavailableError(absl::StrCat(path.string(), ": ", ec.message()));
  }
  return stamps;
}

absl::StatusOr<std::optional<RegistryDelta>> DirectorySource::Poll() {
  absl::StatusOr<Stamps> now = StampAll();
  if (!now.ok()) return now.status();
  RegistryDelta delta;
  delta.full = !confirmed_once_;
  for (const auto& [rel, stamp] : *now) {
    auto it = confirmed_.find(rel);
    if (confirmed_once_ && it != confirmed_.end() && it->second == stamp) continue;
    absl::StatusOr<std::string> text = ReadFile(absl::StrCat(root_, "/", rel));
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
  pending_ = std::move(*now);
  return delta;
}

void DirectorySource::Confirm() {
  confirmed_ = std::move(pending_);
  confirmed_once_ = true;
}

}  // namespace rtr42::sources
