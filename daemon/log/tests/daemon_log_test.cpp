// Log lines: their format, the recent-lines buffer, the listener, and journal detection.

#include <gtest/gtest.h>

#include "daemon_log.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace netdext::daemon_log;

TEST(DaemonLog, LinesCarryTimeLevelBundleAndInterface) {
    Line line{int64_t(1700000000) * 1'000'000'000 + 123'456'789, Level::notice,
              "com.example.Driver", "en0", "registered"};
    EXPECT_EQ(format_line(line),
              "2023-11-14T22:13:20.123Z notice [com.example.Driver en0] registered");
    line.interface.clear();
    line.level = Level::error;
    EXPECT_EQ(format_line(line), "2023-11-14T22:13:20.123Z error [com.example.Driver] registered");
    line.bundle_id.clear();
    EXPECT_EQ(format_line(line), "2023-11-14T22:13:20.123Z error [netdextd] registered");
}

TEST(DaemonLog, RecentLinesAndTheListener) {
    Log log;
    log.set_minimum(Level::error); // nothing on standard error
    std::vector<std::string> seen;
    log.set_listener([&](const Line &l) { seen.push_back(l.text); });
    for (size_t i = 0; i < Log::kRecentLines + 5; ++i)
        log.write(Level::info, "b", "", "line " + std::to_string(i));
    auto recent = log.recent();
    ASSERT_EQ(recent.size(), Log::kRecentLines);
    EXPECT_EQ(recent.front().text, "line 5");
    EXPECT_EQ(seen.size(), Log::kRecentLines + 5);
}

TEST(DaemonLog, TheJournalOnlyWhenJournalStreamIsOurStandardError) {
    unsetenv("JOURNAL_STREAM");
    EXPECT_EQ(Log::detect_target(), Target::standard_error);
    struct stat st {};
    ASSERT_EQ(fstat(STDERR_FILENO, &st), 0);
    std::string mine = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
    setenv("JOURNAL_STREAM", mine.c_str(), 1);
    EXPECT_EQ(Log::detect_target(), Target::journal);
    std::string other = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1);
    setenv("JOURNAL_STREAM", other.c_str(), 1);
    EXPECT_EQ(Log::detect_target(), Target::standard_error);
    unsetenv("JOURNAL_STREAM");
}
