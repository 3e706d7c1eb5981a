#include "rtr/payload.h"

#include <algorithm>

namespace rtr42::rtr {
namespace {

// How many diff payloads an update keeps; beyond that the one from the
// lowest serial is dropped (it is rebuilt if asked for again).
constexpr size_t kMaxCachedDiffs = 64;

Buffer Make(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

}  // namespace

size_t ResponseSize(const Response& response) {
  size_t n = 0;
  for (const Buffer& b : response) n += b->size();
  return n;
}

const Buffer& CacheResetPdu(uint8_t version) {
  static const std::array<Buffer, kMaxVersion + 1> pdus = [] {
    std::array<Buffer, kMaxVersion + 1> out;
    for (uint8_t v = 0; v <= kMaxVersion; ++v) {
      std::string s;
      AppendCacheReset(&s, v);
      out[v] = Make(std::move(s));
    }
    return out;
  }();
  return pdus[version];
}

namespace {

// The IPv4 part of a sorted VRP vector ends where IPv6 begins.
std::vector<roa::Vrp>::const_iterator Ipv6Begin(const std::vector<roa::Vrp>& vrps) {
  return std::partition_point(vrps.begin(), vrps.end(),
                              [](const roa::Vrp& v) { return v.prefix.is_ipv4(); });
}

// Announcements in descending order (the reverse of the sorted vector), then
// withdrawals in ascending order: 8210bis-27 section 11.2.1.
void AppendPrefixes(std::string* out, uint8_t version,
                    std::vector<roa::Vrp>::const_iterator announced_begin,
                    std::vector<roa::Vrp>::const_iterator announced_end,
                    std::vector<roa::Vrp>::const_iterator withdrawn_begin,
                    std::vector<roa::Vrp>::const_iterator withdrawn_end) {
  for (auto it = announced_end; it != announced_begin;) AppendPrefix(out, version, true, *--it);
  for (auto it = withdrawn_begin; it != withdrawn_end; ++it) AppendPrefix(out, version, false, *it);
}

}  // namespace

AspaChanges AspaWireChanges(const roa::VrpDiff& diff) {
  AspaChanges out;
  out.announced = &diff.aspa_announced;
  // Both lists are sorted by customer: a withdrawn record whose customer is
  // announced again is replaced by that announcement, not withdrawn.
  auto ann = diff.aspa_announced.begin();
  for (const roa::Aspa& a : diff.aspa_withdrawn) {
    while (ann != diff.aspa_announced.end() && ann->customer < a.customer) ++ann;
    if (ann == diff.aspa_announced.end() || ann->customer != a.customer) {
      out.withdrawn.push_back(a.customer);
    }
  }
  return out;
}

size_t DiffPduCount(uint8_t version, const roa::VrpDiff& diff) {
  size_t n = diff.announced.size() + diff.withdrawn.size();
  if (version >= 1) n += diff.key_announced.size() + diff.key_withdrawn.size();
  if (version >= 2) {
    AspaChanges aspa = AspaWireChanges(diff);
    n += aspa.announced->size() + aspa.withdrawn.size();
  }
  return n;
}

std::string EncodeDiff(uint8_t version, const roa::VrpDiff& diff) {
  std::string out;
  out.reserve(diff.size() * 24);
  auto ann6 = Ipv6Begin(diff.announced);
  auto wd6 = Ipv6Begin(diff.withdrawn);
  AppendPrefixes(&out, version, diff.announced.begin(), ann6, diff.withdrawn.begin(), wd6);
  AppendPrefixes(&out, version, ann6, diff.announced.end(), wd6, diff.withdrawn.end());
  if (version >= 1) {
    // Section 11.2.2: Router Keys, announcements then withdrawals, each by
    // SKI, SPKI length, SPKI, ASN (roa::RouterKey's order).
    for (const roa::RouterKey& k : diff.key_announced) AppendRouterKey(&out, version, true, k);
    for (const roa::RouterKey& k : diff.key_withdrawn) AppendRouterKey(&out, version, false, k);
  }
  if (version >= 2) {
    // Section 11.2.3: announcements (new or replacing records) by customer,
    // then withdrawals of customers that are gone, by customer.
    AspaChanges aspa = AspaWireChanges(diff);
    for (const roa::Aspa& a : *aspa.announced) AppendAspa(&out, version, true, a);
    for (uint32_t customer : aspa.withdrawn) AppendAspa(&out, version, false, {customer, {}});
  }
  return out;
}

std::string EncodeFullSet(uint8_t version, const roa::VrpSet& set) {
  std::string out;
  out.reserve(set.ipv4_count() * 20 + set.ipv6_count() * 32);
  const std::vector<roa::Vrp>& vrps = set.vrps();
  auto v6 = vrps.begin() + static_cast<std::ptrdiff_t>(set.ipv4_count());
  AppendPrefixes(&out, version, vrps.begin(), v6, vrps.end(), vrps.end());
  AppendPrefixes(&out, version, v6, vrps.end(), vrps.end(), vrps.end());
  if (version >= 1) {
    for (const roa::RouterKey& k : set.router_keys()) AppendRouterKey(&out, version, true, k);
  }
  if (version >= 2) {
    for (const roa::Aspa& a : set.aspas()) AppendAspa(&out, version, true, a);
  }
  return out;
}

EncodedUpdate::EncodedUpdate(std::shared_ptr<const rtr::Update> update, Timers timers)
    : update_(std::move(update)) {
  for (uint8_t v = 0; v <= kMaxVersion; ++v) {
    std::string s;
    AppendCacheResponse(&s, v, session_id());
    cache_response_[v] = Make(std::move(s));
    s.clear();
    AppendEndOfData(&s, v, session_id(), serial(), timers);
    end_of_data_[v] = Make(std::move(s));
    s.clear();
    AppendSerialNotify(&s, v, session_id(), serial());
    notify_[v] = Make(std::move(s));
  }
}

Response EncodedUpdate::FullResponse(uint8_t version) const {
  PerVersion& pv = per_version_[version];
  std::call_once(pv.full_once, [&] { pv.full = Make(EncodeFullSet(version, update_->set())); });
  return Response{cache_response_[version], pv.full, end_of_data_[version]};
}

std::optional<Response> EncodedUpdate::DiffResponse(uint8_t version, uint32_t serial,
                                                    size_t* pdus) const {
  if (!update_->HasSerial(serial)) return std::nullopt;
  PerVersion& pv = per_version_[version];
  Buffer body;
  size_t count = 0;
  {
    absl::MutexLock lock(&pv.diffs_mutex);
    if (auto it = pv.diffs.find(serial); it != pv.diffs.end()) std::tie(body, count) = it->second;
  }
  if (!body) {
    // Built outside the lock; two sessions racing build the same bytes.
    std::optional<roa::VrpDiff> diff = update_->DiffFrom(serial);
    if (!diff) return std::nullopt;
    body = Make(EncodeDiff(version, *diff));
    count = DiffPduCount(version, *diff);
    absl::MutexLock lock(&pv.diffs_mutex);
    if (pv.diffs.size() >= kMaxCachedDiffs) pv.diffs.erase(pv.diffs.begin());
    pv.diffs.emplace(serial, std::make_pair(body, count));
  }
  if (pdus) *pdus = count + 2;
  return Response{cache_response_[version], body, end_of_data_[version]};
}

}  // namespace rtr42::rtr
