// Byte-level tests of the PDU layer, with vectors written from the PDU
// layouts of RFC 8210 section 5 and RFC 6810 section 5.
#include "rtr/pdu.h"

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace rtr42::rtr {
namespace {

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s.push_back(static_cast<char>(x));
  return s;
}

using ::rtr42::testing::V;

TEST(PduTest, EncodesEveryCachePdu) {
  std::string s;
  AppendSerialNotify(&s, 1, 0x1234, 0xa0b0c0d0);
  EXPECT_EQ(s, Bytes({1, 0, 0x12, 0x34, 0, 0, 0, 12, 0xa0, 0xb0, 0xc0, 0xd0}));
  s.clear();
  AppendCacheResponse(&s, 0, 0xbeef);
  EXPECT_EQ(s, Bytes({0, 3, 0xbe, 0xef, 0, 0, 0, 8}));
  s.clear();
  AppendPrefix(&s, 1, true, V("172.20.0.0/24", 28, 4242420000));
  EXPECT_EQ(s,
            Bytes({1, 4, 0, 0, 0, 0, 0, 20, 1, 24, 28, 0, 172, 20, 0, 0, 0xfc, 0xde, 0x31, 0x20}));
  s.clear();
  AppendPrefix(&s, 0, false, V("fd42::/48", 64, 65000));
  EXPECT_EQ(s, Bytes({0, 6, 0, 0, 0, 0, 0, 32, 0, 48, 64, 0, 0xfd, 0x42, 0,    0,
                      0, 0, 0, 0, 0, 0, 0, 0,  0, 0,  0,  0, 0,    0,    0xfd, 0xe8}));
  s.clear();
  AppendEndOfData(&s, 1, 7, 42, Timers{3600, 600, 7200});
  EXPECT_EQ(s, Bytes({1, 7, 0,    7,    0, 0, 0,    24,   0, 0, 0,    42,
                      0, 0, 0x0e, 0x10, 0, 0, 0x02, 0x58, 0, 0, 0x1c, 0x20}));
  s.clear();
  AppendEndOfData(&s, 0, 7, 42, Timers{});
  EXPECT_EQ(s, Bytes({0, 7, 0, 7, 0, 0, 0, 12, 0, 0, 0, 42}));
  s.clear();
  AppendCacheReset(&s, 1);
  EXPECT_EQ(s, Bytes({1, 8, 0, 0, 0, 0, 0, 8}));
  s.clear();
  AppendErrorReport(&s, 1, ErrorCode::kInvalidRequest, Bytes({1, 2, 0, 0, 0, 0, 0, 8}), "no");
  EXPECT_EQ(s, Bytes({1, 10, 0, 3, 0, 0, 0, 26, 0, 0, 0, 8,   1,
                      2, 0,  0, 0, 0, 0, 8, 0,  0, 0, 2, 'n', 'o'}));
}

TEST(PduTest, DecodesRouterQueries) {
  auto pdu = DecodePdu(Bytes({1, 1, 0x12, 0x34, 0, 0, 0, 12, 0, 0, 1, 0}));
  ASSERT_TRUE(std::holds_alternative<Pdu>(pdu));
  EXPECT_EQ(std::get<Pdu>(pdu).type, PduType::kSerialQuery);
  EXPECT_EQ(std::get<Pdu>(pdu).session_id, 0x1234);
  EXPECT_EQ(std::get<Pdu>(pdu).serial, 256u);
  pdu = DecodePdu(Bytes({0, 2, 0, 0, 0, 0, 0, 8}));
  ASSERT_TRUE(std::holds_alternative<Pdu>(pdu));
  EXPECT_EQ(std::get<Pdu>(pdu).type, PduType::kResetQuery);
  EXPECT_EQ(std::get<Pdu>(pdu).version, 0);
  // Found by fuzz/pdu_fuzz: a Reset Query whose reserved field is not zero
  // is still a Reset Query (the field is ignored, as other caches do), and
  // what we would send for it has the field zero.
  pdu = DecodePdu(Bytes({2, 2, 0, 1, 0, 0, 0, 8}));
  ASSERT_TRUE(std::holds_alternative<Pdu>(pdu));
  EXPECT_EQ(std::get<Pdu>(pdu).type, PduType::kResetQuery);
  std::string again;
  AppendResetQuery(&again, 2);
  EXPECT_EQ(again, Bytes({2, 2, 0, 0, 0, 0, 0, 8}));
}

TEST(PduTest, RoundTripsPrefixesEndOfDataAndErrorReports) {
  std::string s;
  AppendPrefix(&s, 1, true, V("fd42:4242:2601::/48", 64, 4242420010));
  auto pdu = DecodePdu(s);
  ASSERT_TRUE(std::holds_alternative<Pdu>(pdu));
  EXPECT_TRUE(std::get<Pdu>(pdu).announce);
  EXPECT_EQ(std::get<Pdu>(pdu).vrp, V("fd42:4242:2601::/48", 64, 4242420010));
  s.clear();
  AppendEndOfData(&s, 1, 9, 77, Timers{60, 30, 900});
  pdu = DecodePdu(s);
  ASSERT_TRUE(std::holds_alternative<Pdu>(pdu));
  EXPECT_TRUE(std::get<Pdu>(pdu).has_timers);
  EXPECT_EQ(std::get<Pdu>(pdu).timers, (Timers{60, 30, 900}));
  s.clear();
  AppendErrorReport(&s, 0, ErrorCode::kNoDataAvailable, "", "later");
  pdu = DecodePdu(s);
  ASSERT_TRUE(std::holds_alternative<Pdu>(pdu));
  EXPECT_EQ(std::get<Pdu>(pdu).error_code, ErrorCode::kNoDataAvailable);
  EXPECT_EQ(std::get<Pdu>(pdu).error_text, "later");
}

TEST(PduTest, ErrorReportWeSendFitsOldBirdAndNeverEncapsulatesAnErrorReport) {
  std::string s;
  AppendErrorReport(&s, 1, ErrorCode::kCorruptData, std::string(2000, 'x'), std::string(2000, 'y'));
  EXPECT_EQ(s.size(), kMaxSentErrorReportSize);
  EXPECT_TRUE(std::holds_alternative<Pdu>(DecodePdu(s)));
  std::string inner;
  AppendErrorReport(&inner, 1, ErrorCode::kCorruptData, "", "");
  s.clear();
  AppendErrorReport(&s, 1, ErrorCode::kCorruptData, inner, "t");
  EXPECT_TRUE(std::get<Pdu>(DecodePdu(s)).encapsulated.empty());
}

ErrorCode FrameError(const std::string& bytes) {
  auto framed = FramePdu(bytes);
  EXPECT_TRUE(std::holds_alternative<DecodeError>(framed));
  return std::holds_alternative<DecodeError>(framed) ? std::get<DecodeError>(framed).code
                                                     : ErrorCode::kInternalError;
}

TEST(PduTest, FramingNeedsWholePdus) {
  std::string s;
  AppendSerialQuery(&s, 1, 1, 1);
  for (size_t n = 0; n < s.size(); ++n) {
    EXPECT_EQ(std::get<size_t>(FramePdu(s.substr(0, n))), 0u) << n;
  }
  EXPECT_EQ(std::get<size_t>(FramePdu(s + s)), 12u);
}

TEST(PduTest, HeaderErrorsGetTheRfcCodes) {
  EXPECT_EQ(FrameError(Bytes({3, 2, 0, 0, 0, 0, 0, 8})), ErrorCode::kUnsupportedProtocolVersion);
  EXPECT_EQ(FrameError(Bytes({1, 5, 0, 0, 0, 0, 0, 8})), ErrorCode::kUnsupportedPduType);
  EXPECT_EQ(FrameError(Bytes({1, 11, 0, 0, 0, 0, 0, 8})), ErrorCode::kUnsupportedPduType);
  EXPECT_EQ(FrameError(Bytes({0, 9, 0, 0, 0, 0, 0, 40})), ErrorCode::kUnsupportedPduType);
  EXPECT_EQ(FrameError(Bytes({1, 2, 0, 0, 0, 0, 0, 7})), ErrorCode::kCorruptData);
  EXPECT_EQ(FrameError(Bytes({1, 2, 0, 0, 0, 0, 0, 12})), ErrorCode::kCorruptData);
  // 8210bis-27 section 5.1: no PDU exceeds 65,535 bytes, in any version.
  EXPECT_EQ(FrameError(Bytes({1, 10, 0, 0, 0, 1, 0, 0})), ErrorCode::kCorruptData);  // 65,536
  EXPECT_EQ(FrameError(Bytes({1, 10, 0, 0, 0xff, 0xff, 0xff, 0xff})), ErrorCode::kCorruptData);
  EXPECT_EQ(FrameError(Bytes({0, 7, 0, 0, 0, 0, 0, 24})), ErrorCode::kCorruptData);  // v0 EOD is 12
  // ASPA is a version 2 PDU only; it may be longer than 848 bytes.
  EXPECT_EQ(FrameError(Bytes({0, 11, 0, 0, 0, 0, 0, 16})), ErrorCode::kUnsupportedPduType);
  EXPECT_EQ(std::get<size_t>(FramePdu(Bytes({2, 11, 1, 0, 0, 0, 4, 0}) + std::string(1016, 0))),
            1024u);
  EXPECT_EQ(FrameError(Bytes({2, 11, 1, 0, 0, 4, 0, 0x10})), ErrorCode::kCorruptData);
}

TEST(PduTest, ErrorReportsUpTo65535BytesAreRead) {
  // BIRD 2.16 and later send Error Reports of up to 4 KiB.
  std::string text(65535 - 16, 't');
  std::string s =
      Bytes({2, 10, 0, 11, 0, 0, 0xff, 0xff, 0, 0, 0, 0}) + Bytes({0, 0, 0xff, 0xef}) + text;
  ASSERT_EQ(s.size(), 65535u);
  auto pdu = DecodePdu(s);
  ASSERT_TRUE(std::holds_alternative<Pdu>(pdu));
  EXPECT_EQ(std::get<Pdu>(pdu).error_code, ErrorCode::kOrderingError);
  EXPECT_EQ(std::get<Pdu>(pdu).error_text.size(), text.size());
}

TEST(PduTest, ReservedBitsAreIgnored) {
  // 8210bis section 5: reserved fields MUST be ignored on receipt.
  auto prefix = DecodePdu(
      Bytes({1, 4, 0xab, 0xcd, 0, 0, 0, 20, 0xf1, 24, 24, 0x55, 10, 0, 0, 0, 0, 0, 0, 1}));
  ASSERT_TRUE(std::holds_alternative<Pdu>(prefix));
  EXPECT_TRUE(std::get<Pdu>(prefix).announce);
  auto aspa = DecodePdu(Bytes({2, 11, 0xfe, 0x77, 0, 0, 0, 12, 0, 0, 0xfb, 0xf0}));
  ASSERT_TRUE(std::holds_alternative<Pdu>(aspa));
  EXPECT_FALSE(std::get<Pdu>(aspa).announce);
}

TEST(PduTest, ErrorCodesBelongToTheirVersions) {
  // 8210bis section 12 and 14: 0-7 in RFC 6810, 8 from RFC 8210, 9-13 new.
  EXPECT_TRUE(ErrorCodeInVersion(ErrorCode::kDuplicateAnnouncement, 0));
  EXPECT_FALSE(ErrorCodeInVersion(ErrorCode::kUnexpectedProtocolVersion, 0));
  EXPECT_TRUE(ErrorCodeInVersion(ErrorCode::kUnexpectedProtocolVersion, 1));
  EXPECT_FALSE(ErrorCodeInVersion(ErrorCode::kCacheRestart, 1));
  EXPECT_TRUE(ErrorCodeInVersion(ErrorCode::kCacheShutdown, 2));
  EXPECT_FALSE(ErrorCodeInVersion(static_cast<ErrorCode>(14), 2));
  EXPECT_EQ(ErrorCodeName(ErrorCode::kAspaProviderListError), "ASPA Provider List Error");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kTransportFailure), "Transport Failure");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kOrderingError), "Ordering Error");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kCacheRestart), "Cache Restart");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kCacheShutdown), "Cache Shutdown");
  EXPECT_EQ(ErrorCodeName(static_cast<ErrorCode>(99)), "unknown error code 99");
  EXPECT_FALSE(IsFatal(ErrorCode::kCacheRestart));
  EXPECT_TRUE(IsFatal(ErrorCode::kCacheShutdown));
  EXPECT_EQ(VersionMismatchCode(0), ErrorCode::kUnsupportedProtocolVersion);
  EXPECT_EQ(VersionMismatchCode(2), ErrorCode::kUnexpectedProtocolVersion);
}

