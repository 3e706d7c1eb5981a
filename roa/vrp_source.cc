#include "roa/vrp_source.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "roa/vrp_format.h"

namespace rtr42::roa {

RegistryVrpSource::RegistryVrpSource(std::unique_ptr<RegistrySource> source)
    : source_(std::move(source)) {}

absl::StatusOr<std::optional<VrpSnapshot>> RegistryVrpSource::Poll() {
  absl::Time start = absl::Now();
  absl::StatusOr<std::optional<RegistryDelta>> delta = source_->Poll();
  if (!delta.ok()) return delta.status();
  if (!delta->has_value()) return std::nullopt;
  if (absl::Status s = compiler_.Apply(**delta); !s.ok()) return s;
  source_->Confirm();
  VrpSnapshot snapshot;
  snapshot.set = std::make_shared<const VrpSet>(compiler_.BuildSet());
  snapshot.revision = (*delta)->revision;
  snapshot.objects = compiler_.object_count();
  snapshot.parsed = compiler_.last_parsed();
  auto diagnostics = std::make_shared<const std::vector<Diagnostic>>(compiler_.Diagnostics());
  snapshot.diagnostics = diagnostics->size();
  snapshot.diagnostic_list = std::move(diagnostics);
  snapshot.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return snapshot;
}

absl::StatusOr<std::optional<VrpSnapshot>> JsonVrpSource::Poll() {
  absl::Time start = absl::Now();
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat(path_, ": ", std::strerror(errno)));
  }
  int64_t mtime = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  if (mtime == mtime_ns_ && st.st_size == size_ && st.st_ino == inode_) return std::nullopt;
  absl::StatusOr<VrpSet> set = ReadVrpJsonFile(path_);
  if (!set.ok()) return set.status();
  mtime_ns_ = mtime;
  size_ = st.st_size;
  inode_ = st.st_ino;
  VrpSnapshot snapshot;
  snapshot.set = std::make_shared<const VrpSet>(std::move(*set));
  snapshot.revision = absl::StrCat("json ", path_);
  snapshot.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return snapshot;
}

}  // namespace rtr42::roa
