// IOLib: allocation contracts, locks, crc32, byte order, delays, Mach time, OSReportWithBacktrace.
#include <DriverKit/IOLib.h>
#include <netdext/runtime.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

void use_threadsafe_death_tests() {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
}

bool is_aligned(const void *p, uintptr_t alignment) {
    return (reinterpret_cast<uintptr_t>(p) & (alignment - 1)) == 0;
}

// Drivers guard newer calls with Apple clang's run-time check; every DriverKit version's API is
// here, so the check compiles with both compilers and always passes.
TEST(AvailabilityTest, BuiltinAvailableSucceedsForEveryDriverKitVersion) {
    int taken = 0;
    if (__builtin_available(driverkit 19.0, *))
        ++taken;
    if (__builtin_available(macOS 15.0, driverkit 24.0, *))
        ++taken;
    if (__builtin_available(driverkit 99.0, *))
        ++taken;
    EXPECT_EQ(taken, 3);
}

TEST(IOMallocTest, RoundTripKeepsSixteenByteAlignment) {
    for (size_t size :
         {size_t{1}, size_t{7}, size_t{16}, size_t{100}, size_t{4096}, size_t{1} << 20}) {
        auto *p = static_cast<unsigned char *>(IOMalloc(size));
        ASSERT_NE(p, nullptr) << size;
        EXPECT_TRUE(is_aligned(p, 16)) << size;
        memset(p, 0xA5, size);
        IOFree(p, size);
    }
    void *empty = IOMalloc(0);
    EXPECT_NE(empty, nullptr) << "IOMalloc(0) returns a unique pointer";
    IOFree(empty, 0);
    IOFree(nullptr, 123); // no-op
}

TEST(IOMallocTest, HugeRequestsFail) {
    EXPECT_EQ(IOMalloc(SIZE_MAX), nullptr);
    EXPECT_EQ(IOMallocZero(SIZE_MAX - 4), nullptr);
    EXPECT_EQ(IOMallocAligned(SIZE_MAX - 8, 64), nullptr);
}

// DriverKit 23.4's typed entry points are the same heap: IOFree takes their memory, and the
// zeroing variant zeroes.
TEST(IOMallocTest, TypedAllocationIsTheSameHeap) {
    void *dirty = IOMallocTyped(256, 0x1234);
    ASSERT_NE(dirty, nullptr);
    memset(dirty, 0xAB, 256);
    IOFree(dirty, 256);
    auto *p = static_cast<unsigned char *>(IOMallocZeroTyped(256, 0x1234));
    ASSERT_NE(p, nullptr);
    for (size_t i = 0; i < 256; ++i)
        ASSERT_EQ(p[i], 0) << i;
    IOFree(p, 256);
}

TEST(IOMallocTest, IOMallocZeroZeroes) {
    for (int round = 0; round < 8; ++round) {
        // Dirty the heap first so a recycled block would show old bytes.
        void *dirty = IOMalloc(512);
        memset(dirty, 0xFF, 512);
        IOFree(dirty, 512);
        auto *p = static_cast<unsigned char *>(IOMallocZero(512));
        ASSERT_NE(p, nullptr);
        for (size_t i = 0; i < 512; ++i)
            ASSERT_EQ(p[i], 0) << i;
        IOFree(p, 512);
    }
}

TEST(IOMallocTest, AlignedAllocation) {
    for (size_t alignment : {size_t{0}, size_t{1}, size_t{8}, size_t{64}, size_t{4096}}) {
        void *p = IOMallocAligned(100, alignment);
        ASSERT_NE(p, nullptr) << alignment;
        EXPECT_TRUE(is_aligned(p, alignment ? alignment : 1)) << alignment;
        memset(p, 1, 100);
        IOFreeAligned(p, 100);
    }
    EXPECT_EQ(IOMallocAligned(100, 48), nullptr) << "alignment must be a power of two";
    IOFreeAligned(nullptr, 10);
}

