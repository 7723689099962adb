// netdext/format_check.h: IOLog / os_log formats checked by Darwin's rules at compile time.
// The checks are constexpr, so most of this file is static_asserts; the behaviour under Clang
// (a -Wuser-defined-warnings warning at the call) is exercised by the Apple-style drivers,
// which build with -Wall -Werror.
#include <gtest/gtest.h>

#include <DriverKit/IOLib.h>
#include <netdext/format_check.h>
#include <os/log.h>

#include <cstddef>
#include <cstdint>

using netdext::format::format_matches;

namespace {

enum SmallEnum { kSmall = 1 };

// What Apple-style drivers write, which Linux's printf checking would reject.
static_assert(format_matches<uint64_t>("%llu"));
static_assert(format_matches<uint64_t>("%lu"));
static_assert(format_matches<int64_t, size_t>("%lld %zu"));
static_assert(format_matches<uint32_t, int, SmallEnum, bool>("%u %d %x %d"));
static_assert(format_matches<const char *, void *, double>("%s %p %.2f"));
static_assert(format_matches<const char *>("%{public}s\n"));
static_assert(format_matches<int, const char *>("%{bool}d %{private, mask.hash}s"));
static_assert(format_matches<int, const char *>("%-*s"));
static_assert(format_matches<int, const void *>("%.*P"));
static_assert(format_matches<>("100%% done: %m\n"));
static_assert(format_matches<uint8_t, uint16_t>("%hhu %hx"));
static_assert(format_matches<unsigned long long>("%qu"));
static_assert(format_matches<std::nullptr_t>("%p"));
static_assert(format_matches<const wchar_t *, unsigned>("%ls %lc"));

// What Apple's Clang warns about too.
static_assert(!format_matches<uint32_t>("%llu"), "32-bit value, 64-bit conversion");
static_assert(!format_matches<uint64_t>("%u"), "64-bit value, 32-bit conversion");
static_assert(!format_matches<int>("%s"), "an integer for a string");
static_assert(!format_matches<int>("%p"), "an integer for a pointer");
static_assert(!format_matches<double>("%d"), "a double for an integer");
static_assert(!format_matches<>("%d"), "too few arguments");
static_assert(!format_matches<int, int>("%d"), "too many arguments");
static_assert(!format_matches<int>("%{public"), "an unterminated annotation");
static_assert(!format_matches<int>("%y"), "an unknown conversion");
static_assert(!format_matches<int>("%"), "a lone %");

TEST(FormatCheck, AppleStyleCallsCompileAndLog) {
    uint64_t bytes = 1ull << 40;
    uint32_t count = 3;
    // These compile warning-free under Clang with -Wall -Werror (this file is built so).
    IOLog("%llu bytes, %u packets\n", bytes, count);
    os_log(OS_LOG_DEFAULT, "%{public}s: %llu bytes at %p\n", "rx", bytes, &count);
    EXPECT_EQ(netdext_IOLog("%d", 1), 1);
}

} // namespace
