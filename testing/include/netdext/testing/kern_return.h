/*
 * netdext/testing/kern_return.h — GoogleTest assertions that print kern_return_t values by name.
 *
 * kern_return_t is an int, so EXPECT_EQ(bench.start(), kIOReturnSuccess) reports a failure as
 * "-536870160". These say "bench.start() returned kIOReturnNotFound (0xe00002f0), expected
 * kIOReturnSuccess (0x00000000)":
 *
 *   EXPECT_KERN_SUCCESS(bench.start());
 *   ASSERT_KERN_SUCCESS(bench.set_interface_enable(true));
 *   EXPECT_KERN_EQ(kIOReturnBadArgument, bench.set_mtu(9001));
 *   ASSERT_KERN_EQ(kIOReturnNotReady, bench.stop());
 *
 * Header-only; include it after <gtest/gtest.h> in a test that links NetDext::testbench (or
 * NetDext::driverkit, for netdext::describe_return).
 */
#ifndef NETDEXT_TESTING_KERN_RETURN_H
#define NETDEXT_TESTING_KERN_RETURN_H

#include <gtest/gtest.h>

#include <DriverKit/IOReturn.h>
#include <netdext/runtime.h>

namespace netdext::testing {

inline ::testing::AssertionResult kern_return_equal(const char *expected_text,
                                                    const char *actual_text,
                                                    kern_return_t expected, kern_return_t actual) {
    if (expected == actual)
        return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << actual_text << " returned " << describe_return(actual) << ", expected "
           << describe_return(expected)
           << (ioreturn_name(expected) == nullptr ? std::string(" (") + expected_text + ")"
                                                  : std::string());
}

} // namespace netdext::testing

#define EXPECT_KERN_EQ(expected, actual)                                                          \
    EXPECT_PRED_FORMAT2(::netdext::testing::kern_return_equal, expected, actual)
#define ASSERT_KERN_EQ(expected, actual)                                                          \
    ASSERT_PRED_FORMAT2(::netdext::testing::kern_return_equal, expected, actual)
#define EXPECT_KERN_SUCCESS(actual) EXPECT_KERN_EQ(kIOReturnSuccess, actual)
#define ASSERT_KERN_SUCCESS(actual) ASSERT_KERN_EQ(kIOReturnSuccess, actual)

#endif
