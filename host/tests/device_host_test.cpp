// netdext-host with a simulated device (docs/devices.md, "Devices under netdextd"), against the
// in-process FakeDaemon and under the host's seccomp filter: the --describe-device probe, a USB
// driver started on the device AttachDevice names with frames on its cable socket, knobs and
// counters, surprise removal, and the refusals (a personality this host would not choose, a
// device message to a host not waiting for one).

#include "fake_daemon.h"

#include <DriverKit/IOReturn.h>

#include <gtest/gtest.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cstring>

using namespace std::chrono_literals;
using netdext::UniqueFd;
using netdext::host::testing::FakeDaemon;
using netdext::host::testing::HostArgs;
using netdext::protocol::Call;
namespace protocol = netdext::protocol;

namespace {

class DeviceHostTest : public ::testing::Test {
protected:
    FakeDaemon daemon;
    UniqueFd cable; // our end of the device's cable

    void spawn(std::vector<std::string> args) {
        std::string error;
        HostArgs host;
        host.args = std::move(args);
        ASSERT_TRUE(daemon.spawn(host, error)) << error;
    }
    // The first device message of type M (waiting for it).
    template <class M> std::optional<M> device_message() {
        std::optional<M> found;
        daemon.pump_until([&] {
            for (auto &message : daemon.device_messages)
                if (message.type() == M::kType) {
                    found = message.as<M>().release_value();
                    return true;
                }
            return false;
        });
        return found;
    }
    void attach(const char *spec, const char *personality) {
        ASSERT_NO_FATAL_FAILURE(spawn({"--bundle", USB_SAMPLE_DEXT_PATH, "--wait-for-device"}));
        int pair[2];
        ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
        cable = UniqueFd(pair[0]);
        UniqueFd theirs(pair[1]);
        protocol::AttachDevice message{};
        std::strcpy(message.spec, spec);
        std::strcpy(message.personality, personality);
        const int fd = theirs.get();
        ASSERT_TRUE(daemon.send_message(message, std::span<const int>(&fd, 1)));
    }
    int exit_code() {
        std::optional<int> status = daemon.wait_exit();
        return status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
    }
};

} // namespace

TEST_F(DeviceHostTest, TheProbeDescribesTheDeviceAsMatchingSeesIt) {
    ASSERT_NO_FATAL_FAILURE(spawn({"--describe-device", "cdc-ecm,vid=0x1234"}));
    auto d = device_message<protocol::DeviceDescription>();
    ASSERT_TRUE(d) << daemon.log_text();
    EXPECT_EQ(d->status, 0);
    EXPECT_STREQ(d->model, "cdc-ecm");
    ASSERT_EQ(d->count, 3u); // the device, its communications and data interfaces
    EXPECT_EQ(d->providers[0].kind, protocol::DeviceProvider::kUsbDevice);
    EXPECT_EQ(d->providers[0].id_vendor, 0x1234);
    EXPECT_EQ(d->providers[1].kind, protocol::DeviceProvider::kUsbInterface);
    EXPECT_EQ(d->providers[1].interface_class, 2);
    EXPECT_EQ(d->providers[1].interface_subclass, 6);
    EXPECT_EQ(d->providers[1].configuration_value, 1);
    EXPECT_EQ(d->providers[2].interface_class, 10);
    EXPECT_EQ(exit_code(), 0);
    EXPECT_FALSE(daemon.hello.has_value()); // a probe loads no bundle and says no Hello
}

TEST_F(DeviceHostTest, TheProbeSaysWhatIsWrongWithTheSpec) {
    ASSERT_NO_FATAL_FAILURE(spawn({"--describe-device", "e1000,stal=1"}));
    auto d = device_message<protocol::DeviceDescription>();
    ASSERT_TRUE(d);
    EXPECT_EQ(d->status, kIOReturnBadArgument);
    EXPECT_EQ(d->count, 0u);
    EXPECT_NE(std::string(d->error).find("no knob named \"stal\""), std::string::npos) << d->error;
    EXPECT_EQ(exit_code(), 2);
}

