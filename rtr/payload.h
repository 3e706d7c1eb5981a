// EncodedUpdate: the wire form of one rtr::Update, shared by every session.
//
// Each protocol version's bytes are built once, on first use: the full set
// (for Reset Queries) and the diff from each retained serial (for Serial
// Queries). A response is a short list of shared immutable buffers —
// Cache Response, payload, End of Data — that a session gather-writes; no
// session ever copies the payload, so a thousand routers cost a thousand
// small session objects, not a thousand copies of the VRPs.
//
// Thread-safe: any number of sessions may ask for responses at once.
#ifndef RTR42_RTR_PAYLOAD_H_
#define RTR42_RTR_PAYLOAD_H_

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "rtr/history.h"
#include "rtr/pdu.h"

namespace rtr42::rtr {

using Buffer = std::shared_ptr<const std::string>;
// Buffers to write in order.
using Response = std::vector<Buffer>;

// Total bytes of a response.
size_t ResponseSize(const Response& response);

class EncodedUpdate {
 public:
  EncodedUpdate(std::shared_ptr<const rtr::Update> update, Timers timers);

  const rtr::Update& update() const { return *update_; }
  uint32_t serial() const { return update_->serial(); }
  uint16_t session_id() const { return update_->session_id(); }

  // Cache Response, every VRP announced, End of Data.
  Response FullResponse(uint8_t version) const;
  // Cache Response, the diff from `serial`, End of Data; nullopt if `serial`
  // is no longer retained (the caller answers with Cache Reset).
  // `pdus`, if given, is set to the number of PDUs in the response.
  std::optional<Response> DiffResponse(uint8_t version, uint32_t serial,
                                       size_t* pdus = nullptr) const;
  const Buffer& SerialNotify(uint8_t version) const { return notify_[version]; }

  // Number of payload PDUs in the full set for `version` (Router Keys from
  // 1 on, ASPA from 2 on).
  size_t size(uint8_t version = 1) const {
    return update_->set().size() + (version >= 1 ? update_->set().router_keys().size() : 0) +
           (version >= 2 ? update_->set().aspas().size() : 0);
  }

 private:
  struct PerVersion {
    std::once_flag full_once;
    Buffer full;
    absl::Mutex diffs_mutex;
    std::map<uint32_t, std::pair<Buffer, size_t>> diffs
        ABSL_GUARDED_BY(diffs_mutex);  // body and its PDU count
  };

  std::shared_ptr<const rtr::Update> update_;
  std::array<Buffer, kMaxVersion + 1> cache_response_;
  std::array<Buffer, kMaxVersion + 1> end_of_data_;
  std::array<Buffer, kMaxVersion + 1> notify_;
  mutable std::array<PerVersion, kMaxVersion + 1> per_version_;
};

// A Cache Reset PDU of `version`, shared.
const Buffer& CacheResetPdu(uint8_t version);

// The payload PDUs of a response, in the order of draft-ietf-sidrops-8210bis-27
// section 11.2 for every version (a MUST for version 2, a SHOULD before): by
// PDU type (IPv4 4, IPv6 6, Router Key 9, ASPA 11); within a type
// announcements before withdrawals; prefix announcements by address, max
// length, prefix length and ASN, all descending, withdrawals by the same keys
// ascending; Router Keys by SKI, SPKI length, SPKI, ASN; ASPA by customer
// ascending. Router Keys from version 1 on, ASPA from version 2 on.
std::string EncodeFullSet(uint8_t version, const roa::VrpSet& set);
std::string EncodeDiff(uint8_t version, const roa::VrpDiff& diff);

// The ASPA PDUs of a diff (section 5.12): every record of `aspa_announced`
// is one announcement (new, or replacing the customer's record); only a
// customer that is gone is withdrawn.
struct AspaChanges {
  const std::vector<roa::Aspa>* announced;
  std::vector<uint32_t> withdrawn;  // customers, ascending
};
AspaChanges AspaWireChanges(const roa::VrpDiff& diff);
// The payload PDUs EncodeDiff() writes.
size_t DiffPduCount(uint8_t version, const roa::VrpDiff& diff);

}  // namespace rtr42::rtr

#endif  // RTR42_RTR_PAYLOAD_H_
