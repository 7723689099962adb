// Helpers the hardware samples' bench tests share: frames, model counters, and an attach that
// explains itself when it fails.
#pragma once

#include <gtest/gtest.h>

#include <netdext/model/device.h>
#include <netdext/runtime.h>
#include <netdext/system_calls.h>
#include <netdext/testing/driver_bench.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace netdext::samples {

// An Ethernet frame dst <- src of `length` bytes (EtherType 0x88b5, IEEE local experimental)
// whose payload depends on `tag`; never shorter than the Ethernet header.
inline std::vector<uint8_t> ethernet_frame(const uint8_t *dst, const uint8_t *src, size_t length,
                                           uint8_t tag) {
    std::vector<uint8_t> f(std::max<size_t>(length, 14), 0);
    std::copy(dst, dst + 6, f.begin());
    std::copy(src, src + 6, f.begin() + 6);
    f[12] = 0x88;
    f[13] = 0xB5;
    for (size_t i = 14; i < f.size(); ++i)
        f[i] = uint8_t(tag * 7 + i);
    return f;
}

inline uint64_t counter(const model::Device &device, const std::string &name) {
    auto counters = device.counters();
    auto it = counters.find(name);
    return it == counters.end() ? 0 : it->second;
}

// attach_device; on failure the match log and the driver's log become test failures.
inline kern_return_t attach_or_explain(testing::DriverBench &bench,
                                       std::shared_ptr<model::Device> device) {
    kern_return_t kr = bench.attach_device(std::move(device));
    if (kr != kIOReturnSuccess) {
        for (const std::string &line : bench.match_log())
            ADD_FAILURE() << "match: " << line;
        for (const std::string &line : bench.logs())
            ADD_FAILURE() << "log: " << line;
    }
    return kr;
}

inline bool logged(const testing::DriverBench &bench, const std::string &text) {
    for (const std::string &line : bench.logs())
        if (line.find(text) != std::string::npos)
            return true;
    return false;
}

// The samples' fixture: a bench with the dext loaded, a leak baseline taken before it, and every
// test ending with a stop and no misuse.
class DeviceBenchTest : public ::testing::Test {
protected:
    std::unique_ptr<testing::DriverBench> bench;
    uint64_t live_before = 0;

    void load(const char *dext) {
        netdext::user_resources(); // process-lifetime: created before the baseline
        netdext::wait_until_idle();
        live_before = netdext::runtime_stats().live_objects.load();
        bench = std::make_unique<testing::DriverBench>();
        std::string error;
        ASSERT_TRUE(bench->load_bundle(dext, &error)) << error;
    }
    void TearDown() override {
        if (bench) {
            if (bench->running()) {
                EXPECT_EQ(bench->stop(), kIOReturnSuccess);
            }
            EXPECT_EQ(bench->misuses(), std::vector<std::string>{});
            bench.reset();
        }
    }
};

} // namespace netdext::samples
