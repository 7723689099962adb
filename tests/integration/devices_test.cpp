// Simulated devices under the real netdextd (issue 13, docs/devices.md): `netdextctl device
// attach` plugs a model in, matching starts the sample driver that wins it in its sandboxed
// netdext-host, and the device's cable — a TAP the daemon creates, which the test moves into a
// namespace of its own — carries ping and an iperf3 TCP stream through the driver. A device no
// driver matches is refused with the reason; a surprise removal is survived (the carrier drops,
// the driver stops cleanly, a reattached device brings it back); knobs change a live device.
// Root, inside namespaces the tests create.

#include <gtest/gtest.h>

#include "daemon_fixture.h"
#include "support/wait_until.h"

#include <netdext/control/protocol.h>

#include <chrono>
#include <string>

using namespace std::chrono_literals;
using netdext::testing::DaemonFixture;
using netdext::testing::DaemonRun;
using netdext::testing::ScopedNetns;
using nlohmann::json;

namespace {

// The far end of a device's cable: a namespace holding the TAP with an address, and an iperf3
// server there that is always stopped.
class Peer {
public:
    Peer(DaemonFixture &daemon, std::string subnet) : m_daemon(daemon), m_subnet(std::move(subnet)) {
        auto ns = ScopedNetns::create("ndxp");
        if (ns)
            m_ns.emplace(ns.release_value());
    }
    ~Peer() {
        if (m_ns)
            (void)m_ns->sh("[ -f /tmp/" + m_ns->name() + ".iperf.pid ] && kill $(cat /tmp/" +
                           m_ns->name() + ".iperf.pid); rm -f /tmp/" + m_ns->name() + ".iperf*");
    }
    [[nodiscard]] bool ok() const { return m_ns.has_value(); }
    std::string local() const { return m_subnet + ".1"; }
    std::string remote() const { return m_subnet + ".2"; }

    // Moves the daemon's TAP `cable` here with .2, gives the driver's `interface` .1.
    ::testing::AssertionResult connect(const std::string &cable, const std::string &interface) {
        auto r = m_daemon.sh("ip link set " + cable + " netns " + m_ns->name() +
                             " && ip addr replace " + local() + "/24 dev " + interface +
                             " && ip link set " + interface + " up");
        if (!r.ok())
            return ::testing::AssertionFailure() << r.output;
        r = m_ns->sh("ip addr add " + remote() + "/24 dev " + cable + " && ip link set " + cable +
                     " up");
        if (!r.ok())
            return ::testing::AssertionFailure() << r.output;
        return ::testing::AssertionSuccess();
    }

    ::testing::AssertionResult ping() const {
        auto r = m_daemon.sh("ping -c 3 -i 0.2 -W 3 " + remote());
        if (r.ok())
            return ::testing::AssertionSuccess();
        return ::testing::AssertionFailure() << r.output;
    }

    // A short iperf3 TCP run (1 s) from the daemon's side to the peer; the bytes received.
    uint64_t iperf3(int port) {
        const std::string pid = "/tmp/" + m_ns->name() + ".iperf.pid";
        auto started = m_ns->sh("timeout 30 iperf3 -s -1 -p " + std::to_string(port) + " -B " +
                                remote() + " -I " + pid + " > /tmp/" + m_ns->name() +
                                ".iperf.log 2>&1 &");
        EXPECT_TRUE(started.ok()) << started.output;
        EXPECT_TRUE(netdext::testing::wait_until(
            [&] { return m_ns->sh("ss -ltn | grep -q ':" + std::to_string(port) + " '").ok(); },
            10s));
        auto run = m_daemon.sh("timeout 30 iperf3 -c " + remote() + " -p " + std::to_string(port) +
                               " -t 1 -J");
        EXPECT_TRUE(run.ok()) << run.output;
        json result = json::parse(run.output, nullptr, false);
        if (result.is_discarded() || !result.contains("end"))
            return 0;
        return result["end"]["sum_received"].value("bytes", uint64_t(0));
    }

private:
    DaemonFixture &m_daemon;
    std::string m_subnet;
    std::optional<ScopedNetns> m_ns;
};

struct Devices : public ::testing::Test {
    DaemonFixture daemon;

    void SetUp() override {
        if (geteuid() != 0)
            GTEST_SKIP() << "needs root (namespaces, TAPs, the sandbox)";
    }
    void start(std::vector<std::string> dexts) {
        DaemonRun run;
        run.dext = dexts.front();
        for (size_t i = 1; i < dexts.size(); ++i)
            run.extra_args.insert(run.extra_args.end(), {"--run", dexts[i]});
        run.wait_for_interface = false; // the drivers wait for a device
        std::string error;
        ASSERT_TRUE(daemon.start(run, error)) << error;
    }
    json attach(const std::string &spec, const std::string &wire = "tap") {
        return daemon.request({{"request", "device_attach"}, {"spec", spec}, {"wire", wire}});
    }
    json device_request(const std::string &verb, uint64_t id, const std::string &knob = "") {
        json message = {{"request", verb}, {"id", id}};
        if (!knob.empty())
            message["knob"] = knob;
        return daemon.request(message);
    }
    json devices() { return daemon.request({{"request", "device_list"}})["devices"]; }
    // The running dext of `bundle_id` in the status (or {}).
    json dext(const std::string &bundle_id) {
        for (const json &d : daemon.status().value("dexts", json::array()))
            if (d.value("bundle_id", "") == bundle_id)
                return d;
        return json::object();
    }
    // The kernel's carrier of `interface` in the daemon's namespace.
    std::string carrier(const std::string &interface) {
        auto r = daemon.sh("cat /sys/class/net/" + interface + "/carrier 2>/dev/null");
        return r.output.empty() ? "" : r.output.substr(0, 1);
    }
};

constexpr const char *kUsb = "com.example.netdext.USBCDCEthernetSample";
constexpr const char *kPci = "com.example.netdext.PCIEthernetSample";

} // namespace

