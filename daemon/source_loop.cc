#include "daemon/source_loop.h"

#include <sys/stat.h>

#include <filesystem>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/file_util.h"
#include "base/log.h"
#include "rtr/state_file.h"

namespace rtr42::daemon {

SourceLoop::SourceLoop(std::unique_ptr<sources::VrpSource> source, rtr::History* history,
                       rtr::Server* server, SourceLoopOptions options)
    : source_(std::move(source)),
      history_(history),
      server_(server),
      options_(std::move(options)),
      interval_(source_->is_remote() ? options_.remote_interval : absl::Seconds(1)) {
  status_.source = source_->Describe();
  status_.started = absl::Now();
  status_.slurm_path = options_.slurm_path;
  current_ = history_->current();  // a restored state, or null
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

void SourceLoop::ConfirmWithdrawals() {
  {
    std::lock_guard lock(mutex_);
    if (status_.withdraw_held) {
      confirm_withdrawals_ = true;
      RTR42_LOG_WARNING("withdrawals confirmed: %s (-%d of %d VRPs) will be served",
                        status_.held_revision, status_.held_withdrawals, status_.held_of);
    }
    poll_now_ = true;
    slurm_mtime_ns_ = -1;
  }
  wake_.notify_all();
}

SourceStatus SourceLoop::Status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

std::shared_ptr<const rtr::Update> SourceLoop::Current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

void SourceLoop::Run() {
  // SLURM is checked every second whatever the source's pace.
  absl::Time next_poll = absl::InfinitePast();
  while (true) {
    bool confirming;
    {
      std::lock_guard lock(mutex_);
      confirming = confirm_withdrawals_;
    }
    bool slurm_changed = ReloadSlurm(false);
    bool published = false;
    if (absl::Now() >= next_poll) {
      published = PollOnce();
      next_poll = absl::Now() + interval_;
    }
    std::shared_ptr<const roa::VrpSet> raw;
    std::string revision;
    bool held;
    {
      std::lock_guard lock(mutex_);
      raw = last_raw_;
      revision = status_.revision;
      held = status_.withdraw_held;
    }
    // The source reports a set once; a held set is offered again here.
    if (!published && raw && (slurm_changed || (confirming && held))) {
      Publish(raw, revision, slurm_changed ? "; SLURM changed" : "; confirmed");
    }
    std::unique_lock lock(mutex_);
    if (confirming) confirm_withdrawals_ = false;
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
    ++status_.slurm_failures;
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
  absl::StatusOr<std::optional<sources::VrpSnapshot>> snapshot = source_->Poll();
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
  sources::VrpSnapshot& s = **snapshot;
  status_.last_compile_seconds = s.seconds;
  status_.objects = s.objects;
  status_.revision = s.revision;
  if (s.diagnostic_list) status_.diagnostics = s.diagnostic_list;
  last_raw_ = s.set;
  lock.unlock();
  return Publish(s.set, s.revision,
                 absl::StrFormat("; %d objects re-read, %d diagnostics, %.1f ms", s.parsed,
                                 s.diagnostics, s.seconds * 1000));
}

bool SourceLoop::PassesWithdrawGuard(size_t withdrawn, const std::string& revision) {
  std::shared_ptr<const rtr::Update> current = history_->current();
  size_t served = current ? current->set().size() : 0;
  std::lock_guard lock(mutex_);
  bool over =
      served > 0 && double(withdrawn) * 100 > options_.max_withdraw_percent * double(served);
  if (over && confirm_withdrawals_) {
    ++status_.withdraw_confirmations;
    over = false;
  } else if (over) {
    if (!status_.withdraw_held || status_.held_withdrawals != withdrawn ||
        status_.held_revision != revision) {
      RTR42_LOG_WARNING(
          "withdraw guard: holding back the set of %s: it would withdraw %d of %d VRPs "
          "(%.1f%%, more than --max-withdraw-percent %g); still serving serial %d; SIGHUP "
          "serves it",
          revision, withdrawn, served, 100.0 * double(withdrawn) / double(served),
          options_.max_withdraw_percent, current->serial());
    }
    if (!status_.withdraw_held) ++status_.withdraw_holds;
    status_.withdraw_held = true;
    status_.held_withdrawals = withdrawn;
    status_.held_of = served;
    status_.held_revision = revision;
    return false;
  }
  if (status_.withdraw_held) {
    RTR42_LOG_INFO("withdraw guard: released; the set of %s withdraws %d of %d VRPs", revision,
                   withdrawn, served);
    status_.withdraw_held = false;
    status_.held_withdrawals = status_.held_of = 0;
    status_.held_revision.clear();
  }
  return true;
}

bool SourceLoop::Publish(std::shared_ptr<const roa::VrpSet> raw, const std::string& revision,
                         const std::string& detail) {
  std::shared_ptr<const roa::VrpSet> set = raw;
  {
    std::lock_guard lock(mutex_);
    if (slurm_) set = std::make_shared<const roa::VrpSet>(roa::ApplySlurm(*raw, *slurm_));
  }
  // The diff from what is served: checked by the guard, then kept as the step.
  std::shared_ptr<const rtr::Update> update;
  if (std::shared_ptr<const rtr::Update> current = history_->current()) {
    roa::VrpDiff diff = roa::Diff(current->set(), *set);
    if (!PassesWithdrawGuard(diff.withdrawn.size(), revision)) return false;
    if (diff.empty()) return false;  // (after the guard: a reverted change releases it)
    update = history_->Commit(set, std::move(diff), revision);
  } else {
    update = history_->Commit(set, revision);
  }
  if (!update) return false;
  SaveState(*update);
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
  return true;
}

void SourceLoop::SaveState(const rtr::Update& update) {
  if (options_.state_path.empty()) return;
  absl::Status saved = rtr::SaveStateFile(update, options_.state_path);
  std::lock_guard lock(mutex_);
  if (saved.ok()) {
    ++status_.state_saves;
    if (!status_.state_error.empty()) {
      RTR42_LOG_INFO("state saved to %s again", options_.state_path);
      status_.state_error.clear();
    }
    return;
  }
  ++status_.state_save_failures;
  // An older file left behind would make a restart reuse this serial for a
  // different set; without a file a restart starts a new session instead.
  std::error_code ignored;
  std::filesystem::remove(options_.state_path, ignored);
  std::string error(saved.message());
  if (error != status_.state_error) {
    RTR42_LOG_ERROR(
        "cannot save state: %s; the old state file is removed, so a restart starts "
        "a new RTR session",
        error);
  }
  status_.state_error = error;
}

}  // namespace rtr42::daemon
