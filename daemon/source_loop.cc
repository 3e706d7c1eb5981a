#include "daemon/source_loop.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "base/file_util.h"
#include "base/log.h"
#include "rtr/state_file.h"

namespace rtr42::daemon {

SourceLoop::SourceLoop(std::vector<NamedSource> sources, rtr::History* history, rtr::Server* server,
                       SourceLoopOptions options)
    : history_(history),
      server_(server),
      options_(std::move(options)),
      restored_(history_->current() != nullptr) {
  absl::MutexLock lock(&mutex_);
  status_.started = absl::Now();
  status_.slurm_path = options_.slurm_path;
  current_ = history_->current();  // a restored state, or null
  for (NamedSource& named : sources) {
    auto [slot, state] = MakeSlot(std::move(named));
    slots_.push_back(std::move(slot));
    states_.push_back(std::move(state));
  }
}

std::pair<std::unique_ptr<SourceLoop::Slot>, SourceLoop::SlotState> SourceLoop::MakeSlot(
    NamedSource named) {
  auto slot = std::make_unique<Slot>();
  slot->interval = named.poll_interval.value_or(named.source->is_remote() ? options_.remote_interval
                                                                          : absl::Seconds(1));
  Slot* raw = slot.get();
  named.source->SetWakeup([this, raw] {
    raw->wake = true;
    absl::MutexLock wake_lock(&mutex_);
    woken_ = true;
  });
  SlotState state{
      .guard = WithdrawGuard(named.max_withdraw_percent.value_or(options_.max_withdraw_percent),
                             options_.withdraw_window)};
  state.status.name = named.name;
  state.status.source = named.source->Describe();
  state.status.started = absl::Now();
  slot->source = std::move(named.source);
  return {std::move(slot), std::move(state)};
}

void SourceLoop::ReplaceSources(std::vector<std::string> names, std::vector<NamedSource> fresh) {
  absl::MutexLock lock(&mutex_);
  pending_ = PendingSources{std::move(names), std::move(fresh)};
  poll_now_ = true;
}

bool SourceLoop::ApplyPendingSources() {
  std::vector<std::unique_ptr<Slot>> removed;
  {
    absl::MutexLock lock(&mutex_);
    if (!pending_) return false;
    PendingSources pending = std::move(*pending_);
    pending_.reset();
    std::vector<std::unique_ptr<Slot>> slots;
    std::vector<SlotState> states;
    for (const std::string& name : pending.names) {
      auto fresh = std::find_if(pending.fresh.begin(), pending.fresh.end(),
                                [&](const NamedSource& n) { return n.name == name && n.source; });
      auto old = std::find_if(states_.begin(), states_.end(),
                              [&](const SlotState& s) { return s.status.name == name; });
      if (fresh != pending.fresh.end()) {
        RTR42_LOG_INFO("source %s (%s) %s", name, fresh->source->Describe(),
                       old == states_.end() ? "added"
                                            : "replaced; its last set is served until it "
                                              "answers");
        auto [slot, state] = MakeSlot(std::move(*fresh));
        if (old != states_.end()) {  // its part stays until the new one answers
          state.admitted = old->admitted;
          state.admitted_revision = old->admitted_revision;
          state.admitted_serial = old->admitted_serial;
        }
        slots.push_back(std::move(slot));
        states.push_back(std::move(state));
      } else if (old != states_.end()) {
        size_t i = static_cast<size_t>(old - states_.begin());
        slots.push_back(std::move(slots_[i]));
        states.push_back(std::move(*old));
      }
    }
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (!slots_[i]) continue;  // moved on
      bool kept = std::find(pending.names.begin(), pending.names.end(), states_[i].status.name) !=
                  pending.names.end();
      if (!kept) {
        RTR42_LOG_INFO("source %s (%s) removed: its %d VRPs leave the union",
                       states_[i].status.name, states_[i].status.source,
                       states_[i].admitted ? states_[i].admitted->size() : 0);
      }
      removed.push_back(std::move(slots_[i]));  // replaced or removed
    }
    slots_ = std::move(slots);
    states_ = std::move(states);
  }
  // Outside the lock: a source's own thread may be calling its wakeup.
  for (auto& slot : removed) slot->source->SetWakeup({});
  removed.clear();
  return true;
}

namespace {
std::vector<NamedSource> One(std::unique_ptr<sources::VrpSource> source) {
  std::vector<NamedSource> v;
  v.push_back(NamedSource{.name = "source", .source = std::move(source)});
  return v;
}
}  // namespace

SourceLoop::SourceLoop(std::unique_ptr<sources::VrpSource> source, rtr::History* history,
                       rtr::Server* server, SourceLoopOptions options)
    : SourceLoop(One(std::move(source)), history, server, std::move(options)) {}

SourceLoop::~SourceLoop() {
  Stop();
  // A source's thread may call its wakeup until it is destroyed.
  for (auto& slot : slots_) slot->source->SetWakeup({});
}

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
  for (SlotState& state : states_) state.guard.Confirm();
  poll_now_ = true;
}

