// os_log / IOLog formatting, redaction, levels and sinks, captured through netdext::set_log_sink.
#include <DriverKit/IOLib.h>
#include <netdext/runtime.h>
#include <os/log.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Captured {
    netdext::LogLevel level;
    std::string subsystem;
    std::string category;
    std::string message;
};

class LogTest : public ::testing::Test {
protected:
    void SetUp() override {
        netdext::set_log_show_private(false);
        netdext::set_log_sink([this](const netdext::LogRecord &r) {
            std::lock_guard<std::mutex> guard(m_mutex);
            m_records.push_back({r.level, r.subsystem, r.category, r.message});
        });
    }
    void TearDown() override {
        netdext::set_log_sink(nullptr);
        netdext::set_log_show_private(false);
    }

    std::string last() {
        std::lock_guard<std::mutex> guard(m_mutex);
        return m_records.empty() ? std::string("<nothing logged>") : m_records.back().message;
    }
    std::vector<Captured> records() {
        std::lock_guard<std::mutex> guard(m_mutex);
        return m_records;
    }
    size_t count() {
        std::lock_guard<std::mutex> guard(m_mutex);
        return m_records.size();
    }

private:
    std::mutex m_mutex;
    std::vector<Captured> m_records;
};

__attribute__((format(printf, 1, 2))) std::string printf_string(const char *format, ...) {
    char buf[2048];
    va_list ap;
    va_start(ap, format);
    vsnprintf(buf, sizeof buf, format, ap);
    va_end(ap);
    return buf;
}

TEST_F(LogTest, AnnotationsAreStripped) {
    os_log(OS_LOG_DEFAULT,
           "%{public}s=%{public}d %{bool}d %{errno}d %{time_t}ld %{public, mask.hash}s", "a", 5, 1,
           2, 3L, "b");
    EXPECT_EQ(last(), "a=5 true [2: No such file or directory] 3 b");
    os_log(OS_LOG_DEFAULT, "%{bool}d %{BOOL}d %{BOOL}u %{darwin.errno}d", 0, 1, 0u, 5);
    EXPECT_EQ(last(), "false YES NO [5: Input/output error]");
    os_log(OS_LOG_DEFAULT, "%{public}08.3f|%{mask.x}-4u|%{private}x", 3.14159, 7u, 255u);
    EXPECT_EQ(last(), "0003.142|7   |ff");
}

TEST_F(LogTest, StringsAreRedactedUnlessPublic) {
    int object = 0;
    os_log(OS_LOG_DEFAULT, "[%s] [%{private}s] [%{sensitive}s] [%{public}s] [%@]", "a", "b", "c",
           "d", static_cast<void *>(&object));
    EXPECT_EQ(last(), "[<private>] [<private>] [<private>] [d] [<private>]");
    os_log(OS_LOG_DEFAULT, "%{public}@", static_cast<void *>(&object));
    EXPECT_EQ(last(), printf_string("%p", static_cast<void *>(&object)));
    // Scalars are always shown, even marked private.
    os_log(OS_LOG_DEFAULT, "%d %{private}d %{private}llu %p", 1, 2, 3ULL,
           static_cast<void *>(nullptr));
    EXPECT_EQ(last(), printf_string("1 2 3 %p", static_cast<void *>(nullptr)));
    // A redacted argument is still consumed: later arguments stay aligned.
    os_log(OS_LOG_DEFAULT, "%s %{public}s %d", "hidden", "shown", 9);
    EXPECT_EQ(last(), "<private> shown 9");
}

TEST_F(LogTest, ShowPrivateRevealsStrings) {
    netdext::set_log_show_private(true);
    os_log(OS_LOG_DEFAULT, "[%s] [%{private}s] [%{public}s] [%s]", "a", "b", "c",
           static_cast<const char *>(nullptr));
    EXPECT_EQ(last(), "[a] [b] [c] [(null)]");
    netdext::set_log_show_private(false);
    os_log(OS_LOG_DEFAULT, "[%s]", "a");
    EXPECT_EQ(last(), "[<private>]");
}

