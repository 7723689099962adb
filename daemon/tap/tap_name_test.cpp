// Name-pattern checks done before the kernel is asked (no root needed).
#include "tap/tap_device.h"

#include <gtest/gtest.h>

namespace netdext::tap {
namespace {

TEST(TapNamePattern, AcceptsPrefixesWithOneUnit) {
    for (const char *pattern :
         {"en%d", "nd%d", "dext_%d", "a.b-c%d", "%dx", "en7", "abcdefghijklm%d"})
        EXPECT_FALSE(TapDevice::validate_name_pattern(pattern).is_error()) << pattern;
}

TEST(TapNamePattern, RejectsWhatTheKernelWouldRejectOrMisuse) {
    for (const char *pattern : {"", "%d", "en%d%d", "en%s", "en%", "en%%d", "en 0", "en/0", "en:0",
                                ".", "..", "abcdefghijklmn%d", "abcdefghijklmnop"}) {
        auto result = TapDevice::validate_name_pattern(pattern);
        ASSERT_TRUE(result.is_error()) << pattern;
        EXPECT_TRUE(result.error().is(EINVAL)) << pattern;
    }
}

TEST(TapNamePattern, CreateRejectsBadPatternsBeforeOpeningTheDevice) {
    auto tap = TapDevice::create("en%d%d");
    ASSERT_TRUE(tap.is_error());
    EXPECT_TRUE(tap.error().is(EINVAL));
}

} // namespace
} // namespace netdext::tap