TEST(IOMallocTest, IONewIsOverflowChecked) {
    struct Big {
        uint64_t words[4];
    };
    EXPECT_EQ(IONew(Big, SIZE_MAX / 8), nullptr);
    EXPECT_EQ(IONewZero(uint32_t, SIZE_MAX / 2), nullptr);

    uint32_t *values = IONewZero(uint32_t, 64);
    ASSERT_NE(values, nullptr);
    for (int i = 0; i < 64; ++i)
        EXPECT_EQ(values[i], 0u);
    IODelete(values, uint32_t, 64);

    Big *bigs = IONew(Big, 3);
    ASSERT_NE(bigs, nullptr);
    bigs[2].words[3] = 7;
    IOSafeDeleteNULL(bigs, Big, 3);
    EXPECT_EQ(bigs, nullptr);
    IOSafeDeleteNULL(bigs, Big, 3); // NULL stays NULL, no free
    EXPECT_EQ(bigs, nullptr);
}

TEST(IOMallocDeathTest, IOFreeWithWrongSizeAborts) {
    use_threadsafe_death_tests();
    EXPECT_DEATH(
        {
            void *p = IOMalloc(16);
            IOFree(p, 8);
        },
        "IOFree\\(.*, 8\\): length 8 does not match the allocation size 16");
    EXPECT_DEATH(
        {
            uint16_t *p = IONew(uint16_t, 10);
            IODelete(p, uint16_t, 11);
        },
        "length 22 does not match the allocation size 20");
}

TEST(IOMallocDeathTest, IOFreeOfForeignPointerAborts) {
    use_threadsafe_death_tests();
    alignas(16) static unsigned char not_ours[64] = {};
    EXPECT_DEATH(IOFree(not_ours + 32, 8), "IOFree\\(.*\\): pointer was not allocated by IOMalloc");
    EXPECT_DEATH(
        {
            void *p = IOMallocAligned(32, 64);
            IOFree(p, 32);
        },
        "allocated by IOMallocAligned; free it with IOFreeAligned");
    EXPECT_DEATH(
        {
            void *p = IOMalloc(32);
            IOFreeAligned(p, 32);
        },
        "allocated by IOMalloc; free it with IOFree");
}

TEST(IOLockTest, LockUnlockTryLockAndAssert) {
    IOLock *lock = IOLockAlloc();
    ASSERT_NE(lock, nullptr);
    IOLockAssert(lock, kIOLockAssertNotOwned);
    IOLockLock(lock);
    IOLockAssert(lock, kIOLockAssertOwned);
    EXPECT_FALSE(IOLockTryLock(lock)) << "not recursive";
    bool other_got_it = true;
    std::thread([&] {
        other_got_it = IOLockTryLock(lock);
        IOLockAssert(lock, kIOLockAssertNotOwned); // held, but not by this thread
    }).join();
    EXPECT_FALSE(other_got_it);
    IOLockUnlock(lock);
    EXPECT_TRUE(IOLockTryLock(lock));
    IOLockAssert(lock, kIOLockAssertOwned);
    IOLockUnlock(lock);
    IOLockFreeZero(lock);
    EXPECT_EQ(lock, nullptr);
}

TEST(IOLockTest, ProvidesMutualExclusion) {
    IOLock *lock = IOLockAlloc();
    uint64_t counter = 0;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 20000; ++i) {
                IOLockLock(lock);
                ++counter;
                IOLockUnlock(lock);
            }
        });
    for (auto &thread : threads)
        thread.join();
    EXPECT_EQ(counter, 80000u);
    IOLockFree(lock);
}

TEST(IOLockDeathTest, MisuseAborts) {
    use_threadsafe_death_tests();
    EXPECT_DEATH(
        {
            IOLock *lock = IOLockAlloc();
            IOLockAssert(lock, kIOLockAssertOwned);
        },
        "IOLockAssert\\(.*kIOLockAssertOwned\\): the lock is not held by this thread");
    EXPECT_DEATH(
        {
            IOLock *lock = IOLockAlloc();
            IOLockLock(lock);
            IOLockAssert(lock, kIOLockAssertNotOwned);
        },
        "kIOLockAssertNotOwned\\): the lock is held by this thread");
    EXPECT_DEATH(IOLockUnlock(IOLockAlloc()), "IOLockUnlock\\(.*\\): the lock is not held");
    EXPECT_DEATH(
        {
            IOLock *lock = IOLockAlloc();
            IOLockLock(lock);
            IOLockLock(lock);
        },
        "already held by this thread");
}