TEST_F(LogTest, EveryConversion) {
    int x = 0;
    void *p = &x;
    os_log(OS_LOG_DEFAULT, "%d %i %u %o %x %X %c %{public}s %p %%", -12, 34, 56u, 8u, 255u, 255u,
           'z', "str", p);
    EXPECT_EQ(last(), printf_string("%d %i %u %o %x %X %c %s %p %%", -12, 34, 56u, 8u, 255u, 255u,
                                    'z', "str", p));
    os_log(OS_LOG_DEFAULT, "%f %F %e %E %g %G %a %A", 1.5, 2.25, 12345.678, 0.000123, 1e-10, 1e20,
           1.0, -0.5);
    EXPECT_EQ(last(), printf_string("%f %F %e %E %g %G %a %A", 1.5, 2.25, 12345.678, 0.000123,
                                    1e-10, 1e20, 1.0, -0.5));
    os_log(OS_LOG_DEFAULT, "%+d|% d|%#x|%#o|%05d|%-5d|%.3d|%10.4f|%-8.2e|%'d", 5, 5, 255u, 8u, 42,
           42, 7, 3.14159, 1234.5, 1000);
    EXPECT_EQ(last(), printf_string("%+d|% d|%#x|%#o|%05d|%-5d|%.3d|%10.4f|%-8.2e|%'d", 5, 5, 255u,
                                    8u, 42, 42, 7, 3.14159, 1234.5, 1000));
    os_log(OS_LOG_DEFAULT, "%{public}5s|%{public}-5s|%{public}.2s|%3c|%-3c|", "ab", "ab", "abcdef",
           'q', 'r');
    EXPECT_EQ(last(), "   ab|ab   |ab|  q|r  |");
}

TEST_F(LogTest, EveryLengthModifierConsumesItsType) {
    // A trailing public string after each value proves the argument list stays aligned.
    os_log(OS_LOG_DEFAULT, "%hhd %hhu %hd %hu %{public}s", 300, 300, 70000, 70000, "end");
    EXPECT_EQ(last(), "44 44 4464 4464 end");
    os_log(OS_LOG_DEFAULT, "%ld %lu %lld %llu %qd %qu %{public}s", -1L, 1UL << 40, -(1LL << 40),
           ~0ULL, -5LL, 5ULL, "end");
    EXPECT_EQ(last(), printf_string("%ld %lu %lld %llu %lld %llu end", -1L, 1UL << 40, -(1LL << 40),
                                    ~0ULL, -5LL, 5ULL));
    os_log(OS_LOG_DEFAULT, "%jd %ju %zd %zu %zx %td %tx %{public}s", INTMAX_MIN, UINTMAX_MAX,
           static_cast<ssize_t>(-3), SIZE_MAX, static_cast<size_t>(0xabc),
           static_cast<ptrdiff_t>(-9), static_cast<ptrdiff_t>(16), "end");
    EXPECT_EQ(last(), printf_string("%jd %ju %zd %zu %zx %td %tx end", INTMAX_MIN, UINTMAX_MAX,
                                    static_cast<ssize_t>(-3), SIZE_MAX, static_cast<size_t>(0xabc),
                                    static_cast<ptrdiff_t>(-9), static_cast<ptrdiff_t>(16)));
    long double ld = 1.25L;
    os_log(OS_LOG_DEFAULT, "%Lf %Le %Lg %{public}s", ld, ld, ld, "end");
    EXPECT_EQ(last(), printf_string("%Lf %Le %Lg end", ld, ld, ld));
    os_log(OS_LOG_DEFAULT, "%hhx %hx %lx %llx %{public}s", -1, -1, -1L, -1LL, "end");
    EXPECT_EQ(last(), printf_string("ff ffff %lx %llx end", -1L, -1LL));
}

TEST_F(LogTest, StarWidthAndPrecision) {
    os_log(OS_LOG_DEFAULT, "[%*d] [%-*d] [%*d] [%.*f] [%*.*f] [%.*d] [%{public}.*s]", 5, 42, 5, 42,
           -4, 7, 2, 3.14159, 8, 3, 2.5, -1, 9, 3, "abcdef");
    EXPECT_EQ(last(), printf_string("[%*d] [%-*d] [%*d] [%.*f] [%*.*f] [%.*d] [%.*s]", 5, 42, 5, 42,
                                    -4, 7, 2, 3.14159, 8, 3, 2.5, -1, 9, 3, "abcdef"));
}

