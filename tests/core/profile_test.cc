#include "core/profile.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

namespace seek {
namespace {

// core_test calls nothing else that reads SEEK_PROFILE, so setting it here
// (before the first Enabled()) turns the profiler on for this binary.
TEST(Profile, ScopesAddUpByNameLongestFirst) {
  ::setenv("SEEK_PROFILE", "1", 1);
  ASSERT_TRUE(profile::Enabled());
  profile::Reset();
  for (int i = 0; i < 3; ++i) {
    PROFILE_SCOPE("short phase");
  }
  {
    PROFILE_SCOPE("long phase");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const std::string r = profile::Report();
  const size_t long_at = r.find("long phase"), short_at = r.find("short phase");
  ASSERT_NE(long_at, std::string::npos) << r;
  ASSERT_NE(short_at, std::string::npos) << r;
  EXPECT_LT(long_at, short_at) << "longest first:\n" << r;
  EXPECT_NE(r.find("        3\n", short_at), std::string::npos) << "three calls:\n" << r;
  profile::Reset();
  EXPECT_EQ(profile::Report().find("long phase"), std::string::npos);
}

}  // namespace
}  // namespace seek
