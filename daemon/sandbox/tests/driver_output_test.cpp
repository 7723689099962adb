// A driver's raw output: lines cut, made printable, delivered at end of file; the rate limit.

#include "driver_output.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <vector>

namespace {

using namespace netdext::sandbox;

TEST(DriverOutput, LinesArePrintableAndBounded) {
    auto created = DriverOutput::create();
    ASSERT_TRUE(created);
    DriverOutput output = std::move(created.value().first);
    netdext::UniqueFd writer = std::move(created.value().second);
    std::string text = "one\ntwo\r[com.other] forged\x1b[2J\n";
    text += std::string(DriverOutput::kMaxLine + 10, 'x');
    text += "\npartial";
    ASSERT_EQ(write(writer.get(), text.data(), text.size()), ssize_t(text.size()));
    std::vector<std::string> lines;
    auto collect = [&](const std::string &line) { lines.push_back(line); };
    output.drain(collect);
    ASSERT_EQ(lines.size(), 4u);
    EXPECT_EQ(lines[0], "one");
    EXPECT_EQ(lines[1], "two?[com.other] forged?[2J");
    EXPECT_EQ(lines[2].size(), DriverOutput::kMaxLine);
    EXPECT_EQ(lines[3], std::string(10, 'x'));
    EXPECT_TRUE(output.open());
    writer.reset();
    output.drain(collect);
    ASSERT_EQ(lines.size(), 5u);
    EXPECT_EQ(lines[4], "partial");
    EXPECT_FALSE(output.open()) << "end of file closes the read end";
}

TEST(LogRateLimiter, BurstThenRateAndCountsTheRest) {
    LogRateLimiter limiter(10, 5);
    auto t = LogRateLimiter::Clock::time_point() + std::chrono::seconds(100);
    int admitted = 0;
    for (int i = 0; i < 20; ++i)
        admitted += limiter.admit(t);
    EXPECT_EQ(admitted, 5);
    EXPECT_EQ(limiter.dropped(), 15u);
    EXPECT_EQ(limiter.take_unreported(), 15u);
    EXPECT_EQ(limiter.take_unreported(), 0u);
    t += std::chrono::milliseconds(500); // 5 more tokens
    admitted = 0;
    for (int i = 0; i < 10; ++i)
        admitted += limiter.admit(t);
    EXPECT_EQ(admitted, 5);
    EXPECT_EQ(limiter.dropped(), 20u);
}

} // namespace
