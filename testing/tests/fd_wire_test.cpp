// FdWire: a device's cable on a datagram socket (as netdextd will put it on a TAP): frames both
// ways, one per datagram; the cable unplugs when the other end closes or the wire goes away.

#include <gtest/gtest.h>

#include <netdext/model/fd_wire.h>

#include "wait_until.h"

#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <vector>

using netdext::UniqueFd;
using netdext::model::FdWire;
using netdext::model::FramePort;
using netdext::testing::wait_until;

namespace {

struct Pair {
    UniqueFd wire_end, other_end;
    Pair() {
        int fds[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) == 0) {
            wire_end.reset(fds[0]);
            other_end.reset(fds[1]);
        }
    }
};

} // namespace

TEST(FdWire, CarriesOneFramePerDatagramBothWays) {
    FramePort port;
    std::mutex mutex;
    std::vector<std::vector<uint8_t>> into_device;
    port.set_receiver([&](std::span<const uint8_t> frame) {
        std::lock_guard lock(mutex);
        into_device.emplace_back(frame.begin(), frame.end());
        return frame.size() != 13; // the device refuses 13-byte frames
    });
    Pair pair;
    ASSERT_TRUE(pair.wire_end.is_valid());
    std::string error;
    auto wire = FdWire::create(port, std::move(pair.wire_end), error);
    ASSERT_TRUE(wire) << error;
    EXPECT_TRUE(port.connected());

    std::vector<uint8_t> a(60, 0xaa), b(13, 0xbb);
    ASSERT_EQ(write(pair.other_end.get(), a.data(), a.size()), ssize_t(a.size()));
    ASSERT_EQ(write(pair.other_end.get(), b.data(), b.size()), ssize_t(b.size()));
    ASSERT_TRUE(wait_until([&] { return wire->counters().from_fd + wire->counters().refused == 2; }));
    EXPECT_EQ(wire->counters().refused, 1u);
    {
        std::lock_guard lock(mutex);
        ASSERT_EQ(into_device.size(), 2u);
        EXPECT_EQ(into_device[0], a);
    }

    std::vector<uint8_t> out(1514, 0x42);
    port.send(out); // the device transmits
    std::vector<uint8_t> got(2048);
    ssize_t n = read(pair.other_end.get(), got.data(), got.size());
    ASSERT_EQ(n, 1514);
    EXPECT_EQ(wire->counters().to_fd, 1u);

    // The other end goes away: the wire stops and the cable is unplugged.
    pair.other_end.reset();
    ASSERT_TRUE(wait_until([&] { return !wire->running(); }));
    EXPECT_FALSE(port.connected());
    port.send(out);
    EXPECT_EQ(port.counters().unplugged_drops, 1u);
}

TEST(FdWire, DestroyingItUnplugsTheCable) {
    FramePort port;
    Pair pair;
    std::string error;
    auto wire = FdWire::create(port, std::move(pair.wire_end), error);
    ASSERT_TRUE(wire) << error;
    wire.reset();
    EXPECT_FALSE(port.connected());
    EXPECT_FALSE(FdWire::create(port, UniqueFd(), error));
    EXPECT_EQ(error, "no file descriptor");
}
