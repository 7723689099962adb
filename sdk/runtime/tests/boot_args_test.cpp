// Boot-args parsing: IOParseBootArgNumber / IOParseBootArgString over netdext::set_boot_args.
#include <DriverKit/IOLib.h>
#include <netdext/runtime.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace {

class BootArgsTest : public ::testing::Test {
protected:
    void SetUp() override { m_saved = netdext::boot_args(); }
    void TearDown() override { netdext::set_boot_args(m_saved); }

private:
    std::string m_saved;
};

template <typename T> bool parse(const char *key, T *out) {
    return IOParseBootArgNumber(key, out, static_cast<int>(sizeof(T)));
}

TEST_F(BootArgsTest, SetAndGetRoundTrip) {
    netdext::set_boot_args("a=1 -v");
    EXPECT_EQ(netdext::boot_args(), "a=1 -v");
    netdext::set_boot_args("");
    EXPECT_EQ(netdext::boot_args(), "");
}

TEST_F(BootArgsTest, DecimalHexAndNegativeNumbers) {
    netdext::set_boot_args(
        "dec=1234 hex=0x1F HEX=0XfF neg=-42 neghex=-0x10 plus=+7 zero=0 lead=007");
    int64_t v = 0;
    EXPECT_TRUE(parse("dec", &v));
    EXPECT_EQ(v, 1234);
    EXPECT_TRUE(parse("hex", &v));
    EXPECT_EQ(v, 0x1F);
    EXPECT_TRUE(parse("HEX", &v));
    EXPECT_EQ(v, 0xFF);
    EXPECT_TRUE(parse("neg", &v));
    EXPECT_EQ(v, -42);
    EXPECT_TRUE(parse("neghex", &v));
    EXPECT_EQ(v, -16);
    EXPECT_TRUE(parse("plus", &v));
    EXPECT_EQ(v, 7);
    EXPECT_TRUE(parse("zero", &v));
    EXPECT_EQ(v, 0);
    EXPECT_TRUE(parse("lead", &v));
    EXPECT_EQ(v, 7);
}

TEST_F(BootArgsTest, SixtyFourBitLimits) {
    netdext::set_boot_args(
        "max=18446744073709551615 hmax=0xffffffffffffffff min=-9223372036854775808 "
        "over=18446744073709551616 hover=0x10000000000000000 "
        "under=-9223372036854775809");
    uint64_t u = 0;
    EXPECT_TRUE(parse("max", &u));
    EXPECT_EQ(u, UINT64_MAX);
    u = 0;
    EXPECT_TRUE(parse("hmax", &u));
    EXPECT_EQ(u, UINT64_MAX);
    int64_t s = 0;
    EXPECT_TRUE(parse("min", &s));
    EXPECT_EQ(s, INT64_MIN);
    s = 5;
    EXPECT_FALSE(parse("over", &s));
    EXPECT_FALSE(parse("hover", &s));
    EXPECT_FALSE(parse("under", &s));
    EXPECT_EQ(s, 5);
}

TEST_F(BootArgsTest, BooleanWords) {
    netdext::set_boot_args("t=true y=YES o=On f=false n=no x=OFF");
    for (const char *key : {"t", "y", "o"}) {
        uint32_t v = 7;
        EXPECT_TRUE(parse(key, &v)) << key;
        EXPECT_EQ(v, 1u) << key;
    }
    for (const char *key : {"f", "n", "x"}) {
        uint32_t v = 7;
        EXPECT_TRUE(parse(key, &v)) << key;
        EXPECT_EQ(v, 0u) << key;
    }
}

TEST_F(BootArgsTest, TargetSizesTruncateLittleEndian) {
    netdext::set_boot_args("v=0x1122334455667788 flag=1 off=0");
    uint8_t b = 0;
    EXPECT_TRUE(parse("v", &b));
    EXPECT_EQ(b, 0x88);
    uint16_t h = 0;
    EXPECT_TRUE(parse("v", &h));
    EXPECT_EQ(h, 0x7788);
    uint32_t w = 0;
    EXPECT_TRUE(parse("v", &w));
    EXPECT_EQ(w, 0x55667788u);
    uint64_t q = 0;
    EXPECT_TRUE(parse("v", &q));
    EXPECT_EQ(q, 0x1122334455667788ull);

    // A 1-byte bool is written with exactly one byte; neighbours are untouched.
    struct {
        uint8_t before = 0xAA;
        bool value = false;
        uint8_t after = 0xBB;
    } packed;
    EXPECT_TRUE(IOParseBootArgNumber("flag", &packed.value, sizeof(bool)));
    EXPECT_TRUE(packed.value);
    EXPECT_TRUE(IOParseBootArgNumber("off", &packed.value, sizeof(bool)));
    EXPECT_FALSE(packed.value);
    EXPECT_EQ(packed.before, 0xAA);
    EXPECT_EQ(packed.after, 0xBB);

    // A negative value into a narrow target keeps the low bytes (two's complement).
    netdext::set_boot_args("n=-1");
    int16_t small = 0;
    EXPECT_TRUE(parse("n", &small));
    EXPECT_EQ(small, -1);
}