TEST_F(LogTest, PercentNIsRefused) {
    int written = 42;
    os_log(OS_LOG_DEFAULT, "ab%ncd %{public}s", &written, "next");
    EXPECT_EQ(last(), "ab%ncd next");
    EXPECT_EQ(written, 42);
    IOLog("x%ny %s", &written, "z");
    EXPECT_EQ(last(), "x%ny z");
    EXPECT_EQ(written, 42);
}

TEST_F(LogTest, OddFormats) {
    // Malformed on purpose: Clang's compile-time check (format_check.h) rightly warns.
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wuser-defined-warnings"
#endif
    os_log(OS_LOG_DEFAULT, "100%% sure %y %{public");
    EXPECT_EQ(last(), "100% sure %y %{public");
    os_log(OS_LOG_DEFAULT, "trailing %");
#if defined(__clang__)
#pragma clang diagnostic pop
#endif
    EXPECT_EQ(last(), "trailing %");
    errno = ENOENT;
    os_log(OS_LOG_DEFAULT, "err: %m");
    EXPECT_EQ(last(), std::string("err: ") + strerror(ENOENT));
    EXPECT_EQ(errno, ENOENT) << "logging preserves errno";
    const unsigned char mac[] = {0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc};
    os_log(OS_LOG_DEFAULT, "%{public}.*P %.*P", 6, mac, 6, mac);
    EXPECT_EQ(last(), "001b21aabbcc <private>");
    wchar_t wide[] = L"wide";
    os_log(OS_LOG_DEFAULT, "%{public}ls %{public}S %lc", wide, wide, static_cast<wint_t>(L'w'));
    EXPECT_EQ(last(), "wide wide w");
}

TEST_F(LogTest, LinesAreTruncatedAt1024Bytes) {
    std::string big(3000, 'x');
    os_log(OS_LOG_DEFAULT, "%{public}s", big.c_str());
    EXPECT_EQ(last(), std::string(1024, 'x'));
    IOLog("%s-%5000d", big.c_str(), 1);
    EXPECT_EQ(last(), std::string(1024, 'x'));
    os_log(OS_LOG_DEFAULT, "%-5000d|", 7);
    EXPECT_EQ(last(), "7" + std::string(1023, ' '));
    // Never cut inside a UTF-8 sequence: "é" is 2 bytes and would straddle byte 1024.
    std::string utf8 = std::string(1023, 'a') + "\xc3\xa9" + "tail";
    IOLog("%s", utf8.c_str());
    EXPECT_EQ(last(), std::string(1023, 'a'));
    // Exactly 1024 bytes fit.
    IOLog("%s", std::string(1024, 'b').c_str());
    EXPECT_EQ(last(), std::string(1024, 'b'));
}

TEST_F(LogTest, IOLogIsPlainPrintfAndStripsOneNewline) {
    EXPECT_EQ(IOLog("hello %s %d\n", "secret", 3), 14);
    EXPECT_EQ(last(), "hello secret 3");
    IOLog("two\n\n");
    EXPECT_EQ(last(), "two\n");
    IOLog("none");
    EXPECT_EQ(last(), "none");
    auto all = records();
    EXPECT_EQ(all.back().level, netdext::LogLevel::notice);
    EXPECT_EQ(all.back().subsystem, "");
    EXPECT_EQ(all.back().category, "");
}