TEST(IORecursiveLockTest, HaveLockTracksTheOwningThread) {
    IORecursiveLock *lock = IORecursiveLockAlloc();
    ASSERT_NE(lock, nullptr);
    EXPECT_FALSE(IORecursiveLockHaveLock(lock));
    IORecursiveLockLock(lock);
    IORecursiveLockLock(lock);
    EXPECT_TRUE(IORecursiveLockTryLock(lock));
    EXPECT_TRUE(IORecursiveLockHaveLock(lock));
    bool other_has = true, other_got = true;
    std::thread([&] {
        other_has = IORecursiveLockHaveLock(lock);
        other_got = IORecursiveLockTryLock(lock);
    }).join();
    EXPECT_FALSE(other_has);
    EXPECT_FALSE(other_got);
    IORecursiveLockUnlock(lock);
    IORecursiveLockUnlock(lock);
    EXPECT_TRUE(IORecursiveLockHaveLock(lock)) << "still held once";
    IORecursiveLockUnlock(lock);
    EXPECT_FALSE(IORecursiveLockHaveLock(lock));
    std::thread([&] {
        other_got = IORecursiveLockTryLock(lock);
        other_has = IORecursiveLockHaveLock(lock);
        IORecursiveLockUnlock(lock);
    }).join();
    EXPECT_TRUE(other_got);
    EXPECT_TRUE(other_has);
    IORecursiveLockFreeZero(lock);
    EXPECT_EQ(lock, nullptr);
}

TEST(IORecursiveLockDeathTest, UnlockWithoutHoldingAborts) {
    use_threadsafe_death_tests();
    EXPECT_DEATH(IORecursiveLockUnlock(IORecursiveLockAlloc()), "not held by this thread");
}

TEST(IORWLockTest, ReadersShareWritersExclude) {
    IORWLock *lock = IORWLockAlloc();
    ASSERT_NE(lock, nullptr);
    IORWLockRead(lock);
    bool second_reader = false;
    std::thread([&] {
        IORWLockRead(lock); // does not block while another reader holds it
        second_reader = true;
        IORWLockUnlock(lock);
    }).join();
    EXPECT_TRUE(second_reader);
    IORWLockUnlock(lock);

    uint64_t counter = 0;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 5000; ++i) {
                IORWLockWrite(lock);
                ++counter;
                IORWLockUnlock(lock);
                IORWLockRead(lock);
                EXPECT_LE(counter, 20000u);
                IORWLockUnlock(lock);
            }
        });
    for (auto &thread : threads)
        thread.join();
    EXPECT_EQ(counter, 20000u);
    IORWLockFreeZero(lock);
    EXPECT_EQ(lock, nullptr);
}

TEST(Crc32Test, KnownVectorsAndChaining) {
    EXPECT_EQ(crc32(0, "123456789", 9), 0xCBF43926u);
    EXPECT_EQ(crc32(0, "", 0), 0u);
    EXPECT_EQ(crc32(0, nullptr, 0), 0u);
    EXPECT_EQ(crc32(0, "a", 1), 0xE8B7BE43u);
    EXPECT_EQ(crc32(0, "The quick brown fox jumps over the lazy dog", 43), 0x414FA339u);
    uint32_t partial = crc32(0, "12345", 5);
    EXPECT_EQ(crc32(partial, "6789", 4), 0xCBF43926u);
}

