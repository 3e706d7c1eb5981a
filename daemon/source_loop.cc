#include "daemon/source_loop.h"

#include <sys/stat.h>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/file_util.h"
#include "base/log.h"

namespace rtr42::daemon {

SourceLoop::SourceLoop(std::unique_ptr<roa::VrpSource> source, roa::History* history,
                       rtr::Server* server, absl::Duration remote_interval, std::string slurm_path)
    : source_(std::move(source)),
      history_(history),
      server_(server),
      interval_(source_->is_remote() ? remote_interval : absl::Seconds(1)) {
  status_.source = source_->Describe();
  status_.started = absl::Now();
  status_.slurm_path = std::move(slurm_path);
}

SourceLoop::~SourceLoop() { Stop(); }

void SourceLoop::Start() {
  thread_ = std::thread([this] { Run(); });
}

void SourceLoop::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SourceLoop::PollNow() {
  {
    std::lock_guard lock(mutex_);
    poll_now_ = true;
    slurm_mtime_ns_ = -1;  // re-read it even if unchanged
  }
  wake_.notify_all();
}

SourceStatus SourceLoop::Status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

std::shared_ptr<const roa::Update> SourceLoop::Current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

void SourceLoop::Run() {
  // SLURM is checked every second whatever the source's pace.
  absl::Time next_poll = absl::InfinitePast();
  while (true) {
    bool slurm_changed = ReloadSlurm(false);
    bool published = false;
    if (absl::Now() >= next_poll) {
      published = PollOnce();
      next_poll = absl::Now() + interval_;
    }
    if (slurm_changed && !published) {
      std::shared_ptr<const roa::VrpSet> raw;
      std::string revision;
      {
        std::lock_guard lock(mutex_);
        raw = last_raw_;
        revision = status_.revision;
      }
      if (raw) Publish(raw, revision, "; SLURM changed");
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_ || poll_now_; });
    if (stop_) return;
    if (poll_now_) {
      poll_now_ = false;
      next_poll = absl::InfinitePast();
    }
  }
}

bool SourceLoop::ReloadSlurm(bool forced) {
  std::string path;
  int64_t known;
  {
    std::lock_guard lock(mutex_);
    path = status_.slurm_path;
    known = slurm_mtime_ns_;
  }
  if (path.empty()) return false;
  struct stat st;
  int64_t mtime = ::stat(path.c_str(), &st) == 0
                      ? int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec
                      : -2;
  if (mtime == known && !forced) return false;
  absl::StatusOr<std::string> text =
      mtime == -2 ? absl::NotFoundError(path + ": cannot read") : ReadFile(path);
  absl::StatusOr<roa::Slurm> slurm =
      text.ok() ? roa::ParseSlurm(*text, path) : absl::StatusOr<roa::Slurm>(text.status());
  std::lock_guard lock(mutex_);
  slurm_mtime_ns_ = mtime;
  if (!slurm.ok()) {
    std::string error(slurm.status().message());
    if (error != status_.slurm_error) {
      RTR42_LOG_ERROR("SLURM %s rejected: %s; %s", path, error,
                      slurm_ ? "the previous file stays in force" : "no SLURM applied");
    }
    status_.slurm_ok = false;
    status_.slurm_error = error;
    return false;
  }
  slurm_ = std::move(*slurm);
  status_.slurm_ok = true;
  status_.slurm_error.clear();
  status_.slurm_filters = slurm_->prefix_filters.size();
  status_.slurm_assertions = slurm_->prefix_assertions.size();
  RTR42_LOG_INFO("SLURM %s loaded: %d prefix filters, %d prefix assertions", path,
                 slurm_->prefix_filters.size(), slurm_->prefix_assertions.size());
  return true;
}

bool SourceLoop::PollOnce() {
  absl::Time now = absl::Now();
  absl::StatusOr<std::optional<roa::VrpSnapshot>> snapshot = source_->Poll();
  std::unique_lock lock(mutex_);
  status_.last_attempt = now;
  ++status_.polls;
  if (!snapshot.ok()) {
    ++status_.failures;
    std::string message(snapshot.status().message());
    if (message != status_.last_error) {
      RTR42_LOG_ERROR("source %s failed: %s; %s", status_.source, message,
                      current_ ? absl::StrFormat("still serving serial %d", current_->serial())
                               : std::string("no VRP set to serve yet"));
    }
    status_.last_ok = false;
    status_.last_error = message;
    return false;
  }
  if (!status_.last_error.empty()) RTR42_LOG_INFO("source %s recovered", status_.source);
  status_.last_ok = true;
  status_.last_error.clear();
  status_.last_success = now;
  if (!snapshot->has_value()) return false;
  roa::VrpSnapshot& s = **snapshot;
  status_.last_compile_seconds = s.seconds;
  status_.objects = s.objects;
  status_.revision = s.revision;
  if (s.diagnostic_list) status_.diagnostics = s.diagnostic_list;
  last_raw_ = s.set;
  lock.unlock();
  Publish(s.set, s.revision,
          absl::StrFormat("; %d objects re-read, %d diagnostics, %.1f ms", s.parsed, s.diagnostics,
                          s.seconds * 1000));
  return true;
}

void SourceLoop::Publish(std::shared_ptr<const roa::VrpSet> raw, const std::string& revision,
                         const std::string& detail) {
  std::shared_ptr<const roa::VrpSet> set = raw;
  {
    std::lock_guard lock(mutex_);
    if (slurm_) set = std::make_shared<const roa::VrpSet>(roa::ApplySlurm(*raw, *slurm_));
  }
  std::shared_ptr<const roa::Update> update = history_->Commit(set, revision);
  if (!update) return;
  {
    std::lock_guard lock(mutex_);
    current_ = update;
    status_.last_update = absl::Now();
  }
  const roa::VrpDiff* diff = update->last_diff();
  RTR42_LOG_INFO("serial %d (session %d): %d VRPs (%d IPv4, %d IPv6), +%d -%d, from %s%s%s",
                 update->serial(), update->session_id(), set->size(), set->ipv4_count(),
                 set->ipv6_count(), diff ? diff->announced.size() : set->size(),
                 diff ? diff->withdrawn.size() : 0, revision, detail,
                 raw.get() != set.get()
                     ? absl::StrFormat("; SLURM applied to %d source VRPs", raw->size())
                     : std::string());
  server_->Publish(update);
}

}  // namespace rtr42::daemon