// Vectors written from draft-ietf-sidrops-8210bis section 5.12: version 2,
// type 11, flags (bit 0: announce), zero, length, customer, providers.
TEST(PduTest, AspaVectors) {
  roa::Aspa aspa{64496, {64497, 4242420000}};
  std::string s;
  AppendAspa(&s, 2, true, aspa);
  EXPECT_EQ(s, Bytes({2,    11,   1, 0, 0,    0,    0,    20,   0,    0,
                      0xfb, 0xf0, 0, 0, 0xfb, 0xf1, 0xfc, 0xde, 0x31, 0x20}));
  auto pdu = DecodePdu(s);
  ASSERT_TRUE(std::holds_alternative<Pdu>(pdu));
  EXPECT_EQ(std::get<Pdu>(pdu).type, PduType::kAspa);
  EXPECT_TRUE(std::get<Pdu>(pdu).announce);
  EXPECT_EQ(std::get<Pdu>(pdu).aspa, aspa);
  // A withdrawal names the customer only.
  s.clear();
  AppendAspa(&s, 2, false, aspa);
  EXPECT_EQ(s, Bytes({2, 11, 0, 0, 0, 0, 0, 12, 0, 0, 0xfb, 0xf0}));
  pdu = DecodePdu(s);
  ASSERT_TRUE(std::holds_alternative<Pdu>(pdu));
  EXPECT_FALSE(std::get<Pdu>(pdu).announce);
  EXPECT_EQ(std::get<Pdu>(pdu).aspa, (roa::Aspa{64496, {}}));
  // A ragged length is Corrupt Data; the provider rules are the
  // receiver's, with code 9 (rtr/client.cc).
  auto bad_pdu = DecodePdu(Bytes({2, 11, 1, 0, 0, 0, 0, 14, 0, 0, 0, 1, 0, 0}));
  ASSERT_TRUE(std::holds_alternative<DecodeError>(bad_pdu));
  EXPECT_EQ(std::get<DecodeError>(bad_pdu).code, ErrorCode::kCorruptData);
}