TEST(ByteOrderTest, SwapReadWrite) {
    EXPECT_EQ(OSSwapInt16(0x1234), 0x3412);
    EXPECT_EQ(OSSwapInt32(0x12345678u), 0x78563412u);
    EXPECT_EQ(OSSwapInt64(0x0102030405060708ull), 0x0807060504030201ull);
    EXPECT_EQ(OSSwapHostToBigInt16(0x1234), 0x3412);
    EXPECT_EQ(OSSwapBigToHostInt32(0x12345678u), 0x78563412u);
    EXPECT_EQ(OSSwapHostToLittleInt32(0x12345678u), 0x12345678u);
    EXPECT_EQ(OSSwapLittleToHostInt64(0x0102030405060708ull), 0x0102030405060708ull);
    static_assert(OSSwapConstInt32(0x11223344u) == 0x44332211u);

    const unsigned char bytes[] = {0xEE, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
    EXPECT_EQ(OSReadBigInt16(bytes, 1), 0x0102);
    EXPECT_EQ(OSReadLittleInt16(bytes, 1), 0x0201);
    EXPECT_EQ(OSReadBigInt32(bytes, 1), 0x01020304u); // unaligned offset
    EXPECT_EQ(OSReadLittleInt32(bytes, 1), 0x04030201u);
    EXPECT_EQ(OSReadBigInt64(bytes, 1), 0x0102030405060708ull);
    EXPECT_EQ(OSReadLittleInt64(bytes, 1), 0x0807060504030201ull);

    unsigned char out[10] = {};
    OSWriteBigInt16(out, 1, 0xA1B2);
    EXPECT_EQ(out[1], 0xA1);
    EXPECT_EQ(out[2], 0xB2);
    OSWriteLittleInt16(out, 1, 0xA1B2);
    EXPECT_EQ(out[1], 0xB2);
    OSWriteBigInt32(out, 1, 0x01020304u);
    EXPECT_EQ(memcmp(out + 1, "\x01\x02\x03\x04", 4), 0);
    OSWriteLittleInt32(out, 1, 0x01020304u);
    EXPECT_EQ(memcmp(out + 1, "\x04\x03\x02\x01", 4), 0);
    OSWriteBigInt64(out, 1, 0x0102030405060708ull);
    EXPECT_EQ(OSReadBigInt64(out, 1), 0x0102030405060708ull);
    OSWriteLittleInt64(out, 2, 0x0102030405060708ull);
    EXPECT_EQ(out[2], 0x08);
    EXPECT_EQ(OSReadLittleInt64(out, 2), 0x0102030405060708ull);
}

TEST(DelayTest, SleepAndDelayLastAtLeastTheirDuration) {
    using Clock = std::chrono::steady_clock;
    auto start = Clock::now();
    IOSleep(5);
    EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(5));
    start = Clock::now();
    IODelay(300);
    EXPECT_GE(Clock::now() - start, std::chrono::microseconds(300));
    IOSleep(0);
    IODelay(0);
    OSSynchronizeIO();
}

TEST(MachTimeTest, TimebaseIsNanoseconds) {
    mach_timebase_info_data_t info{0, 0};
    EXPECT_EQ(mach_timebase_info(&info), KERN_SUCCESS);
    EXPECT_EQ(info.numer, 1u);
    EXPECT_EQ(info.denom, 1u);
    EXPECT_EQ(mach_timebase_info(nullptr), kIOReturnBadArgument);
    EXPECT_EQ(IOVMPageSize, static_cast<uint64_t>(sysconf(_SC_PAGESIZE)));
}

TEST(OSReportTest, LogsMessageAndBacktrace) {
    std::mutex mutex;
    std::vector<std::string> lines;
    netdext::set_log_sink([&](const netdext::LogRecord &r) {
        std::lock_guard<std::mutex> guard(mutex);
        lines.emplace_back(r.message);
    });
    OSReportWithBacktrace("unexpected state %d", 7);
    netdext::set_log_sink(nullptr);
    ASSERT_GE(lines.size(), 2u);
    EXPECT_EQ(lines[0], "unexpected state 7");
    EXPECT_EQ(lines[1].rfind("  #0 ", 0), 0u) << lines[1];
}

} // namespace