void SourceLoop::Reload() {
  absl::MutexLock lock(&mutex_);
  poll_now_ = true;
  slurm_stamp_.reset();  // re-read it even if unchanged
}

void SourceLoop::PollNow() {
  absl::MutexLock lock(&mutex_);
  poll_now_ = true;
}

LoopStatus SourceLoop::Status() const {
  absl::MutexLock lock(&mutex_);
  LoopStatus status = status_;
  for (const SlotState& state : states_) {
    status.sources.push_back(state.status);
    status.sources.back().withdraw_guard = state.guard.state();
  }
  return status;
}

std::shared_ptr<const rtr::Update> SourceLoop::Current() const {
  absl::MutexLock lock(&mutex_);
  return current_;
}

void SourceLoop::Run() {
  bool poll_all = true;
  while (true) {
    bool confirming = false;
    {
      absl::MutexLock lock(&mutex_);
      for (const SlotState& state : states_) confirming |= state.guard.confirming();
    }
    bool slurm_changed = ReloadSlurm();
    bool changed = ApplyPendingSources();
    changed |= PollDue(poll_all);
    poll_all = false;
    {
      absl::MutexLock lock(&mutex_);
      for (SlotState& state : states_) {
        // A source reports a set once; a held set is offered again here.
        if (confirming && state.offered) {
          changed |= Admit(state, state.offered, state.offered_revision);
        }
        state.guard.EndConfirmation();
      }
      changed |= publish_pending_ && ReadyToPublish();
    }
    if (changed || slurm_changed) {
      PublishUnion(changed ? "" : "; SLURM changed");
    }
    absl::MutexLock lock(&mutex_);
    auto woken = [this]()
                     ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return stop_ || poll_now_ || woken_; };
    mutex_.AwaitWithTimeout(absl::Condition(&woken), absl::Seconds(1));
    if (stop_) return;
    woken_ = false;
    if (poll_now_) {
      poll_now_ = false;
      poll_all = true;
    }
  }
}

bool SourceLoop::PollDue(bool all) {
  bool changed = false;
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& slot = *slots_[i];
    absl::Time now = absl::Now();
    bool woken = slot.wake.exchange(false);
    if (!all && !woken && now < slot.next_poll) continue;
    changed |= PollSource(i);
    slot.next_poll = absl::Now() + slot.interval;
  }
  return changed;
}

bool SourceLoop::PollOnce() {
  bool changed = ApplyPendingSources();
  if (!PollDue(true) && !changed) return false;
  return PublishUnion("");
}

bool SourceLoop::PollSource(size_t i) {
  Slot& slot = *slots_[i];
  absl::Time now = absl::Now();
  absl::StatusOr<std::optional<sources::VrpSnapshot>> snapshot = slot.source->Poll();
  std::string expired = slot.source->Expired();
  absl::MutexLock lock(&mutex_);
  SlotState& state = states_[i];
  SourceStatus& st = state.status;
  st.last_attempt = now;
  ++st.polls;
  if (expired != st.expired) {
    if (!expired.empty()) {
      RTR42_LOG_WARNING("source %s: %s; its last set stays served (/healthz fails)", st.name,
                        expired);
    }
    st.expired = expired;
  }
  if (!snapshot.ok()) {
    state.answered = true;
    ++st.failures;
    std::string message(snapshot.status().message());
    if (message != st.last_error) {
      RTR42_LOG_ERROR("source %s (%s) failed: %s; %s", st.name, st.source, message,
                      current_
                          ? absl::StrFormat("still serving serial %d%s", current_->serial(),
                                            state.admitted ? absl::StrFormat(" with its %d VRPs",
                                                                             state.admitted->size())
                                                           : std::string())
                          : std::string("no VRP set to serve yet"));
    }
    st.last_ok = false;
    st.last_error = message;
    st.last_failure = now;
    st.last_failure_reason = message;
    return false;
  }
  if (!st.last_error.empty()) RTR42_LOG_INFO("source %s recovered", st.name);
  st.last_ok = true;
  st.last_error.clear();
  st.last_success = now;
  if (!snapshot->has_value()) return false;
  state.answered = true;
  sources::VrpSnapshot& s = **snapshot;
  st.last_compile_seconds = s.seconds;
  st.objects = s.objects;
  st.revision = s.revision;
  st.generated = s.generated;
  if (s.diagnostic_list) st.diagnostics = s.diagnostic_list;
  if (s.origins) st.origins = s.origins;
  if (!s.warning.empty()) {
    ++st.warnings;
    if (s.warning != st.warning) {
      RTR42_LOG_WARNING("source %s: %s; served all the same", st.name, s.warning);
    }
  }
  st.warning = s.warning;
  if (!Admit(state, s.set, s.revision)) return false;
  std::string who = slots_.size() > 1 ? st.name + ": " : "";
  if (s.objects > 0) {  // a registry
    absl::StrAppendFormat(&detail_, "; %s%d objects re-read, %d diagnostics, %.1f ms", who,
                          s.parsed, s.diagnostics, s.seconds * 1000);
  } else {
    absl::StrAppendFormat(&detail_, "; %s%.1f ms", who, s.seconds * 1000);
  }
  return true;
}