TEST_F(BootArgsTest, BadMaxLenIsRejected) {
    netdext::set_boot_args("v=5");
    uint64_t v = 99;
    for (int len : {0, -1, 3, 5, 6, 7, 16}) {
        EXPECT_FALSE(IOParseBootArgNumber("v", &v, len)) << len;
        EXPECT_EQ(v, 99u) << len;
    }
}

TEST_F(BootArgsTest, MissingKeysAndBadValuesLeaveTargetUntouched) {
    netdext::set_boot_args("junk=12abc empty= hexonly=0x sign=- word=maybe spaced =3 ab=1");
    uint32_t v = 0xDEADBEEF;
    for (const char *key :
         {"missing", "junk", "empty", "hexonly", "sign", "word", "a", "abc", ""}) {
        EXPECT_FALSE(parse(key, &v)) << key;
        EXPECT_EQ(v, 0xDEADBEEFu) << key;
    }
    EXPECT_FALSE(IOParseBootArgNumber(nullptr, &v, 4));
    EXPECT_FALSE(IOParseBootArgNumber("ab", nullptr, 4));
    // "spaced" is a bare key: present.
    EXPECT_TRUE(parse("spaced", &v));
    EXPECT_EQ(v, 1u);
}

TEST_F(BootArgsTest, BareKeysAndFlagsCountAsOne) {
    netdext::set_boot_args("  -v\tdebug  -no-timeout\n");
    int v = 0;
    EXPECT_TRUE(parse("-v", &v));
    EXPECT_EQ(v, 1);
    v = 0;
    EXPECT_TRUE(parse("debug", &v));
    EXPECT_EQ(v, 1);
    v = 0;
    EXPECT_TRUE(parse("-no-timeout", &v));
    EXPECT_EQ(v, 1);
    v = 0;
    EXPECT_FALSE(parse("v", &v)) << "the dash is part of a flag's name";
    EXPECT_FALSE(parse("-debug", &v));
    EXPECT_EQ(v, 0);
}

TEST_F(BootArgsTest, LastOccurrenceWins) {
    netdext::set_boot_args("n=1 n=2 s=first other=9 s=second -f f=0");
    int v = 0;
    EXPECT_TRUE(parse("n", &v));
    EXPECT_EQ(v, 2);
    char buf[16];
    EXPECT_TRUE(IOParseBootArgString("s", buf, sizeof buf));
    EXPECT_STREQ(buf, "second");

    // The last occurrence decides even when it is malformed.
    netdext::set_boot_args("n=1 n=bad");
    v = 42;
    EXPECT_FALSE(parse("n", &v));
    EXPECT_EQ(v, 42);
    // A bare key after a valued one: present, 1.
    netdext::set_boot_args("n=5 n");
    EXPECT_TRUE(parse("n", &v));
    EXPECT_EQ(v, 1);
}

TEST_F(BootArgsTest, Strings) {
    netdext::set_boot_args("name=en0 path=/a/b=c empty= -flag");
    char buf[32];
    EXPECT_TRUE(IOParseBootArgString("name", buf, sizeof buf));
    EXPECT_STREQ(buf, "en0");
    EXPECT_TRUE(IOParseBootArgString("path", buf, sizeof buf)) << "only the first '=' splits";
    EXPECT_STREQ(buf, "/a/b=c");
    EXPECT_TRUE(IOParseBootArgString("empty", buf, sizeof buf));
    EXPECT_STREQ(buf, "");
    memcpy(buf, "xyz", 4);
    EXPECT_TRUE(IOParseBootArgString("-flag", buf, sizeof buf));
    EXPECT_STREQ(buf, "");

    // Truncation to strlen - 1 characters plus NUL.
    char small[4] = {'?', '?', '?', '?'};
    EXPECT_TRUE(IOParseBootArgString("path", small, sizeof small));
    EXPECT_STREQ(small, "/a/");
    char one[1] = {'?'};
    EXPECT_TRUE(IOParseBootArgString("name", one, 1));
    EXPECT_EQ(one[0], '\0');

    // Missing key or no room: false, buffer untouched.
    memcpy(buf, "keep", 5);
    EXPECT_FALSE(IOParseBootArgString("missing", buf, sizeof buf));
    EXPECT_FALSE(IOParseBootArgString("name", buf, 0));
    EXPECT_FALSE(IOParseBootArgString("name", buf, -3));
    EXPECT_FALSE(IOParseBootArgString(nullptr, buf, sizeof buf));
    EXPECT_STREQ(buf, "keep");
}

TEST_F(BootArgsTest, ConcurrentReadersAndWriters) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([t] {
            for (int i = 0; i < 500; ++i) {
                if (t == 0) {
                    netdext::set_boot_args(i % 2 ? "k=1" : "k=2 x=3");
                } else {
                    int v = 0;
                    if (IOParseBootArgNumber("k", &v, sizeof v)) {
                        EXPECT_TRUE(v == 1 || v == 2);
                    }
                }
            }
        });
    }
    for (auto &thread : threads)
        thread.join();
}

} // namespace
