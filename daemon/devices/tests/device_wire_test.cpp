// The cable's pump, with a SOCK_SEQPACKET pair standing in for the TAP (one frame per datagram,
// as a TAP reads and writes): frames both ways, the host's bad frames refused, a host that goes
// away unplugs the cable, a new one plugs it in again.

#include <gtest/gtest.h>

#include "device_wire.h"
#include "wait_until.h"

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <vector>

using namespace netdext::devices;
using netdext::UniqueFd;
using namespace std::chrono_literals;
using Bytes = std::vector<uint8_t>;

namespace {

std::pair<UniqueFd, UniqueFd> seqpacket_pair() {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds), 0);
    return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

Bytes frame(size_t length, uint8_t fill) { return Bytes(length, fill); }

void put(int fd, const Bytes &bytes) {
    ASSERT_EQ(send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), ssize_t(bytes.size()));
}

// One datagram within the deadline (empty on timeout).
Bytes take(int fd) {
    Bytes buffer(70000);
    ssize_t n = -1;
    netdext::testing::wait_until(
        [&] {
            n = recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
            return n > 0;
        },
        5s);
    buffer.resize(n > 0 ? size_t(n) : 0);
    return buffer;
}

} // namespace

TEST(DeviceWire, MovesFramesBothWays) {
    auto [tap, wire_end] = seqpacket_pair();
    auto wire = DeviceWire::create(std::move(wire_end));
    ASSERT_FALSE(wire.is_error());
    auto host = wire.value()->connect();
    ASSERT_FALSE(host.is_error());
    UniqueFd device = host.release_value();
    ASSERT_TRUE(netdext::testing::wait_until([&] { return wire.value()->connected(); }, 5s));

    put(tap.get(), frame(60, 0xaa));
    EXPECT_EQ(take(device.get()), frame(60, 0xaa));
    put(device.get(), frame(1514, 0x55));
    EXPECT_EQ(take(tap.get()), frame(1514, 0x55));
    auto c = wire.value()->counters();
    EXPECT_EQ(c.to_device, 1u);
    EXPECT_EQ(c.from_device, 1u);
    EXPECT_EQ(c.refused, 0u);
}

TEST(DeviceWire, RefusesRuntsAndGiantsFromTheHost) {
    auto [tap, wire_end] = seqpacket_pair();
    auto wire = DeviceWire::create(std::move(wire_end)).release_value();
    UniqueFd device = wire->connect().release_value();
    put(device.get(), frame(13, 1));
    put(device.get(), frame(DeviceWire::kMaxFrame + 1, 2));
    put(device.get(), frame(DeviceWire::kMaxFrame, 3)); // the largest allowed
    put(device.get(), frame(14, 4));
    EXPECT_EQ(take(tap.get()).size(), DeviceWire::kMaxFrame);
    EXPECT_EQ(take(tap.get()), frame(14, 4));
    EXPECT_TRUE(netdext::testing::wait_until([&] { return wire->counters().refused == 2; }, 5s));
    EXPECT_EQ(wire->counters().from_device, 2u);
}

TEST(DeviceWire, AHostThatGoesAwayUnplugsTheCableUntilTheNextConnect) {
    auto [tap, wire_end] = seqpacket_pair();
    auto wire = DeviceWire::create(std::move(wire_end)).release_value();
    put(tap.get(), frame(60, 1)); // nobody connected: dropped
    ASSERT_TRUE(
        netdext::testing::wait_until([&] { return wire->counters().to_device_drops == 1; }, 5s));
    {
        UniqueFd first = wire->connect().release_value();
        ASSERT_TRUE(netdext::testing::wait_until([&] { return wire->connected(); }, 5s));
    } // the host exits: its end closes
    ASSERT_TRUE(netdext::testing::wait_until([&] { return !wire->connected(); }, 5s));
    UniqueFd second = wire->connect().release_value();
    ASSERT_TRUE(netdext::testing::wait_until([&] { return wire->connected(); }, 5s));
    put(tap.get(), frame(64, 2));
    EXPECT_EQ(take(second.get()), frame(64, 2));
    wire->disconnect();
    ASSERT_TRUE(netdext::testing::wait_until([&] { return !wire->connected(); }, 5s));
}
