#include "rtr/notify_pacer.h"

#include <gtest/gtest.h>

namespace rtr42::rtr {
namespace {

using std::chrono::seconds;

TEST(NotifyPacerTest, FirstNotifyAtOnceThenOncePerMinute) {
  NotifyPacer pacer;  // RFC 8210 section 8.2: one minute
  NotifyPacer::Clock::time_point t0{seconds(1000)};
  EXPECT_EQ(pacer.NextAllowed(t0), t0);
  pacer.Sent(t0);
  // A change 5 s later waits for the end of the minute, exactly.
  EXPECT_EQ(pacer.NextAllowed(t0 + seconds(5)), t0 + seconds(60));
  EXPECT_EQ(pacer.NextAllowed(t0 + seconds(59)), t0 + seconds(60));
  EXPECT_EQ(pacer.NextAllowed(t0 + seconds(60)), t0 + seconds(60));
  pacer.Sent(t0 + seconds(60));
  // After a quiet minute the next change goes out at once.
  EXPECT_EQ(pacer.NextAllowed(t0 + seconds(200)), t0 + seconds(200));
}

}  // namespace
}  // namespace rtr42::rtr