TEST_F(Devices, UsbSampleCarriesPingAndTcpThenSurvivesSurpriseRemoval) {
    start({USB_SAMPLE_DEXT_PATH});
    EXPECT_NE(dext(kUsb).value("reason", "").find("waiting for a matching device"),
              std::string::npos);
    json attached = attach("cdc-ecm");
    ASSERT_EQ(attached.value("event", ""), "completed") << attached.dump() << daemon.log();
    const json device = attached["device"];
    EXPECT_EQ(device.value("driver", ""), kUsb);
    EXPECT_EQ(device.value("personality", ""), "USBCDCEthernetSample");
    EXPECT_EQ(device["provider"].get<std::string>().rfind("IOUSBHostInterface 0", 0), 0u);
    const std::string cable = device["wire"].value("name", "");
    ASSERT_EQ(cable, "nxdev0");
    ASSERT_TRUE(daemon.wait_for([&] { return dext(kUsb).contains("interface"); }))
        << daemon.log();
    const std::string en = dext(kUsb)["interface"].value("name", "");

    Peer peer(daemon, "10.91.1");
    ASSERT_TRUE(peer.ok());
    ASSERT_TRUE(peer.connect(cable, en));
    ASSERT_TRUE(daemon.wait_for([&] { return carrier(en) == "1"; })) << daemon.log();
    EXPECT_TRUE(peer.ping()) << daemon.log();
    EXPECT_GT(peer.iperf3(5301), 100u * 1024) << daemon.log();
    json listed = devices();
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].value("state", ""), "attached");
    EXPECT_EQ(listed[0].value("interface", ""), en);
    EXPECT_GT(listed[0]["counters"].value("rx_frames", 0), 100);
    EXPECT_GT(listed[0]["wire"]["counters"].value("from_device", 0), 100);
    EXPECT_EQ(listed[0]["wire"]["counters"].value("refused", 1), 0);

    // Surprise removal: the driver stops cleanly, its host exits 0, the interface stays with its
    // carrier off and the driver waits for a device again.
    json gone = device_request("device_detach", device["id"]);
    ASSERT_EQ(gone.value("event", ""), "completed") << gone.dump();
    EXPECT_EQ(carrier(en), "0");
    EXPECT_TRUE(daemon.wait_for([&] {
        return daemon.log_contains("netdext-host: cdc-ecm was removed (surprise removal)");
    })) << daemon.log();
    EXPECT_TRUE(daemon.log_contains("netdext-host exited with status 0")) << daemon.log();
    EXPECT_FALSE(daemon.log_contains("crashed"));
    EXPECT_NE(dext(kUsb).value("reason", "").find("waiting for a matching device"),
              std::string::npos);
    EXPECT_TRUE(devices().empty());

    // Plugged in again: the same interface, carrier back, traffic again.
    attached = attach("cdc-ecm");
    ASSERT_EQ(attached.value("event", ""), "completed") << attached.dump() << daemon.log();
    ASSERT_TRUE(daemon.wait_for([&] { return dext(kUsb).contains("interface"); }));
    EXPECT_EQ(dext(kUsb)["interface"].value("name", ""), en);
    Peer again(daemon, "10.91.2");
    ASSERT_TRUE(again.connect(attached["device"]["wire"].value("name", ""), en));
    ASSERT_TRUE(daemon.wait_for([&] { return carrier(en) == "1"; })) << daemon.log();
    EXPECT_TRUE(again.ping()) << daemon.log();
}

