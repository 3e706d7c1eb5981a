// History: the versions of the VRP set a cache has served.
//
// It owns the session id and the serial (RFC 1982: it counts up by one per
// new set and wraps at 2^32). Each new set becomes one immutable Update,
// shared by everyone who reads it. An Update carries the diffs of the
// retained serials, so it can answer "what changed since serial S" for any S
// still in the history without reference to the History object.
//
// Retention: a serial is kept while it is among the newest `min_serials`, or
// younger than `min_age`, whichever keeps more.
//
// History is not thread-safe; the daemon uses it from one thread and hands
// the immutable Updates to the server.
#ifndef RTR42_RTR_HISTORY_H_
#define RTR42_RTR_HISTORY_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "roa/vrp.h"

namespace rtr42::rtr {

struct HistoryOptions {
  size_t min_serials = 1000;
  absl::Duration min_age = absl::Hours(24);
  uint32_t first_serial = 1;
};

// The change from `serial` to `serial + 1`.
struct SerialStep {
  uint32_t serial = 0;   // the older serial
  absl::Time time;       // when serial + 1 was made
  std::string revision;  // what serial + 1 was made from (empty in a restored step)
  roa::VrpDiff diff;
};

class Update {
 public:
  Update(uint16_t session_id, uint32_t serial, std::shared_ptr<const roa::VrpSet> set,
         std::vector<std::shared_ptr<const SerialStep>> steps, std::string revision);

  uint16_t session_id() const { return session_id_; }
  uint32_t serial() const { return serial_; }
  const roa::VrpSet& set() const { return *set_; }
  const std::shared_ptr<const roa::VrpSet>& shared_set() const { return set_; }
  const std::string& revision() const { return revision_; }
  // The last step, from serial() - 1 (empty for the first Update).
  const roa::VrpDiff* last_diff() const { return steps_.empty() ? nullptr : &steps_.back()->diff; }

  // True if a router at `serial` can be brought here with a diff.
  bool HasSerial(uint32_t serial) const;
  // The diff from `serial` to this Update, or nullopt if `serial` is not
  // retained. DiffFrom(serial()) is empty.
  std::optional<roa::VrpDiff> DiffFrom(uint32_t serial) const;
  // The oldest serial a diff can start from.
  uint32_t oldest_serial() const;
  size_t retained_serials() const { return steps_.size() + 1; }
  // The retained steps, oldest first; the last one ends at serial().
  const std::vector<std::shared_ptr<const SerialStep>>& steps() const { return steps_; }

 private:
  uint16_t session_id_;
  uint32_t serial_;
  std::shared_ptr<const roa::VrpSet> set_;
  std::vector<std::shared_ptr<const SerialStep>> steps_;  // oldest first, contiguous
  std::string revision_;
};

class History {
 public:
  History(uint16_t session_id, HistoryOptions options = {});
  // Carries on from `restored` (a saved Update): its session id, serial and
  // steps; the next Commit is restored->serial() + 1.
  History(std::shared_ptr<const Update> restored, HistoryOptions options = {});

  // Makes `set` the newest version. Returns the new Update, or nullptr if the
  // set equals the current one (no new serial is used then).
  std::shared_ptr<const Update> Commit(std::shared_ptr<const roa::VrpSet> set, std::string revision,
                                       absl::Time now = absl::Now());
  // The same, for a caller that already has the diff from current()->set()
  // to `set` (there must be a current set).
  std::shared_ptr<const Update> Commit(std::shared_ptr<const roa::VrpSet> set, roa::VrpDiff diff,
                                       std::string revision, absl::Time now = absl::Now());

  std::shared_ptr<const Update> current() const { return current_; }
  uint16_t session_id() const { return session_id_; }

 private:
  uint16_t session_id_;
  HistoryOptions options_;
  std::shared_ptr<const Update> current_;
  std::deque<std::shared_ptr<const SerialStep>> steps_;
};

// A random 16-bit session id (from the OS's random source, not the clock).
uint16_t RandomSessionId();

}  // namespace rtr42::rtr

#endif  // RTR42_RTR_HISTORY_H_
