// The RTR PDU layer and the cache's session state machine on router input.
// Every PDU FramePdu() accepts must decode or fail cleanly, a decoded PDU
// must survive re-encoding where rtr42 has an encoder for it, and the
// session logic must answer any byte stream without crashing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <variant>

#include "absl/strings/string_view.h"
#include "rtr/history.h"
#include "rtr/payload.h"
#include "rtr/pdu.h"
#include "rtr/session_logic.h"

namespace {

using namespace rtr42;

std::shared_ptr<const rtr::EncodedUpdate> Update() {
  static std::shared_ptr<const rtr::EncodedUpdate> update = [] {
    rtr::History history(42);
    std::vector<roa::Vrp> vrps = {
        {*roa::Prefix::Parse("172.20.0.0/24"), 28, 4242420000},
        {*roa::Prefix::Parse("fd42::/48"), 64, 4242420001},
    };
    history.Commit(std::make_shared<const roa::VrpSet>(vrps), "a");
    vrps.pop_back();
    auto u = history.Commit(std::make_shared<const roa::VrpSet>(
                                vrps, std::vector<roa::Aspa>{{4242420000, {4242420001}}}),
                            "b");
    return std::make_shared<const rtr::EncodedUpdate>(u, rtr::Timers{});
  }();
  return update;
}

// decode(encode(pdu)) must give the same fields back (reserved bits a router
// sets are ignored, so the bytes themselves may differ).
void CheckRoundTrip(const rtr::Pdu& pdu) {
  std::string out;
  switch (pdu.type) {
    case rtr::PduType::kSerialQuery:
      rtr::AppendSerialQuery(&out, pdu.version, pdu.session_id, pdu.serial);
      break;
    case rtr::PduType::kResetQuery:
      rtr::AppendResetQuery(&out, pdu.version);
      break;
    case rtr::PduType::kSerialNotify:
      rtr::AppendSerialNotify(&out, pdu.version, pdu.session_id, pdu.serial);
      break;
    case rtr::PduType::kIpv4Prefix:
    case rtr::PduType::kIpv6Prefix:
      rtr::AppendPrefix(&out, pdu.version, pdu.announce, pdu.vrp);
      break;
    default:
      return;
  }
  std::variant<rtr::Pdu, rtr::DecodeError> again = rtr::DecodePdu(out);
  const rtr::Pdu* p = std::get_if<rtr::Pdu>(&again);
  if (p == nullptr || p->type != pdu.type || p->version != pdu.version ||
      p->session_id != pdu.session_id || p->serial != pdu.serial || p->announce != pdu.announce ||
      !(p->vrp == pdu.vrp))
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  // The PDU layer alone.
  absl::string_view rest = input;
  while (!rest.empty()) {
    std::variant<size_t, rtr::DecodeError> framed = rtr::FramePdu(rest);
    if (std::holds_alternative<rtr::DecodeError>(framed)) break;
    size_t n = std::get<size_t>(framed);
    if (n == 0) break;
    if (n > rest.size()) std::abort();
    std::variant<rtr::Pdu, rtr::DecodeError> pdu = rtr::DecodePdu(rest.substr(0, n));
    if (auto* p = std::get_if<rtr::Pdu>(&pdu)) CheckRoundTrip(*p);
    rest.remove_prefix(n);
  }
  // The session state machine, fed in two chunks.
  for (uint8_t max_version : {uint8_t{1}, rtr::kMaxVersion}) {
    rtr::SessionLogic logic(max_version);
    logic.Receive(input.substr(0, size / 2));
    for (int i = 0; i < 64; ++i) {
      rtr::SessionLogic::Action a = logic.Next(Update().get());
      if (!a.handled || a.close) break;
    }
    logic.Receive(input.substr(size / 2));
    for (int i = 0; i < 64; ++i) {
      rtr::SessionLogic::Action a = logic.Next(i % 2 ? nullptr : Update().get());
      if (!a.handled || a.close) break;
    }
  }
  return 0;
}
