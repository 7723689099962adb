// Supervision settings: durations, per-setting names, validation, per-extension overrides.

#include <gtest/gtest.h>

#include "supervision_settings.h"

namespace netdext::supervision {
namespace {

using namespace std::chrono_literals;

Duration parsed(const std::string &text) {
    Duration d{};
    std::string error;
    EXPECT_TRUE(parse_duration(text, d, error)) << text << ": " << error;
    return d;
}

std::string refusal(const std::string &text) {
    Duration d{};
    std::string error;
    EXPECT_FALSE(parse_duration(text, d, error)) << text;
    return error;
}

TEST(SupervisionSettings, Durations) {
    EXPECT_EQ(parsed("500ms"), 500ms);
    EXPECT_EQ(parsed("5s"), 5s);
    EXPECT_EQ(parsed("5"), 5s);
    EXPECT_EQ(parsed(" 1.5s "), 1500ms);
    EXPECT_EQ(parsed("10min"), 10min);
    EXPECT_EQ(parsed("10m"), 10min);
    EXPECT_EQ(parsed("24h"), 24h);
    EXPECT_EQ(parsed("0"), Duration::zero());
    EXPECT_NE(refusal("").find("is not a duration"), std::string::npos);
    EXPECT_NE(refusal("-5s").find("is not a duration"), std::string::npos);
    EXPECT_NE(refusal("5 weeks").find("unknown unit \"weeks\""), std::string::npos);
    EXPECT_NE(refusal("ms").find("is not a duration"), std::string::npos);
    EXPECT_NE(refusal(std::string(400, '9') + "s").find("is not a duration"), std::string::npos);
    EXPECT_NE(refusal("1e3s").find("unknown unit \"e3s\""), std::string::npos);
    EXPECT_NE(refusal("800h").find("longer than 30 days"), std::string::npos);
}

TEST(SupervisionSettings, FormatReadsBack) {
    for (Duration d : {Duration(0ms), Duration(1ms), Duration(250ms), Duration(1500ms),
                       Duration(120s), Duration(10min), Duration(24h), Duration(90min)}) {
        std::string text = format_duration(d);
        EXPECT_EQ(parsed(text), d) << text;
    }
    EXPECT_EQ(format_duration(120s), "120s");
    EXPECT_EQ(format_duration(10min), "10min");
    EXPECT_EQ(format_duration(250ms), "250ms");
}

TEST(SupervisionSettings, DefaultsAreTheDocumentedOnes) {
    SupervisionSettings s;
    EXPECT_EQ(describe(s), "check-in-timeout=120s liveness-timeout=5s crash-limit=5 "
                           "crash-window=10min relaunch-backoff=1s relaunch-backoff-max=60s "
                           "relaunch-stable=60s");
    std::string error;
    EXPECT_TRUE(validate(s, error)) << error;
}

TEST(SupervisionSettings, SettingsByName) {
    SupervisionSettings s;
    std::string error;
    EXPECT_TRUE(apply_setting(s, "check-in-timeout", "30s", error));
    EXPECT_TRUE(apply_setting(s, "liveness-timeout", "0", error));
    EXPECT_TRUE(apply_setting(s, "crash-limit", "9", error));
    EXPECT_TRUE(apply_setting(s, "crash-window", "1h", error));
    EXPECT_TRUE(apply_setting(s, "relaunch-backoff", "10ms", error));
    EXPECT_TRUE(apply_setting(s, "relaunch-backoff-max", "2s", error));
    EXPECT_TRUE(apply_setting(s, "relaunch-stable", "5s", error));
    EXPECT_EQ(describe(s), "check-in-timeout=30s liveness-timeout=0 crash-limit=9 crash-window=1h "
                           "relaunch-backoff=10ms relaunch-backoff-max=2s relaunch-stable=5s");
    EXPECT_FALSE(apply_setting(s, "crash-limit", "many", error));
    EXPECT_EQ(error, "crash-limit: \"many\" is not a whole number");
    EXPECT_FALSE(apply_setting(s, "watchdog", "1s", error));
    EXPECT_NE(error.find("unknown setting \"watchdog\""), std::string::npos);
}

TEST(SupervisionSettings, Validation) {
    SupervisionSettings s;
    std::string error;
    s.backoff_initial = 2s;
    s.backoff_max = 1s;
    EXPECT_FALSE(validate(s, error));
    EXPECT_NE(error.find("relaunch-backoff-max (1s) is shorter"), std::string::npos) << error;
    s = {};
    s.crash_window = Duration::zero();
    EXPECT_FALSE(validate(s, error));
    s.crash_limit = 0;
    EXPECT_TRUE(validate(s, error)) << "no quarantine, no window needed";
}

TEST(SupervisionSettings, PerExtensionOverrides) {
    SupervisionPolicy policy;
    std::string error;
    ASSERT_TRUE(policy.add_override("com.example.Slow:check-in-timeout=300s,liveness-timeout=30s", error))
        << error;
    ASSERT_TRUE(policy.add_override("com.example.Slow:liveness-timeout=0", error)) << error;
    SupervisionSettings slow = policy.for_extension("com.example.Slow");
    EXPECT_EQ(slow.check_in_timeout, 300s);
    EXPECT_EQ(slow.liveness_timeout, Duration::zero()) << "the later one wins";
    EXPECT_EQ(slow.crash_limit, 5u);
    EXPECT_EQ(policy.for_extension("com.example.Other").check_in_timeout, 120s);

    EXPECT_FALSE(policy.add_override("check-in-timeout=1s", error));
    EXPECT_NE(error.find("expected BUNDLEID:key=value"), std::string::npos) << error;
    EXPECT_FALSE(policy.add_override("com.example.X:check-in-timeout", error));
    EXPECT_EQ(error, "com.example.X: \"check-in-timeout\" is not key=value");
    EXPECT_FALSE(policy.add_override("com.example.X:relaunch-backoff=2min", error));
    EXPECT_NE(error.find("com.example.X: relaunch-backoff-max (60s) is shorter"), std::string::npos)
        << error;
    EXPECT_FALSE(policy.overrides.count("com.example.X")) << "a refused override is not kept";
}

} // namespace
} // namespace netdext::supervision