TEST_F(DeviceHostTest, TheDriverStartsOnTheDeviceAndItsFramesReachTheCable) {
    ASSERT_NO_FATAL_FAILURE(attach("cdc-ecm,mac=02:00:00:00:00:41", "USBCDCEthernetSample"));
    auto attached = device_message<protocol::DeviceAttached>();
    ASSERT_TRUE(attached) << daemon.log_text();
    EXPECT_EQ(attached->status, kIOReturnSuccess) << attached->reason;
    ASSERT_TRUE(daemon.pump_until([&] { return daemon.start_result.has_value(); }))
        << daemon.log_text();
    EXPECT_EQ(*daemon.start_result, kIOReturnSuccess);
    ASSERT_TRUE(daemon.registration.has_value());
    const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x41}; // from the device's descriptors
    EXPECT_TRUE(std::equal(mac, mac + 6, daemon.registration->mac));

    // A frame from the stack goes driver → bulk OUT → model → the cable socket.
    auto enabled = daemon.call(Call::SetInterfaceEnable, 1);
    ASSERT_TRUE(enabled && enabled->status == kIOReturnSuccess) << daemon.log_text();
    std::vector<uint8_t> frame(60, 0xab);
    frame[12] = 0x88;
    frame[13] = 0xb5;
    ASSERT_EQ(daemon.transmit({frame}), 1u);
    std::vector<uint8_t> got(2048);
    ssize_t n = -1;
    ASSERT_TRUE(daemon.pump_until([&] {
        n = recv(cable.get(), got.data(), got.size(), MSG_DONTWAIT);
        return n > 0;
    })) << daemon.log_text();
    got.resize(size_t(n));
    EXPECT_EQ(got, frame);

    // Knobs and counters of the live model.
    protocol::SetDeviceKnob knob{};
    std::strcpy(knob.name, "link");
    std::strcpy(knob.value, "down");
    ASSERT_TRUE(daemon.send_message(knob));
    auto set = device_message<protocol::DeviceKnobSet>();
    ASSERT_TRUE(set);
    EXPECT_EQ(set->status, kIOReturnSuccess) << set->error;
    ASSERT_TRUE(daemon.send_message(protocol::QueryDevice{}));
    auto counters = device_message<protocol::DeviceCounters>();
    ASSERT_TRUE(counters);
    EXPECT_EQ(counters->removed, 0u);
    bool tx_counted = false;
    for (uint32_t i = 0; i < counters->count; ++i)
        tx_counted = tx_counted || (std::string(counters->entries[i].name) == "tx_frames" &&
                                    counters->entries[i].value == 1);
    EXPECT_TRUE(tx_counted);

    // Surprise removal: the driver is stopped, the host exits 0 and the cable closes.
    ASSERT_TRUE(daemon.send_message(protocol::DetachDevice{}));
    EXPECT_EQ(exit_code(), 0) << daemon.log_text();
    EXPECT_TRUE(daemon.logged("cdc-ecm was removed (surprise removal)")) << daemon.log_text();
    EXPECT_EQ(recv(cable.get(), got.data(), got.size(), MSG_DONTWAIT), 0); // end of file
}

TEST_F(DeviceHostTest, APersonalityThisHostWouldNotChooseIsRefused) {
    ASSERT_NO_FATAL_FAILURE(attach("cdc-ecm", "SomeoneElse"));
    auto attached = device_message<protocol::DeviceAttached>();
    ASSERT_TRUE(attached);
    EXPECT_EQ(attached->status, kIOReturnNotPermitted);
    EXPECT_NE(std::string(attached->reason).find("netdextd matched the personality SomeoneElse"),
              std::string::npos)
        << attached->reason;
    EXPECT_FALSE(daemon.start_result.has_value()); // the driver did not start
}

TEST_F(DeviceHostTest, ADeviceMessageToAHostNotWaitingForOneExitsOne) {
    ASSERT_NO_FATAL_FAILURE(spawn({"--bundle", SAMPLE_DEXT_PATH}));
    ASSERT_TRUE(daemon.pump_until([&] { return daemon.start_result.has_value(); }));
    ASSERT_TRUE(daemon.send_message(protocol::QueryDevice{}));
    EXPECT_EQ(exit_code(), 1);
}
