// Device specs and wire options as netdextd checks them before a probe runs.

#include <gtest/gtest.h>

#include "device_spec.h"

using namespace netdext::devices;

TEST(DeviceSpec, ModelAndKnobs) {
    std::string error;
    auto spec = parse_device_spec("e1000,mac=02:00:00:00:00:07,lost-interrupts=2", error);
    ASSERT_TRUE(spec) << error;
    EXPECT_EQ(spec->model, "e1000");
    ASSERT_EQ(spec->knobs.size(), 2u);
    EXPECT_EQ(spec->knobs[0], std::make_pair(std::string("mac"), std::string("02:00:00:00:00:07")));
    EXPECT_EQ(spec->knobs[1].first, "lost-interrupts");
    auto bare = parse_device_spec("cdc-ecm", error);
    ASSERT_TRUE(bare);
    EXPECT_TRUE(bare->knobs.empty());
}

TEST(DeviceSpec, RefusesWhatAModelCouldNotMeanWithAReason) {
    for (const char *bad : {"", "E1000", "e1000,", "e1000,mac", "e1000,=1", "e1000,mac=",
                            "e1000,mac=a b", "cdc ecm", "e1000,link=up,,", "../x",
                            "e1000,mac=\x01"}) {
        std::string error;
        EXPECT_FALSE(parse_device_spec(bad, error)) << bad;
        EXPECT_FALSE(error.empty()) << bad;
    }
    std::string error;
    EXPECT_FALSE(parse_device_spec("e1000,x=" + std::string(600, 'a'), error));
    EXPECT_NE(error.find("longer than"), std::string::npos) << error;
    EXPECT_FALSE(parse_device_spec("e1000,x=" + std::string(kMaxValueLength + 1, 'a'), error));
    EXPECT_TRUE(parse_device_spec("e1000,x=" + std::string(kMaxValueLength, 'a'), error)) << error;
}

TEST(DeviceSpec, OneKnob) {
    std::string error;
    auto knob = parse_knob("link=down", error);
    ASSERT_TRUE(knob);
    EXPECT_EQ(knob->first, "link");
    EXPECT_EQ(knob->second, "down");
    EXPECT_FALSE(parse_knob("link", error));
    EXPECT_NE(error.find("knob=value"), std::string::npos);
    EXPECT_FALSE(parse_knob("link=up,stall=1", error)); // one at a time
}

TEST(WireSpec, TapNamedTapAndNone) {
    std::string error;
    auto tap = parse_wire_spec("tap", error);
    ASSERT_TRUE(tap);
    EXPECT_EQ(tap->kind, WireSpec::Kind::tap);
    EXPECT_EQ(tap->name, "nxdev%d");
    EXPECT_EQ(parse_wire_spec("", error)->name, "nxdev%d");
    auto named = parse_wire_spec("tap:cable7", error);
    ASSERT_TRUE(named);
    EXPECT_EQ(named->name, "cable7");
    EXPECT_EQ(parse_wire_spec("none", error)->kind, WireSpec::Kind::none);
    EXPECT_FALSE(parse_wire_spec("veth", error));
    EXPECT_NE(error.find("tap, tap:NAME or none"), std::string::npos);
    EXPECT_FALSE(parse_wire_spec("tap:", error));
}