TEST_F(Devices, PciSampleCarriesPingAndTcpAndTakesKnobsLive) {
    start({PCI_SAMPLE_DEXT_PATH, USB_SAMPLE_DEXT_PATH});
    json attached = attach("e1000,mac=02:00:00:00:91:07", "tap:pcicable");
    ASSERT_EQ(attached.value("event", ""), "completed") << attached.dump() << daemon.log();
    const json device = attached["device"];
    EXPECT_EQ(device.value("driver", ""), kPci);
    EXPECT_EQ(device["wire"].value("name", ""), "pcicable");
    EXPECT_FALSE(dext(kUsb).value("host_running", true)); // the USB driver still waits
    ASSERT_TRUE(daemon.wait_for([&] { return dext(kPci).contains("interface"); }))
        << daemon.log();
    const std::string en = dext(kPci)["interface"].value("name", "");

    Peer peer(daemon, "10.91.3");
    ASSERT_TRUE(peer.connect("pcicable", en));
    ASSERT_TRUE(daemon.wait_for([&] { return carrier(en) == "1"; })) << daemon.log();
    EXPECT_TRUE(peer.ping()) << daemon.log();
    EXPECT_GT(peer.iperf3(5302), 100u * 1024) << daemon.log();

    // Knobs on the live device: the cable is pulled and put back (ICR.LSC → ReportLinkStatus),
    // interrupts get lost (the driver's watchdog recovers).
    const uint64_t id = device["id"];
    json set = device_request("device_set", id, "link=down");
    ASSERT_EQ(set.value("event", ""), "result") << set.dump();
    EXPECT_TRUE(daemon.wait_for([&] { return carrier(en) == "0"; })) << daemon.log();
    EXPECT_EQ(device_request("device_set", id, "link=up").value("event", ""), "result");
    EXPECT_TRUE(daemon.wait_for([&] { return carrier(en) == "1"; })) << daemon.log();
    EXPECT_EQ(device_request("device_set", id, "lost-interrupts=2").value("event", ""), "result");
    EXPECT_TRUE(peer.ping()) << daemon.log();
    json listed = devices();
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0]["counters"].value("lost_interrupts", 0), 2);
    EXPECT_EQ(listed[0]["knobs"].value("link", ""), "up");

    // Knobs the model refuses, through netdextctl: the model's own reason.
    auto r = daemon.ctl("device set " + std::to_string(id) + " mac=02:00:00:00:00:09");
    EXPECT_FALSE(r.ok());
    EXPECT_NE(r.output.find("mac can only be set when the device is created"), std::string::npos)
        << r.output;
    r = daemon.ctl("device list");
    EXPECT_TRUE(r.ok()) << r.output;
    EXPECT_NE(r.output.find("device " + std::to_string(id) + ": e1000"), std::string::npos)
        << r.output;

    // The model lives in its driver's process: a restarted driver gets a freshly powered-on
    // device on the same cable and interface.
    r = daemon.ctl(std::string("restart ") + kPci);
    ASSERT_TRUE(r.ok()) << r.output;
    ASSERT_TRUE(daemon.wait_for([&] {
        json d = devices();
        return d.size() == 1 && d[0].value("state", "") == "attached" && carrier(en) == "1";
    })) << daemon.log();
    EXPECT_TRUE(peer.ping()) << daemon.log();
    listed = devices();
    EXPECT_FALSE(listed[0]["counters"].contains("lost_interrupts")) << listed.dump();
    EXPECT_TRUE(listed[0]["knobs"].empty()) << listed.dump();
}

TEST_F(Devices, ADeviceNoDriverMatchesIsRefusedWithTheReason) {
    start({USB_SAMPLE_DEXT_PATH});
    // The USB driver does not match a PCI function: nothing starts.
    json refused = attach("e1000");
    ASSERT_EQ(refused.value("event", ""), "failed") << refused.dump();
    EXPECT_EQ(refused["error"].value("name", ""), "kIOReturnUnsupported");
    EXPECT_NE(refused["error"].value("reason", "").find(
                  "no personality of the 1 waiting driver(s) matches the e1000 device"),
              std::string::npos)
        << refused.dump();
    // A device it matches but is not entitled to (another vendor): not started either.
    refused = attach("cdc-ecm,vid=0x1234");
    EXPECT_EQ(refused["error"].value("name", ""), "kIOReturnNotPermitted") << refused.dump();
    EXPECT_NE(refused["error"].value("reason", "").find("is not entitled to the device"),
              std::string::npos);
    // What the model itself refuses, said by the sandboxed probe.
    refused = attach("cdc-ecm,stal=0x82");
    EXPECT_EQ(refused["error"].value("name", ""), "kIOReturnBadArgument");
    EXPECT_NE(refused["error"].value("reason", "").find("no knob named \"stal\""),
              std::string::npos)
        << refused.dump();
    refused = attach("no-such-model");
    EXPECT_NE(refused["error"].value("reason", "").find("no device model named"),
              std::string::npos);
    EXPECT_EQ(attach("cdc-ecm", "veth").value("event", ""), "failed");
    EXPECT_EQ(device_request("device_detach", 7)["error"].value("name", ""), "kIOReturnNotFound");
    EXPECT_FALSE(dext(kUsb).value("host_running", true));
    EXPECT_TRUE(devices().empty());
    EXPECT_EQ(daemon.sh("ip link show nxdev0").exit_code != 0, true); // no cable was left

    // Changes need root or the admin group; reading does not.
    const std::string as_nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups " +
                                  netdext::testing::netdextctl_path() + " --socket " +
                                  daemon.socket_path() + " device ";
    auto r = daemon.sh(as_nobody + "attach cdc-ecm");
    EXPECT_FALSE(r.ok());
    EXPECT_NE(r.output.find("AuthorizationRequired"), std::string::npos) << r.output;
    EXPECT_TRUE(daemon.sh(as_nobody + "list").ok());
}
