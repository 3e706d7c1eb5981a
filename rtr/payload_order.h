// The order of payload PDUs within one response, draft-ietf-sidrops-8210bis-27
// section 11.2, as a test a receiver can apply PDU by PDU: by PDU type
// (IPv4 Prefix 4, IPv6 Prefix 6, Router Key 9, ASPA 11); within a type
// announcements before withdrawals; then
//   prefixes:    announcements by address, max length, prefix length, ASN,
//                all descending; withdrawals by the same keys ascending;
//   Router Keys: SKI, SPKI length, SPKI, ASN, ascending (either flag);
//   ASPA:        customer ascending (either flag).
// The encoder (rtr/payload.h) writes this order by construction; the client
// (rtr/client.h) checks it in version 2 sessions and answers a violation with
// Ordering Error (11).
#ifndef RTR42_RTR_PAYLOAD_ORDER_H_
#define RTR42_RTR_PAYLOAD_ORDER_H_

#include "rtr/pdu.h"

namespace rtr42::rtr {

// True if the payload PDU `a` may come before `b` in one response (a total
// order: false for two equal PDUs).
bool PrecedesInResponse(const Pdu& a, const Pdu& b);

}  // namespace rtr42::rtr

#endif  // RTR42_RTR_PAYLOAD_ORDER_H_
