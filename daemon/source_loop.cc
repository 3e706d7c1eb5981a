#include "daemon/source_loop.h"

#include <algorithm>
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
      interval_(source_->is_remote() ? options_.remote_interval : absl::Seconds(1)),
      guard_(options_.max_withdraw_percent, options_.withdraw_window) {
  absl::MutexLock lock(&mutex_);
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
    absl::MutexLock lock(&mutex_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void SourceLoop::ConfirmWithdrawals() {
  absl::MutexLock lock(&mutex_);
  guard_.Confirm();
  poll_now_ = true;
}

void SourceLoop::Reload() {
  absl::MutexLock lock(&mutex_);
  poll_now_ = true;
  slurm_stamp_.reset();  // re-read it even if unchanged
}

SourceStatus SourceLoop::Status() const {
  absl::MutexLock lock(&mutex_);
  SourceStatus status = status_;
  status.withdraw_guard = guard_.state();
  return status;
}

std::shared_ptr<const rtr::Update> SourceLoop::Current() const {
  absl::MutexLock lock(&mutex_);
  return current_;
}

void SourceLoop::Run() {
  absl::Time next_poll = absl::InfinitePast();
  while (true) {
    bool confirming;
    {
      absl::MutexLock lock(&mutex_);
      confirming = guard_.confirming();
    }
    bool slurm_changed = ReloadSlurm();
    bool published = false;
    if (absl::Now() >= next_poll) {
      published = PollOnce();
      next_poll = absl::Now() + interval_;
    }
    std::shared_ptr<const roa::VrpSet> raw;
    std::string revision;
    bool held;
    {
      absl::MutexLock lock(&mutex_);
      raw = last_raw_;
      revision = status_.revision;
      held = guard_.state().holding;
    }
    // The source reports a set once; a held set is offered again here.
    if (!published && raw && (slurm_changed || (confirming && held))) {
      Publish(raw, revision, slurm_changed ? "; SLURM changed" : "; confirmed");
    }
    absl::MutexLock lock(&mutex_);
    if (confirming) guard_.EndConfirmation();
    auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return stop_ || poll_now_; };
    mutex_.AwaitWithTimeout(absl::Condition(&woken), absl::Seconds(1));
    if (stop_) return;
    if (poll_now_) {
      poll_now_ = false;
      next_poll = absl::InfinitePast();
    }
  }
}

bool SourceLoop::ReloadSlurm() {
  const std::string& path = options_.slurm_path;
  if (path.empty()) return false;
  std::optional<FileStamp> stamp = StampOf(path);
  {
    absl::MutexLock lock(&mutex_);
    if (slurm_stamp_ && *slurm_stamp_ == stamp) return false;
  }
  absl::StatusOr<std::string> text =
      stamp ? ReadFile(path) : absl::NotFoundError(path + ": cannot read");
  absl::StatusOr<roa::Slurm> slurm =
      text.ok() ? roa::ParseSlurm(*text, path) : absl::StatusOr<roa::Slurm>(text.status());
  absl::MutexLock lock(&mutex_);
  slurm_stamp_ = stamp;
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
  absl::ReleasableMutexLock lock(&mutex_);
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
  lock.Release();
  return Publish(s.set, s.revision,
                 absl::StrFormat("; %d objects re-read, %d diagnostics, %.1f ms", s.parsed,
                                 s.diagnostics, s.seconds * 1000));
}

bool SourceLoop::Publish(std::shared_ptr<const roa::VrpSet> raw, const std::string& revision,
                         const std::string& detail) {
  std::shared_ptr<const roa::VrpSet> set = raw;
  {
    absl::MutexLock lock(&mutex_);
    if (slurm_) set = std::make_shared<const roa::VrpSet>(roa::ApplySlurm(*raw, *slurm_));
  }
  NoteOversizedAspas(*raw, *set);
  // The diff from what is served: checked by the guard, then kept as the step.
  std::shared_ptr<const rtr::Update> update;
  if (std::shared_ptr<const rtr::Update> current = history_->current()) {
    roa::VrpDiff diff = roa::Diff(current->set(), *set);
    bool admitted;
    {
      absl::MutexLock lock(&mutex_);
      WithdrawGuard::Withdrawal w{diff.withdrawn.size(), current->set().size(), current->serial(),
                                  false};
      // Against the window's first set too: the worse of the two counts.
      const WithdrawGuard::Baseline* base = guard_.baseline();
      if (base && base->serial != current->serial()) {  // else `diff` has counted it
        size_t since = roa::CountWithdrawn(*base->set, *set);
        if (since * w.served > w.withdrawn * base->set->size()) {
          w = {since, base->set->size(), base->serial, true};
        }
      }
      admitted = guard_.Admit(w, revision, current->serial());
    }
    if (!admitted) return false;
    if (diff.empty()) return false;  // (after the guard: a reverted change releases it)
    update = history_->Commit(set, std::move(diff), revision);
  } else {
    update = history_->Commit(set, revision);
  }
  if (!update) return false;
  SaveState(*update);
  {
    absl::MutexLock lock(&mutex_);
    current_ = update;
    status_.last_update = absl::Now();
    guard_.NoteServed(update->shared_set(), update->serial(), absl::Now());
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

void SourceLoop::NoteOversizedAspas(const roa::VrpSet& raw, const roa::VrpSet& set) {
  std::vector<uint32_t> dropped = raw.oversized_aspas();
  dropped.insert(dropped.end(), set.oversized_aspas().begin(), set.oversized_aspas().end());
  std::sort(dropped.begin(), dropped.end());
  dropped.erase(std::unique(dropped.begin(), dropped.end()), dropped.end());
  absl::MutexLock lock(&mutex_);
  if (dropped == status_.oversized_aspas) return;
  for (uint32_t customer : dropped) {
    if (!std::binary_search(status_.oversized_aspas.begin(), status_.oversized_aspas.end(),
                            customer)) {
      RTR42_LOG_WARNING(
          "ASPA record of AS%d dropped: more than %d providers cannot fit one ASPA PDU "
          "(draft-ietf-sidrops-8210bis-27 section 5.1)",
          customer, roa::kMaxAspaProviders);
    }
  }
  status_.oversized_aspas = std::move(dropped);
}

void SourceLoop::SaveState(const rtr::Update& update) {
  if (options_.state_path.empty()) return;
  absl::Status saved = rtr::SaveStateFile(update, options_.state_path);
  absl::MutexLock lock(&mutex_);
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
  // different set; without a loadable file a restart starts a new session.
  absl::Status invalidated = rtr::InvalidateStateFile(options_.state_path);
  std::string error(saved.message());
  if (error != status_.state_error) {
    if (invalidated.ok()) {
      RTR42_LOG_ERROR(
          "cannot save state: %s; the old state file is removed or made unloadable, so a "
          "restart starts a new RTR session",
          error);
    } else {
      RTR42_LOG_ERROR(
          "cannot save state: %s; and the old one stays loadable (%s): a restart would reuse "
          "serials for other sets, so it must not restart from %s",
          error, invalidated.message(), options_.state_path);
    }
  }
  status_.state_error = error;
}

}  // namespace rtr42::daemon
