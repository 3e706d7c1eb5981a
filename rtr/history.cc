#include "rtr/history.h"

#include <random>

namespace rtr42::rtr {

Update::Update(uint16_t session_id, uint32_t serial, std::shared_ptr<const roa::VrpSet> set,
               std::vector<std::shared_ptr<const SerialStep>> steps, std::string revision)
    : session_id_(session_id),
      serial_(serial),
      set_(std::move(set)),
      steps_(std::move(steps)),
      revision_(std::move(revision)) {}

uint32_t Update::oldest_serial() const { return steps_.empty() ? serial_ : steps_.front()->serial; }

bool Update::HasSerial(uint32_t serial) const {
  // Steps are contiguous, so this is a distance check in serial arithmetic.
  uint32_t back = serial_ - serial;  // wraps as RFC 1982 counting does
  return back <= steps_.size();
}

std::optional<roa::VrpDiff> Update::DiffFrom(uint32_t serial) const {
  if (!HasSerial(serial)) return std::nullopt;
  size_t back = serial_ - serial;
  if (back == 0) return roa::VrpDiff{};
  size_t first = steps_.size() - back;
  roa::VrpDiff diff = steps_[first]->diff;
  for (size_t i = first + 1; i < steps_.size(); ++i) diff = Compose(diff, steps_[i]->diff);
  return diff;
}

History::History(uint16_t session_id, HistoryOptions options)
    : session_id_(session_id), options_(options) {}

History::History(std::shared_ptr<const Update> restored, HistoryOptions options)
    : session_id_(restored->session_id()),
      options_(options),
      current_(std::move(restored)),
      steps_(current_->steps().begin(), current_->steps().end()) {}

std::shared_ptr<const Update> History::Commit(std::shared_ptr<const roa::VrpSet> set,
                                              std::string revision, absl::Time now) {
  if (!current_) {
    current_ = std::make_shared<Update>(session_id_, options_.first_serial, std::move(set),
                                        std::vector<std::shared_ptr<const SerialStep>>{},
                                        std::move(revision));
    return current_;
  }
  roa::VrpDiff diff = Diff(current_->set(), *set);
  return Commit(std::move(set), std::move(diff), std::move(revision), now);
}

std::shared_ptr<const Update> History::Commit(std::shared_ptr<const roa::VrpSet> set,
                                              roa::VrpDiff diff, std::string revision,
                                              absl::Time now) {
  if (diff.empty()) return nullptr;
  auto step = std::make_shared<SerialStep>();
  step->serial = current_->serial();
  step->time = now;
  step->diff = std::move(diff);
  step->revision = revision;
  steps_.push_back(std::move(step));
  // Drop the oldest step while more than min_serials remain and it is old.
  while (steps_.size() > options_.min_serials && now - steps_.front()->time > options_.min_age) {
    steps_.pop_front();
  }
  current_ = std::make_shared<Update>(
      session_id_, current_->serial() + 1, std::move(set),
      std::vector<std::shared_ptr<const SerialStep>>(steps_.begin(), steps_.end()),
      std::move(revision));
  return current_;
}

uint16_t RandomSessionId() {
  std::random_device device;  // /dev/urandom on Linux
  return static_cast<uint16_t>(device() & 0xffff);
}

}  // namespace rtr42::rtr
