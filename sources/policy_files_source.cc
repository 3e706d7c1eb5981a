#include "sources/policy_files_source.h"

#include "absl/strings/str_cat.h"
#include "base/file_util.h"

namespace rtr42::sources {

PolicyFilesSource::PolicyFilesSource(std::unique_ptr<RegistrySource> inner, std::string filter4,
                                     std::string filter6)
    : inner_(std::move(inner)) {
  files_[0].local_path = std::move(filter4);
  files_[0].registry_path = roa::kFilterPath;
  files_[1].local_path = std::move(filter6);
  files_[1].registry_path = roa::kFilter6Path;
}

bool PolicyFilesSource::Replaced(const std::string& path) const {
  for (const PolicyFile& f : files_) {
    if (!f.local_path.empty() && path == f.registry_path) return true;
  }
  return false;
}

absl::StatusOr<std::optional<RegistryDelta>> PolicyFilesSource::Poll() {
  absl::StatusOr<std::optional<RegistryDelta>> inner = inner_->Poll();
  if (!inner.ok()) return inner.status();
  inner_pending_ = inner->has_value();
  bool full = inner_pending_ && (*inner)->full;
  RegistryDelta delta;
  if (inner_pending_) {
    delta = std::move(**inner);
    pending_revision_ = delta.revision;
    std::erase_if(delta.changes, [&](const FileChange& c) { return Replaced(c.path); });
  } else {
    delta.revision = revision_;
  }
  bool changed = inner_pending_;
  for (PolicyFile& f : files_) {
    if (f.local_path.empty()) continue;
    f.pending = StampOf(f.local_path);
    if (!f.pending) {
      absl::StatusOr<std::string> why = ReadFile(f.local_path);  // the reason, named
      if (!why.ok()) return why.status();
      return absl::NotFoundError(absl::StrCat(f.local_path, ": cannot read the policy file"));
    }
    if (f.pending == f.confirmed && !full) continue;
    absl::StatusOr<std::string> text = ReadFile(f.local_path);
    if (!text.ok()) return text.status();
    delta.changes.push_back({f.registry_path, std::move(*text)});
    changed = true;
  }
  if (!changed) return std::nullopt;
  return std::optional<RegistryDelta>(std::move(delta));
}

void PolicyFilesSource::Confirm() {
  if (inner_pending_) {
    inner_->Confirm();
    inner_pending_ = false;
    revision_ = pending_revision_;
  }
  for (PolicyFile& f : files_) f.confirmed = f.pending;
}

std::string PolicyFilesSource::Describe() const {
  std::string d = inner_->Describe();
  for (const PolicyFile& f : files_) {
    if (!f.local_path.empty()) absl::StrAppend(&d, " with ", f.local_path);
  }
  return d;
}

}  // namespace rtr42::sources
