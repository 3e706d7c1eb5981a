#include "rtr/payload.h"

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

std::string EncodeDiff(uint8_t version, const roa::VrpDiff& diff) {
  std::string out;
  out.reserve(diff.size() * 24);
  for (const roa::Vrp& v : diff.withdrawn) AppendPrefix(&out, version, false, v);
  for (const roa::Vrp& v : diff.announced) AppendPrefix(&out, version, true, v);
  if (version >= 2) {
    // A changed record is its old form withdrawn, then the new announced.
    for (const roa::Aspa& a : diff.aspa_withdrawn) AppendAspa(&out, version, false, a);
    for (const roa::Aspa& a : diff.aspa_announced) AppendAspa(&out, version, true, a);
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
  std::call_once(pv.full_once, [&] {
    std::string out;
    const auto& vrps = update_->set().vrps();
    out.reserve(update_->set().ipv4_count() * 20 + update_->set().ipv6_count() * 32);
    for (const roa::Vrp& v : vrps) AppendPrefix(&out, version, true, v);
    if (version >= 2) {
      for (const roa::Aspa& a : update_->set().aspas()) AppendAspa(&out, version, true, a);
    }
    pv.full = Make(std::move(out));
  });
  return Response{cache_response_[version], pv.full, end_of_data_[version]};
}

std::optional<Response> EncodedUpdate::DiffResponse(uint8_t version, uint32_t serial,
                                                    size_t* pdus) const {
  if (!update_->HasSerial(serial)) return std::nullopt;
  PerVersion& pv = per_version_[version];
  Buffer body;
  size_t count = 0;
  {
    std::lock_guard lock(pv.diffs_mutex);
    if (auto it = pv.diffs.find(serial); it != pv.diffs.end()) std::tie(body, count) = it->second;
  }
  if (!body) {
    // Built outside the lock; two sessions racing build the same bytes.
    std::optional<roa::VrpDiff> diff = update_->DiffFrom(serial);
    if (!diff) return std::nullopt;
    body = Make(EncodeDiff(version, *diff));
    count = version >= 2 ? diff->size() : diff->announced.size() + diff->withdrawn.size();
    std::lock_guard lock(pv.diffs_mutex);
    if (pv.diffs.size() >= kMaxCachedDiffs) pv.diffs.erase(pv.diffs.begin());
    pv.diffs.emplace(serial, std::make_pair(body, count));
  }
  if (pdus) *pdus = count + 2;
  return Response{cache_response_[version], body, end_of_data_[version]};
}

}  // namespace rtr42::rtr
