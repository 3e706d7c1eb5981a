// The cache-side state machine, byte in and bytes out, with no sockets.
#include "rtr/session_logic.h"

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace rtr42::rtr {
namespace {

using ::rtr42::testing::V;

std::string Join(const Response& r) {
  std::string s;
  for (const Buffer& b : r) s += *b;
  return s;
}

// Splits a byte string into decoded PDUs; fails the test on a bad one.
std::vector<Pdu> Pdus(const std::string& bytes) {
  std::vector<Pdu> out;
  size_t pos = 0;
  while (pos < bytes.size()) {
    auto framed = FramePdu(absl::string_view(bytes).substr(pos));
    size_t n = std::get<size_t>(framed);
    EXPECT_GT(n, 0u);
    if (n == 0) break;
    out.push_back(std::get<Pdu>(DecodePdu(bytes.substr(pos, n))));
    pos += n;
  }
  return out;
}

std::string ResetQuery(uint8_t v) {
  std::string s;
  AppendResetQuery(&s, v);
  return s;
}
std::string SerialQuery(uint8_t v, uint16_t session, uint32_t serial) {
  std::string s;
  AppendSerialQuery(&s, v, session, serial);
  return s;
}

class SessionLogicTest : public ::testing::Test {
 protected:
  SessionLogicTest() : history_(4242) {
    Publish({V("172.20.0.0/24", 28, 1), V("fd42::/48", 64, 2)});
    Publish({V("172.20.0.0/24", 28, 1), V("172.21.0.0/24", 29, 3)});
  }
  void Publish(std::vector<roa::Vrp> vrps) {
    auto update = history_.Commit(std::make_shared<const roa::VrpSet>(std::move(vrps)), "");
    current_ = std::make_shared<EncodedUpdate>(update, Timers{});
  }
  SessionLogic::Action Send(const std::string& bytes) {
    logic_.Receive(bytes);
    return logic_.Next(current_.get());
  }
  // Expects exactly one Error Report with `code`, and returns it.
  Pdu ExpectError(const SessionLogic::Action& a, ErrorCode code, bool closes = true) {
    EXPECT_TRUE(a.handled);
    EXPECT_EQ(a.close, closes);
    std::vector<Pdu> pdus = Pdus(Join(a.send));
    EXPECT_EQ(pdus.size(), 1u);
    if (pdus.empty()) return Pdu{};
    EXPECT_EQ(pdus[0].type, PduType::kErrorReport);
    EXPECT_EQ(pdus[0].error_code, code) << ErrorCodeName(pdus[0].error_code);
    return pdus[0];
  }

  rtr::History history_;
  std::shared_ptr<EncodedUpdate> current_;
  SessionLogic logic_;
};

TEST_F(SessionLogicTest, ResetQueryGetsTheFullSet) {
  auto a = Send(ResetQuery(1));
  ASSERT_TRUE(a.handled);
  EXPECT_FALSE(a.close);
  std::vector<Pdu> pdus = Pdus(Join(a.send));
  ASSERT_EQ(pdus.size(), 4u);
  EXPECT_EQ(pdus[0].type, PduType::kCacheResponse);
  EXPECT_EQ(pdus[0].session_id, 4242);
  // 8210bis-27 section 11.2.1 (for every version): announcements by
  // address descending.
  EXPECT_EQ(pdus[1].vrp, V("172.21.0.0/24", 29, 3));
  EXPECT_TRUE(pdus[1].announce);
  EXPECT_EQ(pdus[2].vrp, V("172.20.0.0/24", 28, 1));
  EXPECT_EQ(pdus[3].type, PduType::kEndOfData);
  EXPECT_EQ(pdus[3].serial, 2u);
  EXPECT_TRUE(pdus[3].has_timers);
  for (const Pdu& p : pdus) EXPECT_EQ(p.version, 1);
}

TEST_F(SessionLogicTest, Version0ResetHasNoTimers) {
  std::vector<Pdu> pdus = Pdus(Join(Send(ResetQuery(0)).send));
  ASSERT_EQ(pdus.size(), 4u);
  EXPECT_FALSE(pdus[3].has_timers);
  for (const Pdu& p : pdus) EXPECT_EQ(p.version, 0);
}

TEST_F(SessionLogicTest, SerialQueryGetsTheDiff) {
  std::vector<Pdu> pdus = Pdus(Join(Send(SerialQuery(1, 4242, 1)).send));
  ASSERT_EQ(pdus.size(), 4u);
  // By type first (IPv4 before IPv6), then announcements before withdrawals.
  EXPECT_EQ(pdus[1].vrp, V("172.21.0.0/24", 29, 3));
  EXPECT_TRUE(pdus[1].announce);
  EXPECT_EQ(pdus[2].vrp, V("fd42::/48", 64, 2));
  EXPECT_FALSE(pdus[2].announce);
  EXPECT_EQ(pdus[3].serial, 2u);
}

TEST_F(SessionLogicTest, SerialQueryAtTheCurrentSerialIsEmpty) {
  std::vector<Pdu> pdus = Pdus(Join(Send(SerialQuery(1, 4242, 2)).send));
  ASSERT_EQ(pdus.size(), 2u);
  EXPECT_EQ(pdus[0].type, PduType::kCacheResponse);
  EXPECT_EQ(pdus[1].type, PduType::kEndOfData);
}

TEST_F(SessionLogicTest, UnknownSerialOrSessionGetsCacheReset) {
  std::vector<Pdu> pdus = Pdus(Join(Send(SerialQuery(1, 4242, 99)).send));
  ASSERT_EQ(pdus.size(), 1u);
  EXPECT_EQ(pdus[0].type, PduType::kCacheReset);
  SessionLogic fresh;
  fresh.Receive(SerialQuery(1, 1111, 2));
  auto a = fresh.Next(current_.get());
  EXPECT_FALSE(a.close);
  pdus = Pdus(Join(a.send));
  ASSERT_EQ(pdus.size(), 1u);
  EXPECT_EQ(pdus[0].type, PduType::kCacheReset);
}

TEST_F(SessionLogicTest, SessionIdChangeWithinAConnectionIsCorruptData) {
  Send(ResetQuery(1));
  ExpectError(Send(SerialQuery(1, 1111, 2)), ErrorCode::kCorruptData);
}

TEST_F(SessionLogicTest, NoDataAvailableBeforeAFirstSet) {
  logic_.Receive(ResetQuery(1));
  Pdu e = ExpectError(logic_.Next(nullptr), ErrorCode::kNoDataAvailable, /*closes=*/false);
  EXPECT_EQ(e.encapsulated, ResetQuery(1));
  EXPECT_EQ(Pdus(Join(Send(ResetQuery(1)).send)).size(), 4u);  // the session goes on
}

TEST_F(SessionLogicTest, HigherVersionGetsUnsupportedWithOurHighestAndMayRetry) {
  std::string v3 = ResetQuery(1);
  v3[0] = 3;
  Pdu e = ExpectError(Send(v3), ErrorCode::kUnsupportedProtocolVersion, /*closes=*/false);
  EXPECT_EQ(e.version, kMaxVersion);
  EXPECT_FALSE(logic_.version().has_value());
  // The router falls back on the same connection.
  std::vector<Pdu> pdus = Pdus(Join(Send(ResetQuery(0)).send));
  ASSERT_EQ(pdus.size(), 4u);
  EXPECT_EQ(pdus[0].version, 0);
}

TEST_F(SessionLogicTest, UnsupportedVersionPduArrivingInPiecesIsSkippedWhole) {
  std::string v3 = SerialQuery(1, 1, 1);
  v3[0] = 3;
  logic_.Receive(v3.substr(0, 9));
  ExpectError(logic_.Next(current_.get()), ErrorCode::kUnsupportedProtocolVersion, false);
  logic_.Receive(v3.substr(9) + ResetQuery(1));
  EXPECT_EQ(Pdus(Join(logic_.Next(current_.get()).send)).size(), 4u);
}

TEST_F(SessionLogicTest, MaxVersionZeroOffersOnlyVersion0) {
  SessionLogic v0_only(0);
  v0_only.Receive(ResetQuery(1));
  auto a = v0_only.Next(current_.get());
  std::vector<Pdu> pdus = Pdus(Join(a.send));
  ASSERT_EQ(pdus.size(), 1u);
  EXPECT_EQ(pdus[0].error_code, ErrorCode::kUnsupportedProtocolVersion);
  EXPECT_EQ(pdus[0].version, 0);
}

TEST_F(SessionLogicTest, OtherVersionLaterIsUnexpectedProtocolVersion) {
  Send(ResetQuery(1));
  Pdu e = ExpectError(Send(ResetQuery(0)), ErrorCode::kUnexpectedProtocolVersion);
  EXPECT_EQ(e.version, 1);
  std::string v2 = ResetQuery(1);
  v2[0] = 2;
  SessionLogic other;
  other.Receive(ResetQuery(1));
  other.Next(current_.get());
  other.Receive(v2);
  auto a = other.Next(current_.get());
  EXPECT_EQ(Pdus(Join(a.send))[0].error_code, ErrorCode::kUnexpectedProtocolVersion);
}

TEST_F(SessionLogicTest, Version0SessionHasNoUnexpectedVersionCode) {
  Send(ResetQuery(0));
  Pdu e = ExpectError(Send(ResetQuery(1)), ErrorCode::kUnsupportedProtocolVersion);
  EXPECT_EQ(e.version, 0);
}

TEST_F(SessionLogicTest, PduARouterNeverSendsIsInvalidRequest) {
  std::string s;
  AppendCacheResponse(&s, 1, 4242);
  Pdu e = ExpectError(Send(s), ErrorCode::kInvalidRequest);
  EXPECT_EQ(e.encapsulated, s);
  SessionLogic other;
  std::string notify;
  AppendSerialNotify(&notify, 1, 1, 1);
  other.Receive(notify);
  ExpectError(other.Next(current_.get()), ErrorCode::kInvalidRequest);
}

TEST_F(SessionLogicTest, UnknownTypeIsUnsupportedPduType) {
  ExpectError(Send(std::string("\x01\x05\0\0\0\0\0\x08", 8)), ErrorCode::kUnsupportedPduType);
  SessionLogic v0;
  v0.Receive(std::string("\x00\x09\0\0\0\0\0\x20", 8) + std::string(24, '\0'));
  ExpectError(v0.Next(current_.get()), ErrorCode::kUnsupportedPduType);
}

TEST_F(SessionLogicTest, BadLengthIsCorruptData) {
  ExpectError(Send(std::string("\x01\x02\0\0\0\0\0\x09", 8)), ErrorCode::kCorruptData);
  SessionLogic huge;
  huge.Receive(std::string("\x01\x02\0\0\x7f\0\0\0", 8));
  ExpectError(huge.Next(current_.get()), ErrorCode::kCorruptData);
}

TEST_F(SessionLogicTest, ErrorReportFromTheRouterEndsTheSessionSilently) {
  std::string s;
  AppendErrorReport(&s, 1, ErrorCode::kWithdrawalOfUnknownRecord, "", "bad");
  auto a = Send(s);
  EXPECT_TRUE(a.handled);
  EXPECT_TRUE(a.close);
  EXPECT_TRUE(a.send.empty());
  EXPECT_NE(a.event.find("6 (Withdrawal of Unknown Record): bad"), std::string::npos);
  EXPECT_EQ(logic_.phase(), SessionLogic::Phase::kClosed);
}

TEST_F(SessionLogicTest, ControlBytesInARoutersTextAreEscapedForTheLog) {
  std::string s;
  AppendErrorReport(&s, 1, ErrorCode::kInternalError, "", "x\x1b[2J\ny");
  auto a = Send(s);
  EXPECT_NE(a.event.find("x\\x1b[2J\\ny"), std::string::npos) << a.event;
  EXPECT_EQ(a.event.find('\x1b'), std::string::npos);
  EXPECT_EQ(a.event.find('\n'), std::string::npos);
}

TEST_F(SessionLogicTest, LongOrMalformedErrorReportsAreNeverAnswered) {
  // 8210bis section 5.8: an Error Report MUST NOT answer an Error Report.
  // BIRD 2.16+ sends up to 4 KiB; codes 9-13 are named.
  std::string text(4000, 'x');
  std::string big = std::string("\x02\x0a\x00\x0b", 4);
  uint32_t len = static_cast<uint32_t>(16 + text.size());
  for (int shift : {24, 16, 8, 0}) big.push_back(static_cast<char>(len >> shift));
  big += std::string("\0\0\0\0", 4);
  for (int shift : {24, 16, 8, 0}) big.push_back(static_cast<char>(text.size() >> shift));
  big += text;
  auto a = Send(big);
  EXPECT_TRUE(a.close);
  EXPECT_TRUE(a.send.empty());
  EXPECT_NE(a.event.find("11 (Ordering Error)"), std::string::npos) << a.event;
  // A broken one (text length overruns), and one in a fixed session of
  // another version, are not answered either.
  for (const std::string& prefix : {std::string(), ResetQuery(1)}) {
    SessionLogic logic;
    logic.Receive(prefix);
    logic.Next(current_.get());
    logic.Receive(std::string("\x02\x0a\0\0\0\0\0\x10\0\0\0\0\0\0\0\x09", 16));
    SessionLogic::Action b = logic.Next(current_.get());
    EXPECT_TRUE(b.close);
    EXPECT_TRUE(b.send.empty());
    EXPECT_FALSE(b.error_sent.has_value());
  }
}

TEST_F(SessionLogicTest, PhasesFollowTheSession) {
  EXPECT_EQ(logic_.phase(), SessionLogic::Phase::kNegotiating);
  Send(SerialQuery(2, 1, 1));  // another session id: Cache Reset
  EXPECT_EQ(logic_.phase(), SessionLogic::Phase::kEstablished);
  EXPECT_FALSE(logic_.WantsNotify(*current_));
  Send(ResetQuery(2));
  EXPECT_EQ(logic_.phase(), SessionLogic::Phase::kSynchronized);
}

TEST_F(SessionLogicTest, FarewellOnlyWhereTheVersionHasTheCode) {
  Send(ResetQuery(2));
  std::optional<Buffer> restart = logic_.Farewell(ErrorCode::kCacheRestart, "restarting");
  ASSERT_TRUE(restart.has_value());
  auto pdus = Pdus(**restart);
  ASSERT_EQ(pdus.size(), 1u);
  EXPECT_EQ(pdus[0].version, 2);
  EXPECT_EQ(pdus[0].error_code, ErrorCode::kCacheRestart);
  EXPECT_TRUE(pdus[0].encapsulated.empty());
  EXPECT_EQ(logic_.phase(), SessionLogic::Phase::kClosed);
  SessionLogic v1;
  v1.Receive(ResetQuery(1));
  v1.Next(current_.get());
  EXPECT_FALSE(v1.Farewell(ErrorCode::kCacheShutdown, "bye").has_value());
  SessionLogic silent;  // never said a word: no version, nothing to send
  EXPECT_FALSE(silent.Farewell(ErrorCode::kCacheShutdown, "bye").has_value());
}

TEST_F(SessionLogicTest, QueryArrivingByteByByte) {
  std::string q = SerialQuery(1, 4242, 1);
  for (size_t i = 0; i + 1 < q.size(); ++i) {
    logic_.Receive(q.substr(i, 1));
    EXPECT_FALSE(logic_.Next(current_.get()).handled);
  }
  logic_.Receive(q.substr(q.size() - 1));
  EXPECT_EQ(Pdus(Join(logic_.Next(current_.get()).send)).size(), 4u);
}

TEST_F(SessionLogicTest, SeveralQueriesInOneReadAreAnsweredOneByOne) {
  logic_.Receive(ResetQuery(1) + SerialQuery(1, 4242, 2));
  EXPECT_EQ(Pdus(Join(logic_.Next(current_.get()).send)).size(), 4u);
  EXPECT_EQ(Pdus(Join(logic_.Next(current_.get()).send)).size(), 2u);
  EXPECT_FALSE(logic_.Next(current_.get()).handled);
}

TEST_F(SessionLogicTest, NotifyOnlyAfterTheRouterHasDataAndOnlyForNewSerials) {
  EXPECT_FALSE(logic_.WantsNotify(*current_));
  Send(ResetQuery(1));
  EXPECT_FALSE(logic_.WantsNotify(*current_));
  Publish({V("10.0.0.0/8", 24, 7)});
  EXPECT_TRUE(logic_.WantsNotify(*current_));
  logic_.MarkNotified(current_->serial());
  EXPECT_FALSE(logic_.WantsNotify(*current_));
}

// ASPA (version 2): serial 1 has AS64496 and AS64500; serial 2 changes the
// providers of AS64496, drops AS64500 and adds AS64510; the prefixes stay.
class AspaSessionTest : public ::testing::Test {
 protected:
  AspaSessionTest() : history_(4242) {
    Publish({{64496, {64497}}, {64500, {64501, 64502}}});
    Publish({{64496, {64497, 64498}}, {64510, {64511}}});
  }
  void Publish(std::vector<roa::Aspa> aspas) {
    auto set = std::make_shared<const roa::VrpSet>(std::vector<roa::Vrp>{V("172.20.0.0/24", 28, 1)},
                                                   std::move(aspas));
    current_ = std::make_shared<EncodedUpdate>(history_.Commit(set, ""), Timers{});
  }
  std::vector<Pdu> Send(const std::string& bytes, size_t* count = nullptr) {
    logic_.Receive(bytes);
    SessionLogic::Action a = logic_.Next(current_.get());
    if (count) *count = a.pdus;
    return Pdus(Join(a.send));
  }
  rtr::History history_;
  std::shared_ptr<EncodedUpdate> current_;
  SessionLogic logic_;
};

TEST_F(AspaSessionTest, Version2ResetCarriesAspaAfterThePrefixes) {
  size_t count = 0;
  std::vector<Pdu> pdus = Send(ResetQuery(2), &count);
  ASSERT_EQ(pdus.size(), 5u);
  EXPECT_EQ(count, 5u);
  EXPECT_EQ(pdus[1].type, PduType::kIpv4Prefix);
  EXPECT_EQ(pdus[2].type, PduType::kAspa);
  EXPECT_EQ(pdus[2].aspa, (roa::Aspa{64496, {64497, 64498}}));
  EXPECT_TRUE(pdus[2].announce);
  EXPECT_EQ(pdus[3].aspa, (roa::Aspa{64510, {64511}}));
  for (const Pdu& p : pdus) EXPECT_EQ(p.version, 2);
}

TEST_F(AspaSessionTest, Version2DiffReplacesChangedRecordsWithOneAnnouncement) {
  size_t count = 0;
  std::vector<Pdu> pdus = Send(SerialQuery(2, 4242, 1), &count);
  ASSERT_EQ(pdus.size(), 5u);
  EXPECT_EQ(count, 5u);
  // 8210bis-27 section 5.12: a changed record (64496) is one announcement
  // that replaces it; only a customer that is gone (64500) is withdrawn, with
  // no providers. Section 11.2.3: announcements, then withdrawals, each by
  // customer.
  EXPECT_TRUE(pdus[1].announce);
  EXPECT_EQ(pdus[1].aspa, (roa::Aspa{64496, {64497, 64498}}));
  EXPECT_TRUE(pdus[2].announce);
  EXPECT_EQ(pdus[2].aspa, (roa::Aspa{64510, {64511}}));
  EXPECT_FALSE(pdus[3].announce);
  EXPECT_EQ(pdus[3].aspa, (roa::Aspa{64500, {}}));
  EXPECT_EQ(pdus[4].type, PduType::kEndOfData);
}

TEST_F(AspaSessionTest, Version1And0SessionsNeverSeeAspa) {
  for (uint8_t v : {0, 1}) {
    SessionLogic logic;
    logic.Receive(ResetQuery(v));
    std::vector<Pdu> pdus = Pdus(Join(logic.Next(current_.get()).send));
    ASSERT_EQ(pdus.size(), 3u) << int(v);
    for (const Pdu& p : pdus) EXPECT_NE(p.type, PduType::kAspa);
    SessionLogic serial;
    serial.Receive(SerialQuery(v, 4242, 1));
    SessionLogic::Action a = serial.Next(current_.get());
    EXPECT_EQ(Pdus(Join(a.send)).size(), 2u) << "an ASPA-only change is empty below v2";
    EXPECT_EQ(a.pdus, 2u);
  }
}

TEST_F(AspaSessionTest, AspaFromARouterIsInvalidRequest) {
  std::string aspa;
  AppendAspa(&aspa, 2, true, {64496, {64497}});
  logic_.Receive(aspa);
  std::vector<Pdu> pdus = Pdus(Join(logic_.Next(current_.get()).send));
  ASSERT_EQ(pdus.size(), 1u);
  EXPECT_EQ(pdus[0].error_code, ErrorCode::kInvalidRequest);
  // Type 11 in a version 1 PDU is not part of that version.
  SessionLogic v1;
  aspa[0] = 1;
  v1.Receive(aspa);
  pdus = Pdus(Join(v1.Next(current_.get()).send));
  ASSERT_EQ(pdus.size(), 1u);
  EXPECT_EQ(pdus[0].error_code, ErrorCode::kUnsupportedPduType);
}

}  // namespace
}  // namespace rtr42::rtr