bool SourceLoop::Admit(SlotState& state, std::shared_ptr<const roa::VrpSet> set,
                       const std::string& revision) {
  std::shared_ptr<const rtr::Update> current = history_->current();
  uint32_t serving = current ? current->serial() : 0;
  // What this set withdraws from the source's own last admitted set; a
  // source's first set is never held, unless it is the only source and a
  // restored set is served: then it counts against that.
  std::shared_ptr<const roa::VrpSet> before = state.admitted;
  uint32_t before_serial = state.admitted_serial;
  if (!before && slots_.size() == 1 && restored_ && current) {
    before = current->shared_set();
    before_serial = current->serial();
  }
  if (before) {
    WithdrawGuard::Withdrawal w{roa::CountWithdrawn(*before, *set), before->size(), before_serial,
                                false};
    // Against the window's first set too: the worse of the two counts.
    const WithdrawGuard::Baseline* base = state.guard.baseline();
    if (base && base->set != before) {
      size_t since = roa::CountWithdrawn(*base->set, *set);
      if (since * w.served > w.withdrawn * base->set->size()) {
        w = {since, base->set->size(), base->serial, true};
      }
    }
    if (!state.guard.Admit(w, revision, serving)) {
      state.offered = std::move(set);
      state.offered_revision = revision;
      return false;
    }
  }
  state.offered.reset();
  if (state.admitted && *state.admitted == *set) return false;  // (a reverted change)
  state.admitted = std::move(set);
  state.admitted_revision = revision;
  state.admitted_serial = 0;
  state.status.vrps = state.admitted->size();
  state.status.aspas = state.admitted->aspas().size();
  state.status.last_update = absl::Now();
  return true;
}

bool SourceLoop::ReadyToPublish() const {
  if (!restored_ || published_once_) return true;
  if (absl::Now() - status_.started >= kStartupWait) return true;
  return std::all_of(states_.begin(), states_.end(), [](const SlotState& s) { return s.answered; });
}

std::shared_ptr<const roa::VrpSet> SourceLoop::Union(std::string* revision) const {
  std::vector<const SlotState*> parts;
  for (const SlotState& state : states_) {
    if (state.admitted) parts.push_back(&state);
  }
  if (parts.empty()) return nullptr;
  if (parts.size() == 1 && states_.size() == 1) {
    *revision = parts[0]->admitted_revision;
    return parts[0]->admitted;
  }
  std::vector<roa::Vrp> vrps;
  std::vector<roa::Aspa> aspas;
  std::vector<roa::RouterKey> keys;
  std::vector<std::string> revisions;
  for (const SlotState* part : parts) {
    const roa::VrpSet& set = *part->admitted;
    vrps.insert(vrps.end(), set.vrps().begin(), set.vrps().end());
    aspas.insert(aspas.end(), set.aspas().begin(), set.aspas().end());
    keys.insert(keys.end(), set.router_keys().begin(), set.router_keys().end());
    revisions.push_back(absl::StrCat(part->status.name, " ", part->admitted_revision));
  }
  *revision = absl::StrJoin(revisions, ", ");
  return std::make_shared<const roa::VrpSet>(std::move(vrps), std::move(aspas), std::move(keys));
}

bool SourceLoop::PublishUnion(std::string detail) {
  std::shared_ptr<const roa::VrpSet> raw;
  std::string revision;
  {
    absl::MutexLock lock(&mutex_);
    if (!ReadyToPublish()) {
      publish_pending_ = true;
      return false;
    }
    publish_pending_ = false;
    detail = detail_ + detail;
    detail_.clear();
    raw = Union(&revision);
    if (!raw) return false;
    published_once_ = true;
  }
  return Publish(raw, revision, detail);
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

bool SourceLoop::Publish(std::shared_ptr<const roa::VrpSet> raw, const std::string& revision,
                         const std::string& detail) {
  std::shared_ptr<const roa::VrpSet> set = raw;
  {
    absl::MutexLock lock(&mutex_);
    if (slurm_) set = std::make_shared<const roa::VrpSet>(roa::ApplySlurm(*raw, *slurm_));
  }
  NoteOversizedAspas(*raw, *set);
  std::shared_ptr<const rtr::Update> update;
  if (std::shared_ptr<const rtr::Update> current = history_->current()) {
    roa::VrpDiff diff = roa::Diff(current->set(), *set);
    if (diff.empty()) return false;
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
    for (SlotState& state : states_) {
      if (!state.admitted) continue;
      if (state.admitted_serial == 0) state.admitted_serial = update->serial();
      state.guard.NoteServed(state.admitted, state.admitted_serial, absl::Now());
    }
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