TEST(PduTest, BodyErrorsAreCorruptData) {
  // Prefix longer than its max length.
  auto pdu = DecodePdu(Bytes({1, 4, 0, 0, 0, 0, 0, 20, 1, 24, 16, 0, 10, 0, 0, 0, 0, 0, 0, 1}));
  ASSERT_TRUE(std::holds_alternative<DecodeError>(pdu));
  EXPECT_EQ(std::get<DecodeError>(pdu).code, ErrorCode::kCorruptData);
  // Host bits.
  pdu = DecodePdu(Bytes({1, 4, 0, 0, 0, 0, 0, 20, 1, 8, 16, 0, 10, 0, 0, 1, 0, 0, 0, 1}));
  ASSERT_TRUE(std::holds_alternative<DecodeError>(pdu));
  // Error Report whose text length overruns.
  pdu = DecodePdu(Bytes({1, 10, 0, 0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 9}));
  ASSERT_TRUE(std::holds_alternative<DecodeError>(pdu));
  EXPECT_EQ(std::get<DecodeError>(pdu).code, ErrorCode::kCorruptData);
}

TEST(PduTest, Timers) {
  EXPECT_TRUE(ValidateTimers(Timers{}).ok());
  EXPECT_FALSE(ValidateTimers(Timers{0, 600, 7200}).ok());
  EXPECT_FALSE(ValidateTimers(Timers{3600, 7201, 7200}).ok());
  EXPECT_FALSE(ValidateTimers(Timers{3600, 600, 599}).ok());
  EXPECT_FALSE(ValidateTimers(Timers{3600, 600, 3600}).ok());
}

}  // namespace
}  // namespace rtr42::rtr
