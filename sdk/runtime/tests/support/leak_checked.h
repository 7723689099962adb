// A test fixture that fails the test if it leaves an OSObject alive (netdext::runtime_stats()).
#pragma once

#include <gtest/gtest.h>

#include <netdext/runtime.h>

#include <cstdint>

class LeakChecked : public ::testing::Test {
protected:
    void SetUp() override { m_live = netdext::runtime_stats().live_objects.load(); }
    void TearDown() override {
        EXPECT_EQ(netdext::runtime_stats().live_objects.load(), m_live) << "leaked OSObjects";
    }

private:
    uint64_t m_live = 0;
};