TEST_F(LogTest, LevelsSubsystemsAndDisabledLog) {
    os_log_t log = os_log_create("com.example.nic", "tx");
    EXPECT_EQ(log, os_log_create("com.example.nic", "tx")) << "handles are cached";
    os_log(log, "n");
    os_log_info(log, "i");
    os_log_debug(log, "d");
    os_log_error(log, "e");
    os_log_fault(log, "f");
    os_log_with_type(log, 0x42, "other");
    auto all = records();
    ASSERT_EQ(all.size(), 6u);
    const netdext::LogLevel expected[] = {netdext::LogLevel::notice, netdext::LogLevel::info,
                                          netdext::LogLevel::debug,  netdext::LogLevel::error,
                                          netdext::LogLevel::fault,  netdext::LogLevel::notice};
    for (size_t i = 0; i < all.size(); ++i) {
        EXPECT_EQ(all[i].level, expected[i]) << i;
        EXPECT_EQ(all[i].subsystem, "com.example.nic");
        EXPECT_EQ(all[i].category, "tx");
    }
    os_log(OS_LOG_DISABLED, "nothing %d", 1);
    os_log_error(OS_LOG_DISABLED, "nothing");
    EXPECT_EQ(count(), 6u);
    EXPECT_FALSE(os_log_type_enabled(OS_LOG_DISABLED, OS_LOG_TYPE_FAULT));
    EXPECT_TRUE(os_log_type_enabled(OS_LOG_DEFAULT, OS_LOG_TYPE_ERROR));
    EXPECT_TRUE(os_log_type_enabled(log, OS_LOG_TYPE_DEBUG)) << "a host sink receives debug";
}

TEST_F(LogTest, LogLineAndLogLinef) {
    netdext::log_line(netdext::LogLevel::error, "plain %s\n");
    EXPECT_EQ(last(), "plain %s");
    EXPECT_EQ(records().back().level, netdext::LogLevel::error);
    netdext::log_linef(netdext::LogLevel::info, "n=%d s=%s", 3, "shown");
    EXPECT_EQ(last(), "n=3 s=shown");
    EXPECT_EQ(records().back().level, netdext::LogLevel::info);
}

TEST_F(LogTest, IOLogBufferDumpsHex) {
    const unsigned char data[18] = {'H', 'i', 0x00, 0xff, 0x10, 'A', 'B', 'C', 'D',
                                    'E', 'F', 'G',  'H',  'I',  'J', 'K', 'L', 'M'};
    IOLogBuffer("packet", data, sizeof data);
    auto all = records();
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].message, "packet (18 bytes)");
    EXPECT_EQ(all[1].message,
              "  0000: 48 69 00 ff 10 41 42 43 44 45 46 47 48 49 4a 4b  Hi...ABCDEFGHIJK");
    EXPECT_EQ(all[2].message, "  0010: 4c 4d" + std::string(14 * 3, ' ') + "  LM");
}

TEST_F(LogTest, ConcurrentLoggingDeliversEveryLine) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([t] {
            for (int i = 0; i < 200; ++i)
                os_log(OS_LOG_DEFAULT, "t%d i%d", t, i);
        });
    for (auto &thread : threads)
        thread.join();
    EXPECT_EQ(count(), 800u);
}

TEST(LogDefaultSinkTest, WritesIdentityPrefixedLinesToStderr) {
    netdext::set_log_sink(nullptr);
    netdext::set_log_show_private(false);
    netdext::set_log_identity("com.example.driver");
    EXPECT_EQ(netdext::log_identity(), "com.example.driver");
    testing::internal::CaptureStderr();
    os_log(OS_LOG_DEFAULT, "hello %{public}s", "world");
    IOLog("io %d\n", 1);
    os_log_debug(OS_LOG_DEFAULT, "debug line");
    std::string out = testing::internal::GetCapturedStderr();
    netdext::set_log_identity("netdext");
    const char *debug_env = getenv("NETDEXT_LOG_DEBUG");
    if (debug_env == nullptr || strcmp(debug_env, "1") != 0) {
        EXPECT_EQ(out, "com.example.driver: hello world\ncom.example.driver: io 1\n");
        EXPECT_FALSE(os_log_type_enabled(OS_LOG_DEFAULT, OS_LOG_TYPE_DEBUG));
    } else {
        EXPECT_EQ(out, "com.example.driver: hello world\ncom.example.driver: io 1\n"
                       "com.example.driver: debug line\n");
    }
    EXPECT_EQ(netdext::log_identity(), "netdext");
}

} // namespace
