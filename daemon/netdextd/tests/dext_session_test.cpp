// DextSession without root: the test plays netdext-host on the other end of a real control
// channel, a FakeHost stands for the process and its pidfd, a FakeNetwork for TAPs and rtnetlink.
// Covers the launch and interface entitlement policy, every message the host may send (and what
// it may not), supervision (exit, crash, faults, protocol errors) and link events → driver calls,
// and frames end to end through the session's real mover thread.

#include <gtest/gtest.h>

#include <linux/if_tun.h>

#include "daemon_log.h"
#include "dext_session.h"
#include "support/fake_driver.h"
#include "support/fake_network.h"
#include "support/test_bundle.h"
#include "wait_until.h"

#include <netdext/registry/wire.h>

#include <poll.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstring>

namespace netdext::daemon {
namespace {

using namespace netdext::protocol;
namespace ipc = netdext::shm::ipc;
using shm::RingId;
using testing::Bytes;
using testing::FakeDriver;
using testing::FakeHost;
using testing::FakeFrameDevice;
using testing::FakeNetwork;
using testing::test_bundle;
using testing::test_frame;
using netdext::testing::wait_until;

// Whether the daemon's recent log has a line containing `text`.
bool daemon_logged(const std::string &text) {
    for (const daemon_log::Line &line : daemon_log::log().recent())
        if (line.text.find(text) != std::string::npos)
            return true;
    return false;
}

constexpr int32_t kIOReturnBadArgument = int32_t(0xE00002C2);
constexpr int32_t kIOReturnNotPermitted = int32_t(0xE00002E2); // as macOS's family refuses it
constexpr int32_t kIOReturnBusy = int32_t(0xE00002D5);
constexpr int32_t kIOReturnNoResources = int32_t(0xE00002BE);
constexpr int32_t kIOReturnExclusiveAccess = int32_t(0xE00002C5);
constexpr uint8_t kMac[6] = {0x10, 0x22, 0x33, 0x44, 0x55, 0x66};
constexpr uint8_t kMacB[6] = {0x10, 0x22, 0x33, 0x44, 0x55, 0x67}; // a dext's other interfaces
constexpr uint8_t kMacC[6] = {0x10, 0x22, 0x33, 0x44, 0x55, 0x68};

struct Pool {
    uint64_t id = 0;
    shm::PoolLayout layout;
    std::optional<shm::SharedRegion> region;
};

struct Registered {
    InterfaceRegistered reply{};
    std::optional<shm::SharedRegion> rings;
    std::optional<shm::EventFd> daemon_doorbell;
    std::optional<FakeDriver> driver;
};

struct Session : public ::testing::Test {
    SessionOptions options;
    FakeNetwork *network = nullptr; // owned by the session
    FakeHost *host = nullptr;       // owned by the session
    std::optional<ipc::Channel> host_end;
    std::unique_ptr<DextSession> session;
    std::shared_ptr<InterfaceSlot> slot; // the extension's interface, across sessions
    shm::RingCapacities capacities{8, 8, 8, 8, 32, 32};

    void SetUp() override { options.drop_limit = 4; }

    std::unique_ptr<DextSession> attach(const bundle::Bundle &bundle, std::string &error) {
        auto pair = ipc::Channel::create_pair(kProtocol);
        if (!pair) {
            error = pair.error().describe();
            return nullptr;
        }
        auto [daemon_side, host_side] = pair.release_value();
        auto fake_network = std::make_unique<FakeNetwork>();
        auto fake_host = std::make_unique<FakeHost>();
        network = fake_network.get();
        host = fake_host.get();
        host_end.emplace(std::move(host_side));
        if (!slot || !keep_slot)
            slot = std::make_shared<InterfaceSlot>("en%d", "", "");
        return DextSession::attach(options, bundle, std::move(fake_network), std::move(fake_host),
                                   std::move(daemon_side), slot, error);
    }
    void start(const bundle::Bundle &bundle = test_bundle()) {
        std::string error;
        session = attach(bundle, error);
        ASSERT_TRUE(session) << error;
    }
    // The next session of the same extension (a relaunch, a replacement): the old one gone, a
    // new host in the same slot, whose kept interfaces it finds there.
    void relaunch() {
        const size_t created = network->devices_created;
        session.reset();
        keep_slot = true;
        start();
        keep_slot = false;
        network->devices_created = created; // the kernel's next free unit and ifindex
    }
    bool keep_slot = false;
    // The host crashes (SIGSEGV) and the extension is launched again in the same slot.
    void crash_and_relaunch() {
        host->exit(SIGSEGV);
        session->on_host_exit();
        relaunch();
    }

    // host → daemon, then the daemon's main loop handles it.
    template <class M> void host_sends(const M &message, uint32_t flags = 0, uint64_t reply_to = 0) {
        ASSERT_TRUE(host_end->send(message, {}, flags, reply_to));
        session->on_channel_readable();
    }
    void host_sends_bytes(std::vector<std::byte> bytes) {
        ASSERT_TRUE(host_end->send_datagram(bytes));
        session->on_channel_readable();
    }
    // daemon → host: the next message, if any.
    std::optional<ipc::ReceivedMessage> host_receives() {
        auto received = host_end->receive();
        if (!received)
            return std::nullopt;
        return received.release_value();
    }
    template <class M> std::optional<M> host_receives_a(uint64_t *sequence = nullptr) {
        auto message = host_receives();
        if (!message || message->type() != M::kType)
            return std::nullopt;
        if (sequence != nullptr)
            *sequence = message->header().sequence;
        auto decoded = message->template as<M>();
        if (!decoded)
            return std::nullopt;
        return decoded.value();
    }
    bool nothing_sent() { return !host_receives().has_value(); }

    Pool create_pool(uint32_t packets = 34, uint32_t buffers = 32, uint32_t size = 2048,
                     int32_t *status = nullptr) {
        CreatePool request{};
        request.packet_count = packets;
        request.buffer_count = buffers;
        request.buffer_size = size;
        std::snprintf(request.name, sizeof request.name, "pool");
        host_sends(request);
        Pool pool;
        auto message = host_receives();
        EXPECT_TRUE(message && message->type() == PoolCreated::kType);
        if (!message || message->type() != PoolCreated::kType)
            return pool;
        PoolCreated reply = message->as<PoolCreated>().value();
        if (status != nullptr)
            *status = reply.status;
        if (reply.status != 0)
            return pool;
        EXPECT_EQ(message->fd_count(), 1u);
        pool.id = reply.pool_id;
        pool.layout = shm::PoolLayout::compute(packets, buffers, size).value();
        auto region = shm::SharedRegion::attach(message->take_fd(0), reply.total_size);
        EXPECT_TRUE(region) << region.error().describe();
        if (region)
            pool.region.emplace(region.release_value());
        return pool;
    }

    // A registration of interface `id`: one lane, one queue of each kind on `pool`.
    RegisterInterface registration(const Pool &pool, const uint8_t (&mac)[6] = kMac,
                                   uint32_t id = 0, uint64_t registry_id = 0) {
        RegisterInterface request{};
        request.interface_id = id;
        request.registry_id = registry_id;
        request.lane_count = 1;
        request.lanes[0].pool_id = pool.id;
        for (uint32_t &count : request.lanes[0].queue_counts)
            count = 1;
        std::memcpy(request.mac, mac, 6);
        for (size_t i = 0; i < 6; ++i)
            request.lanes[0].capacities[i] = capacities[i];
        return request;
    }
    // Registers two TX queues on one pool and three RX queues on another; the daemon's reply,
    // a successful InterfaceRegistered (else nullopt, the failure reported).
    std::optional<ipc::ReceivedMessage> register_two_pools_three_sets();
    Registered register_interface(Pool &pool, const uint8_t (&mac)[6] = kMac, uint32_t id = 0,
                                  uint64_t registry_id = 0) {
        host_sends(registration(pool, mac, id, registry_id));
        Registered out;
        auto message = host_receives();
        EXPECT_TRUE(message && message->type() == InterfaceRegistered::kType);
        if (!message || message->type() != InterfaceRegistered::kType)
            return out;
        out.reply = message->as<InterfaceRegistered>().value();
        if (out.reply.status != 0) {
            EXPECT_EQ(message->fd_count(), 0u);
            return out;
        }
        EXPECT_EQ(message->fd_count(), 3u);
        EXPECT_EQ(out.reply.interface_id, id);
        EXPECT_EQ(out.reply.lane_count, 1u);
        auto layout = shm::RingsLayout::compute(capacities).value();
        auto rings = shm::SharedRegion::attach(message->take_fd(0), out.reply.rings_size[0]);
        auto doorbell = shm::EventFd::adopt(message->take_fd(1));
        EXPECT_TRUE(rings && doorbell);
        if (!rings || !doorbell)
            return out;
        out.rings.emplace(rings.release_value());
        out.daemon_doorbell.emplace(doorbell.release_value());
        shm::RingDoorbells doorbells;
        for (RingId ring : {RingId::TxCompletion, RingId::RxCompletion, RingId::Free})
            doorbells.peer[shm::ring_slot(ring)] = &*out.daemon_doorbell;
        std::string error;
        out.driver = FakeDriver::attach(pool.region->bytes(), pool.layout, out.rings->bytes(),
                                        layout, doorbells, error);
        EXPECT_TRUE(out.driver) << error;
        return out;
    }

    // The driver call the daemon sent next; answers it with `status` and `value`.
    std::optional<DriverCall> driver_call(int32_t status = 0, uint32_t value = 0,
                                          bool answer = true) {
        uint64_t sequence = 0;
        auto call = host_receives_a<DriverCall>(&sequence);
        if (call && answer)
            host_sends(DriverCallReply{status, value}, ipc::kMessageFlagReply, sequence);
        return call;
    }

    // A registered interface whose driver said its maximum MTU is 9000.
    Registered up_and_running(Pool &pool) {
        pool = create_pool();
        Registered r = register_interface(pool);
        auto mtu_call = driver_call(0, 9000);
        EXPECT_TRUE(mtu_call && mtu_call->call == uint32_t(Call::GetMaxTransferUnit));
        EXPECT_EQ(session->max_mtu(), 9000u);
        return r;
    }
    void enable_queues(uint32_t interface_id = 0) {
        for (uint8_t kind = 0; kind < 4; ++kind)
            host_sends(QueueEnable{kind, 1, 0, interface_id});
    }
    // A frame the stack sends out of `device` reaches the driver of `r` (its queues enabled).
    bool frame_reaches_driver(Registered &r, FakeFrameDevice &device, uint32_t seed) {
        if (!r.driver)
            return false;
        const Bytes frame = test_frame(seed, 80);
        device.send(frame);
        std::vector<Bytes> got;
        return wait_until([&] {
                   for (Bytes &f : r.driver->take_tx())
                       got.push_back(std::move(f));
                   return !got.empty();
               }) &&
               got.size() == 1 && got[0] == frame;
    }
    bool fault_signalled() {
        struct pollfd fd = {session->fault_fd(), POLLIN, 0};
        return poll(&fd, 1, 0) == 1;
    }
};

// ---- the launch and interface policy ---------------------------------------------------------------

TEST_F(Session, ADextWithoutTheDriverKitEntitlementIsRefused) {
    std::string error;
    EXPECT_EQ(attach(test_bundle(/*driverkit=*/false), error), nullptr);
    EXPECT_NE(error.find("missing the entitlement com.apple.developer.driverkit"),
              std::string::npos)
        << error;
    bundle::Bundle unmatched = test_bundle();
    unmatched.personalities.clear();
    error.clear();
    EXPECT_EQ(attach(unmatched, error), nullptr);
    EXPECT_NE(error.find("no IOKitPersonalities"), std::string::npos) << error;
    error.clear();
    EXPECT_NE(attach(test_bundle(), error), nullptr) << error;
    const auto granted = entitlements::Entitlements::network_driver();
    EXPECT_TRUE(DextSession::check_bundle(test_bundle(), granted, error));
    EXPECT_FALSE(DextSession::check_bundle(
        test_bundle(), DextSession::bundle_entitlements(test_bundle(false, true)), error));
}

TEST_F(Session, AnInterfaceNeedsTheNetworkingEntitlement) {
    start(test_bundle(/*driverkit=*/true, /*networking=*/false));
    Pool pool = create_pool();
    Registered r = register_interface(pool);
    EXPECT_EQ(r.reply.status, kIOReturnNotPermitted);
    EXPECT_EQ(network->devices_created, 0u);
    EXPECT_EQ(session->interface(), nullptr);
    EXPECT_TRUE(nothing_sent()) << "no driver call for an interface that does not exist";
}

TEST_F(Session, RegistrationMakesTheDeviceAndAsksForTheMaximumMtu) {
    start();
    Pool pool;
    Registered r = up_and_running(pool);
    ASSERT_EQ(r.reply.status, 0);
    EXPECT_EQ(std::string(r.reply.name), "en0");
    EXPECT_EQ(r.reply.unit, 0);
    ASSERT_NE(network->device, nullptr);
    EXPECT_EQ(network->device->mac(), (MacAddress{{0x10, 0x22, 0x33, 0x44, 0x55, 0x66}}));
    EXPECT_EQ(network->device->mtu(), 1500u);
    EXPECT_EQ(network->device->txqueuelen(), 1000u); // at least a NIC's default
    EXPECT_EQ(network->device->carrier(), false);
    EXPECT_EQ(network->watched, (std::map<int, bool>{{network->device->ifindex(), true}}));
    // A second registration of the same interface is refused.
    Registered second = register_interface(pool);
    EXPECT_EQ(second.reply.status, kIOReturnBusy);
    EXPECT_EQ(network->devices_created, 1u);
    // Unregistering deletes it and stops watching its link.
    const int ifindex = network->device->ifindex();
    host_sends(UnregisterInterface{0});
    EXPECT_EQ(session->interface(), nullptr);
    EXPECT_EQ(network->watched, (std::map<int, bool>{{ifindex, false}}));
}

// ---- several interfaces per dext (issue 12: multi-port drivers, several services) -------------

TEST_F(Session, OneDextRegistersTwoInterfacesEachWithItsOwnDeviceAndCalls) {
    start();
    Pool pool_a = create_pool(), pool_b = create_pool();
    const uint8_t mac_b[6] = {0x10, 0x22, 0x33, 0x44, 0x55, 0x67};
    Registered a = register_interface(pool_a);
    ASSERT_EQ(a.reply.status, 0);
    auto mtu_a = driver_call(0, 9000);
    ASSERT_TRUE(mtu_a);
    EXPECT_EQ(mtu_a->interface_id, 0u);
    FakeFrameDevice *device_a = network->device;
    Registered b = register_interface(pool_b, mac_b, 1);
    ASSERT_EQ(b.reply.status, 0);
    EXPECT_EQ(std::string(b.reply.name), "en1");
    auto mtu_b = driver_call(0, 4000);
    ASSERT_TRUE(mtu_b);
    EXPECT_EQ(mtu_b->interface_id, 1u);
    FakeFrameDevice *device_b = network->device;
    EXPECT_EQ(network->devices_created, 2u);
    EXPECT_EQ(session->interface_ids(), (std::vector<uint32_t>{0, 1}));
    EXPECT_EQ(session->max_mtu(0), 9000u);
    EXPECT_EQ(session->max_mtu(1), 4000u);
    EXPECT_EQ(slot->interface_names(), (std::vector<std::string>{"en0", "en1"}));
    // Link status goes to the interface it names.
    host_sends(LinkStatus{0x3, 0, 1});
    EXPECT_EQ(device_a->carrier(), false);
    EXPECT_EQ(device_b->carrier(), true);
    // The stack's changes on one link reach that interface's driver only.
    session->on_link_event(netlink::LinkEvent{device_b->ifindex(), netlink::AdminStateChanged{true}});
    auto enable = driver_call();
    ASSERT_TRUE(enable);
    EXPECT_EQ(enable->call, uint32_t(Call::SetInterfaceEnable));
    EXPECT_EQ(enable->interface_id, 1u);
    // Unregistering one leaves the other.
    host_sends(UnregisterInterface{1});
    EXPECT_EQ(session->interface(1), nullptr);
    EXPECT_NE(session->interface(0), nullptr);
    EXPECT_EQ(slot->interface_names(), (std::vector<std::string>{"en0"}));
    EXPECT_EQ(session->protocol_errors(), 0u);
}

// Deleting one of a dext's links stops the dext; the other interface keeps its TAP until the
// session lets it go (its mover may still be using it), as a kept interface for the next driver.
TEST_F(Session, DeletingOneLinkLeavesTheOthersTap) {
    start();
    Pool pool_a = create_pool(), pool_b = create_pool();
    ASSERT_EQ(register_interface(pool_a).reply.status, 0);
    ASSERT_TRUE(driver_call(0, 1500));
    const int first = network->device->ifindex();
    ASSERT_EQ(register_interface(pool_b, kMacB, 1).reply.status, 0);
    ASSERT_TRUE(driver_call(0, 1500));
    session->on_link_event({first, netlink::LinkDeleted{}});
    EXPECT_TRUE(host_receives_a<Terminate>());
    EXPECT_EQ(slot->interface_names(), (std::vector<std::string>{"en1"}));
    ASSERT_NE(session->interface(1), nullptr);
    EXPECT_EQ(session->interface(1)->name(), "en1");
}

TEST_F(Session, InterfacesOfOneDextNeedTheirOwnPoolsMacsAndValidIds) {
    start();
    Pool pool = create_pool(), other = create_pool();
    ASSERT_EQ(register_interface(pool).reply.status, 0);
    ASSERT_TRUE(driver_call(0, 9000));
    // The same MAC on a second interface of the same dext.
    EXPECT_EQ(register_interface(other, kMac, 1).reply.status, kIOReturnExclusiveAccess);
    // The pool of another interface.
    const uint8_t mac_b[6] = {0x10, 0x22, 0x33, 0x44, 0x55, 0x68};
    EXPECT_EQ(register_interface(pool, mac_b, 2).reply.status, kIOReturnBadArgument);
    EXPECT_EQ(session->protocol_errors(), 1u);
    // An id out of range.
    EXPECT_EQ(register_interface(other, mac_b, protocol::kMaxInterfaces).reply.status,
              kIOReturnBadArgument);
    host_sends(LinkStatus{0x3, 0, protocol::kMaxInterfaces});
    host_sends(QueueEnable{0, 1, 0, 99});
    EXPECT_EQ(session->protocol_errors(), 4u);
    EXPECT_EQ(network->devices_created, 1u);
}

// ---- the multi-interface lifecycle, as a hostile host drives it --------------------------------

// netdext-host gives a freed id to the next driver object that registers (a new port service):
// that interface starts as a new one, with nothing of the MTU the stack and the old driver agreed.
TEST_F(Session, AnIdRegisteredAgainDoesNotInheritTheGoneInterfacesMtu) {
    start();
    Pool first = create_pool(), second = create_pool();
    ASSERT_EQ(register_interface(first, kMacB, 1).reply.status, 0);
    ASSERT_TRUE(driver_call(0, 9000)); // GetMaxTransferUnit
    session->on_link_event({network->device->ifindex(), netlink::MtuChanged{1500, 9000}});
    ASSERT_TRUE(driver_call(0)); // SetMTU(9000) accepted
    ASSERT_EQ(session->driver_mtu(1), 9000u);
    host_sends(UnregisterInterface{1});
    ASSERT_EQ(register_interface(second, kMacC, 1).reply.status, 0);
    ASSERT_TRUE(driver_call(kIOReturnBadArgument)); // this driver names no maximum
    EXPECT_EQ(session->driver_mtu(1), 1500u);
    EXPECT_EQ(session->max_mtu(1), 0u);
    // The stack raises the new link's MTU: the new driver is asked.
    session->on_link_event({network->device->ifindex(), netlink::MtuChanged{1500, 9000}});
    auto call = driver_call(0);
    ASSERT_TRUE(call);
    EXPECT_EQ(call->call, uint32_t(Call::SetMTU));
    EXPECT_EQ(call->interface_id, 1u);
    EXPECT_EQ(session->driver_mtu(1), 9000u);
}

// Nor the link the gone one reported: no speed for ethtool, no active link in the registry,
// until the new driver reports its own.
TEST_F(Session, AnIdRegisteredAgainDoesNotInheritTheGoneInterfacesLink) {
    start();
    Pool first = create_pool(), second = create_pool();
    ASSERT_EQ(register_interface(first, kMacB, 1).reply.status, 0);
    ASSERT_TRUE(driver_call(0, 1500));
    const uint32_t kGigabitFull = 0x20 | 0x10 | 0x100000; // Ethernet | 1000BaseT | FullDuplex
    host_sends(MediaTypes{1, 1, {kGigabitFull}});
    host_sends(LinkStatus{0x3, kGigabitFull, 1});
    ASSERT_EQ(network->device->link_settings()->first, 1000u);
    host_sends(UnregisterInterface{1});
    ASSERT_EQ(register_interface(second, kMacC, 1).reply.status, 0);
    ASSERT_TRUE(driver_call(0, 1500));
    EXPECT_EQ(network->device->carrier(), false);
    ASSERT_TRUE(network->device->link_settings());
    EXPECT_EQ(network->device->link_settings()->first, 0u);
    EXPECT_EQ(network->device->link_settings()->second, std::nullopt);
    auto service = session->describe_service();
    ASSERT_TRUE(service.ethernet);
    EXPECT_EQ(service.ethernet->link_status, 0u);
    EXPECT_EQ(service.ethernet->active_medium, 0u);
    EXPECT_TRUE(service.ethernet->media.empty());
    EXPECT_EQ(session->protocol_errors(), 0u);
}

// A reply may cross an UnregisterInterface (the host answers a call on the gone driver object,
// or a hostile one answers late): it is not applied to the next interface on the id.
TEST_F(Session, AReplyForAGoneInterfaceDoesNotReachTheNextOnItsId) {
    start();
    Pool first = create_pool(), second = create_pool();
    ASSERT_EQ(register_interface(first, kMacB, 1).reply.status, 0);
    ASSERT_TRUE(driver_call(0, 9000));
    session->on_link_event({network->device->ifindex(), netlink::MtuChanged{1500, 4000}});
    uint64_t set_mtu = 0;
    ASSERT_TRUE(host_receives_a<DriverCall>(&set_mtu)); // SetMTU(4000), not answered yet
    host_sends(UnregisterInterface{1});
    ASSERT_EQ(register_interface(second, kMacC, 1).reply.status, 0);
    uint64_t get_mtu = 0;
    ASSERT_TRUE(host_receives_a<DriverCall>(&get_mtu)); // the new one's GetMaxTransferUnit
    // Refused by the gone one: the new link's MTU is not "put back".
    host_sends(DriverCallReply{kIOReturnBadArgument, 0}, ipc::kMessageFlagReply, set_mtu);
    EXPECT_TRUE(network->mtu_puts.empty());
    EXPECT_EQ(session->driver_mtu(1), 1500u);
    host_sends(DriverCallReply{0, 1500}, ipc::kMessageFlagReply, get_mtu);
    EXPECT_EQ(session->max_mtu(1), 1500u);
    EXPECT_FALSE(session->oldest_unanswered_call());
}

// A relaunched driver finds the interfaces the last one registered kept, with their MACs: another
// of its interfaces does not get one of those (two interfaces never share a MAC).
TEST_F(Session, AKeptInterfacesMacIsNotGivenToAnotherInterfaceOfTheDext) {
    start();
    Pool first = create_pool(), second = create_pool();
    ASSERT_EQ(register_interface(first, kMac, 0).reply.status, 0);
    ASSERT_TRUE(driver_call(0, 1500));
    ASSERT_EQ(register_interface(second, kMacB, 1).reply.status, 0);
    ASSERT_TRUE(driver_call(0, 1500));
    FakeFrameDevice *en1 = network->device;
    crash_and_relaunch();
    // en1 is registered again first; another port taking its MAC is refused.
    Pool pool = create_pool(), other = create_pool();
    ASSERT_EQ(register_interface(pool, kMacB, 1).reply.status, 0);
    ASSERT_TRUE(driver_call(0, 1500));
    EXPECT_EQ(register_interface(other, kMacB, 0).reply.status, kIOReturnExclusiveAccess);
    EXPECT_EQ(en1->mac(), (MacAddress{{0x10, 0x22, 0x33, 0x44, 0x55, 0x67}}));
    EXPECT_EQ(slot->mac(), (MacAddress{{0x10, 0x22, 0x33, 0x44, 0x55, 0x66}}));
    // Its own MAC back, or a new one, is fine.
    EXPECT_EQ(register_interface(other, kMacC, 0).reply.status, 0);
    EXPECT_EQ(slot->interface_names(), (std::vector<std::string>{"en0", "en1"}));
}

// A relaunched multi-port driver whose ports register in the other order: each kept interface
// follows its MAC (as macOS keeps a NIC's BSD name with its MAC), none is made anew.
TEST_F(Session, KeptInterfacesFollowTheirMacsWhenPortsRegisterInAnotherOrder) {
    start();
    Pool first = create_pool(), second = create_pool();
    ASSERT_EQ(register_interface(first, kMac, 0).reply.status, 0);
    ASSERT_TRUE(driver_call(0, 1500));
    FakeFrameDevice *en0 = network->device;
    ASSERT_EQ(register_interface(second, kMacB, 1).reply.status, 0);
    ASSERT_TRUE(driver_call(0, 1500));
    FakeFrameDevice *en1 = network->device;
    crash_and_relaunch();
    Pool a = create_pool(), b = create_pool();
    ASSERT_EQ(register_interface(a, kMacB, 0).reply.status, 0); // port B first now
    ASSERT_TRUE(driver_call(0, 1500));
    ASSERT_EQ(register_interface(b, kMac, 1).reply.status, 0);
    ASSERT_TRUE(driver_call(0, 1500));
    ASSERT_NE(session->interface(0), nullptr);
    ASSERT_NE(session->interface(1), nullptr);
    EXPECT_EQ(session->interface(0)->name(), "en1");
    EXPECT_EQ(session->interface(0)->ifindex(), en1->ifindex());
    EXPECT_EQ(session->interface(1)->name(), "en0");
    EXPECT_EQ(session->interface(1)->ifindex(), en0->ifindex());
    EXPECT_EQ(en0->mac(), (MacAddress{{0x10, 0x22, 0x33, 0x44, 0x55, 0x66}}));
    EXPECT_EQ(en1->mac(), (MacAddress{{0x10, 0x22, 0x33, 0x44, 0x55, 0x67}}));
    EXPECT_EQ(slot->interface_names(), (std::vector<std::string>{"en1", "en0"}));
    EXPECT_EQ(session->protocol_errors(), 0u);
}

// A kept interface deleted while no driver ran it (crashed, waiting to relaunch: nobody watched
// its link) is made anew for the next driver, not handed over dead.
TEST_F(Session, AKeptInterfaceDeletedWhileNoDriverRanItIsMadeAnew) {
    start();
    Pool pool;
    up_and_running(pool);
    const int old_ifindex = network->device->ifindex();
    crash_and_relaunch();
    network->deleted.insert(old_ifindex); // `ip link del en0` before the driver registers
    Pool again = create_pool();
    ASSERT_EQ(register_interface(again).reply.status, 0);
    ASSERT_NE(network->device, nullptr) << "the dead TAP was handed over";
    EXPECT_NE(network->device->ifindex(), old_ifindex);
    EXPECT_EQ(slot->ifindex(), network->device->ifindex());
    EXPECT_EQ(session->interface()->ifindex(), network->device->ifindex());
}

// A deleted link's driver object may register again while its dext stops: a new TAP, without
// the carrier the deleted one had until the driver reports its link.
TEST_F(Session, AnIdRegisteredAgainAfterItsLinkWasDeletedHasNoCarrierUntilReported) {
    start();
    Pool pool;
    up_and_running(pool);
    host_sends(LinkStatus{0x3, 0, 0});
    session->on_link_event({network->device->ifindex(), netlink::LinkDeleted{}});
    ASSERT_TRUE(host_receives_a<Terminate>());
    EXPECT_FALSE(slot->has_interface());
    Pool other = create_pool();
    ASSERT_EQ(register_interface(other).reply.status, 0);
    ASSERT_TRUE(driver_call(0, 1500));
    EXPECT_EQ(network->devices_created, 2u);
    EXPECT_EQ(network->device->carrier(), false);
    EXPECT_FALSE(session->carrier());
    host_sends(LinkStatus{0x3, 0, 0});
    EXPECT_EQ(network->device->carrier(), true);
}

// Ids in any order, ids never registered, an UnregisterInterface twice: the others' movers never
// notice, and a given-up id registers again.
TEST_F(Session, IdsInAnyOrderOrGivenUpTwiceLeaveTheOtherInterfacesMovingFrames) {
    start();
    Pool pool_0 = create_pool(), pool_3 = create_pool();
    host_sends(UnregisterInterface{5});
    Registered third = register_interface(pool_3, kMacB, 3);
    ASSERT_EQ(third.reply.status, 0);
    ASSERT_TRUE(driver_call(0, 1500));
    FakeFrameDevice *en0 = network->device;
    enable_queues(3);
    ASSERT_EQ(register_interface(pool_0, kMac, 0).reply.status, 0);
    ASSERT_TRUE(driver_call(0, 1500));
    host_sends(UnregisterInterface{0});
    host_sends(UnregisterInterface{0});
    host_sends(UnregisterInterface{7});
    EXPECT_EQ(session->interface_ids(), (std::vector<uint32_t>{3}));
    EXPECT_EQ(slot->interface_names(), (std::vector<std::string>{"en0"}));
    EXPECT_TRUE(frame_reaches_driver(third, *en0, 1));
    ASSERT_EQ(register_interface(pool_0, kMacC, 0).reply.status, 0);
    ASSERT_TRUE(driver_call(0, 1500));
    EXPECT_EQ(session->interface_ids(), (std::vector<uint32_t>{0, 3}));
    EXPECT_TRUE(frame_reaches_driver(third, *en0, 2));
    EXPECT_EQ(session->protocol_errors(), 0u);
}

TEST_F(Session, AllEightIdsRegisterAndANinthIsRefused) {
    start();
    std::vector<Pool> pools;
    for (uint32_t id = 0; id <= kMaxInterfaces; ++id)
        pools.push_back(create_pool());
    for (uint32_t id = 0; id <= kMaxInterfaces; ++id) {
        const uint8_t mac[6] = {0x10, 0x22, 0x33, 0x44, 0x56, uint8_t(id)};
        Registered r = register_interface(pools[id], mac, id);
        if (id == kMaxInterfaces) {
            EXPECT_EQ(r.reply.status, kIOReturnBadArgument);
            break;
        }
        ASSERT_EQ(r.reply.status, 0);
        ASSERT_TRUE(driver_call(0, 1500));
    }
    EXPECT_EQ(session->interface_ids().size(), size_t(kMaxInterfaces));
    EXPECT_EQ(slot->interface_names().size(), size_t(kMaxInterfaces));
    EXPECT_EQ(network->devices_created, size_t(kMaxInterfaces));
}

// ReleasePool of a pool an interface uses: the pool is gone for new registrations, its memory
// stays mapped for the interface's mover until that interface goes.
TEST_F(Session, APoolReleasedWhileItsInterfaceRunsStaysMappedForIt) {
    start();
    Pool pool;
    Registered r = up_and_running(pool);
    enable_queues();
    host_sends(ReleasePool{pool.id});
    EXPECT_TRUE(frame_reaches_driver(r, *network->device, 3));
    Pool other = create_pool();
    EXPECT_EQ(register_interface(pool, kMacB, 1).reply.status, kIOReturnBadArgument);
    host_sends(UnregisterInterface{0});
    EXPECT_EQ(register_interface(other, kMacB, 1).reply.status, 0);
}

// A relaunched driver registering some of the last one's ids gets their kept interfaces back; a
// link the administrator deleted is made anew; the ids it does not register stay kept.
TEST_F(Session, ARelaunchedDriverGetsTheKeptInterfacesOfItsIdsAndADeletedOneAnew) {
    start();
    Pool pools[3] = {create_pool(), create_pool(), create_pool()};
    constexpr uint8_t macs[3][6] = {{0x10, 0x22, 0x33, 0x44, 0x55, 0x66},
                                    {0x10, 0x22, 0x33, 0x44, 0x55, 0x67},
                                    {0x10, 0x22, 0x33, 0x44, 0x55, 0x68}};
    for (uint32_t id = 0; id < 3; ++id) {
        ASSERT_EQ(register_interface(pools[id], macs[id], id).reply.status, 0);
        ASSERT_TRUE(driver_call(0, 1500));
        host_sends(LinkStatus{0x3, 0, id});
    }
    const int en1 = session->interface(1)->ifindex();
    session->on_link_event({en1, netlink::LinkDeleted{}});
    EXPECT_TRUE(host_receives_a<Terminate>());
    // The others' events still reach their drivers while it stops; the deleted one's none.
    session->on_link_event({session->interface(0)->ifindex(), netlink::AdminStateChanged{true}});
    auto enable = driver_call();
    ASSERT_TRUE(enable);
    EXPECT_EQ(enable->interface_id, 0u);
    session->on_link_event({en1, netlink::AdminStateChanged{true}});
    EXPECT_TRUE(nothing_sent());
    for (uint32_t id : {1u, 2u, 0u})
        host_sends(UnregisterInterface{id}); // the driver's Stop
    host->exit(0);
    session->on_host_exit();
    EXPECT_EQ(slot->interface_names(), (std::vector<std::string>{"en0", "en2"}));
    const size_t devices = network->devices_created;
    relaunch();
    Pool fresh[2] = {create_pool(), create_pool()};
    ASSERT_EQ(register_interface(fresh[0], kMacB, 1).reply.status, 0);
    ASSERT_TRUE(driver_call(0, 1500));
    EXPECT_EQ(network->devices_created, devices + 1) << "en1 was deleted";
    EXPECT_EQ(network->device->carrier(), false) << "no link reported by this driver yet";
    ASSERT_EQ(register_interface(fresh[1], kMac, 0).reply.status, 0);
    ASSERT_TRUE(driver_call(0, 1500));
    EXPECT_EQ(network->devices_created, devices + 1) << "en0 was kept";
    EXPECT_EQ(session->interface(0)->name(), "en0");
    EXPECT_EQ(session->interface_ids(), (std::vector<uint32_t>{0, 1}));
    EXPECT_EQ(slot->interface_names(), (std::vector<std::string>{"en0", "en1", "en2"}));
}

// Two TX queues on one pool, three RX queues on another.
RegisterInterface two_pools_three_sets(const RegisterInterface &one_lane, const Pool &rx) {
    RegisterInterface request = one_lane;
    request.lane_count = 2;
    request.lanes[0].queue_counts[2] = request.lanes[0].queue_counts[3] = 0;
    request.lanes[0].queue_counts[0] = request.lanes[0].queue_counts[1] = 2;
    for (uint32_t &c : request.lanes[0].more[0])
        c = 1;
    request.lanes[0].more[0][0] = request.lanes[0].more[0][1] = 8;
    request.lanes[1] = request.lanes[0];
    request.lanes[1].pool_id = rx.id;
    request.lanes[1].queue_counts[0] = request.lanes[1].queue_counts[1] = 0;
    request.lanes[1].queue_counts[2] = 3;
    request.lanes[1].queue_counts[3] = 3;
    for (int set = 0; set < 2; ++set)
        for (uint32_t &c : request.lanes[1].more[set])
            c = 16;
    return request;
}

std::optional<ipc::ReceivedMessage> Session::register_two_pools_three_sets() {
    Pool tx = create_pool(), rx = create_pool(66, 64, 2048);
    host_sends(two_pools_three_sets(registration(tx), rx));
    auto message = host_receives();
    EXPECT_TRUE(message && message->type() == InterfaceRegistered::kType);
    if (!message || message->type() != InterfaceRegistered::kType)
        return std::nullopt;
    EXPECT_EQ(message->as<InterfaceRegistered>().value().status, 0);
    if (message->as<InterfaceRegistered>().value().status != 0)
        return std::nullopt;
    return message;
}

TEST_F(Session, MoversAreCappedAndShareTheQueueSets) {
    options.max_movers = 2;
    start();
    auto message = register_two_pools_three_sets();
    ASSERT_TRUE(message);
    InterfaceRegistered reply = message->as<InterfaceRegistered>().value();
    EXPECT_EQ(reply.doorbells, 2u);
    EXPECT_EQ(message->fd_count(), 2u + 2u + 2u);
    ASSERT_NE(network->device, nullptr);
    EXPECT_EQ(network->device->queue_count(), 2u);
    ASSERT_NE(session->interface(), nullptr);
    EXPECT_EQ(session->interface()->mover_count(), 2u);
}

TEST_F(Session, SeparateTxAndRxPoolsAndSeveralQueuesGetARingsRegionPerPool) {
    start();
    auto message = register_two_pools_three_sets();
    ASSERT_TRUE(message);
    InterfaceRegistered reply = message->as<InterfaceRegistered>().value();
    EXPECT_EQ(reply.lane_count, 2u);
    // Three queue sets: a TAP of three queues, a frame mover and a pair of doorbells for each.
    EXPECT_EQ(reply.doorbells, 3u);
    EXPECT_EQ(message->fd_count(), 2u + 3u + 3u);
    ASSERT_NE(network->device, nullptr);
    EXPECT_EQ(network->device->queue_count(), 3u);
    EXPECT_EQ(network->device->active_queues, 3u);
    NetInterface *iface = session->interface();
    ASSERT_NE(iface, nullptr);
    EXPECT_EQ(iface->mover_count(), 3u);
    EXPECT_EQ(iface->lane_count(), 2u);
    EXPECT_EQ(iface->queue_count(0), 2u);
    EXPECT_EQ(iface->queue_count(2), 3u);
    EXPECT_EQ(iface->rings_layout(0).queue_sets, 2u);
    EXPECT_EQ(iface->rings_layout(1).queue_sets, 3u);
    EXPECT_EQ(reply.rings_size[1], iface->rings_layout(1).total_size);
    // Enabling queue 2 of RX submission reaches that queue only.
    host_sends(QueueEnable{2, 1, 2, 0});
    EXPECT_TRUE(iface->queue_enabled(2, 2));
    EXPECT_FALSE(iface->queue_enabled(2, 0));
    EXPECT_FALSE(iface->queue_enabled(2));

    // RX queues on the TX pool's lane are refused.
    start();
    Pool again = create_pool();
    RegisterInterface wrong = registration(again);
    wrong.lane_count = 2;
    wrong.lanes[1] = wrong.lanes[0];
    wrong.lanes[1].pool_id = create_pool().id;
    host_sends(wrong);
    auto refused = host_receives_a<InterfaceRegistered>();
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, kIOReturnBadArgument);
    EXPECT_EQ(session->protocol_errors(), 1u);
}

TEST_F(Session, MulticastOrZeroMacAddressesAreRefused) {
    start();
    Pool pool = create_pool();
    const uint8_t multicast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}, zero[6] = {};
    EXPECT_EQ(register_interface(pool, multicast).reply.status, kIOReturnBadArgument);
    EXPECT_EQ(register_interface(pool, zero).reply.status, kIOReturnBadArgument);
    EXPECT_EQ(network->devices_created, 0u);
    EXPECT_EQ(session->protocol_errors(), 0u);
}

TEST_F(Session, ADeviceTheSystemRefusesIsNoResources) {
    start();
    network->refuse_devices = true;
    Pool pool = create_pool();
    EXPECT_EQ(register_interface(pool).reply.status, kIOReturnNoResources);
    EXPECT_EQ(session->interface(), nullptr);
}

TEST_F(Session, PoolsAreCheckedAndLimited) {
    start();
    int32_t status = 0;
    create_pool(0, 32, 2048, &status);
    EXPECT_EQ(status, kIOReturnBadArgument);
    create_pool(32, 32, 1u << 30, &status);
    EXPECT_EQ(status, kIOReturnBadArgument);
    std::vector<uint64_t> ids;
    for (int i = 0; i < 16; ++i) {
        Pool pool = create_pool(4, 4, 256, &status);
        ASSERT_EQ(status, 0) << i;
        ids.push_back(pool.id);
    }
    create_pool(4, 4, 256, &status);
    EXPECT_EQ(status, kIOReturnBadArgument) << "a 17th pool";
    // Released pools are gone: registering on one is a protocol error.
    host_sends(ReleasePool{ids[0]});
    create_pool(4, 4, 256, &status);
    EXPECT_EQ(status, 0) << "room again after a release";
    Pool released;
    released.id = ids[0];
    host_sends(registration(released));
    auto reply = host_receives_a<InterfaceRegistered>();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, kIOReturnBadArgument);
    EXPECT_EQ(session->protocol_errors(), 1u);
}

// ---- messages ----------------------------------------------------------------------------------

TEST_F(Session, StartResultAndHello) {
    start();
    host_sends(Hello{kProtocolVersion, 1, {}, {}});
    EXPECT_EQ(session->state(), DextSession::State::starting);
    host_sends(StartResult{int32_t(0xE00002BC), 0});
    EXPECT_EQ(session->state(), DextSession::State::starting);
    EXPECT_EQ(session->state_reason(), "Start failed (0xe00002bc)");
    host_sends(StartResult{0, 0});
    EXPECT_EQ(session->state(), DextSession::State::running);
}

TEST_F(Session, AHostSpeakingAnotherProtocolVersionIsStopped) {
    start();
    host_sends(Hello{kProtocolVersion + 1, 1, {}, {}});
    EXPECT_EQ(session->state(), DextSession::State::stopped_for_misbehaviour);
    EXPECT_EQ(host->kills(), 1);
}

TEST_F(Session, LinkStatusDrivesTheCarrierAlsoBeforeRegistration) {
    start();
    host_sends(LinkStatus{0x3, 0, 0});
    Pool pool;
    up_and_running(pool);
    EXPECT_EQ(network->device->carrier(), true);
    host_sends(LinkStatus{0x1, 0, 0}); // valid but not active
    EXPECT_EQ(network->device->carrier(), false);
    host_sends(LinkStatus{0x3, 0, 0});
    EXPECT_EQ(network->device->carrier(), true);
}

TEST_F(Session, QueueEnablesReachTheInterfaceAndBadKindsAreProtocolErrors) {
    start();
    Pool pool;
    up_and_running(pool);
    host_sends(QueueEnable{2, 1, 0, 0});
    EXPECT_TRUE(session->interface()->queue_enabled(2));
    EXPECT_FALSE(session->interface()->queue_enabled(0));
    host_sends(QueueEnable{4, 1, 0, 0});
    EXPECT_EQ(session->protocol_errors(), 1u);
}

TEST_F(Session, MisuseAndLogTextCannotForgeLines) {
    start();
    Misuse misuse{};
    std::snprintf(misuse.text, sizeof misuse.text, "bad\x01line\nforged\x7f");
    host_sends(misuse);
    EXPECT_EQ(session->misuses(), std::vector<std::string>{"bad?line?forged?"});
    for (int i = 0; i < 70; ++i)
        host_sends(misuse);
    EXPECT_EQ(session->misuses().size(), 64u) << "the list is bounded";
    Log line{};
    line.level = 9; // unknown levels are logged as notices
    std::memset(line.text, 'x', sizeof line.text); // no NUL: bounded by the array
    host_sends(line);
    EXPECT_EQ(session->protocol_errors(), 0u);
}

TEST_F(Session, TooManyProtocolErrorsStopTheDext) {
    options.protocol_error_limit = 3;
    start();
    for (int i = 0; i < 3; ++i)
        host_sends_bytes(std::vector<std::byte>(24, std::byte{0x5a})); // not a message
    EXPECT_EQ(session->protocol_errors(), 3u);
    EXPECT_EQ(session->state(), DextSession::State::starting);
    host_sends(DriverCallReply{0, 0}); // a reply without the reply flag
    EXPECT_EQ(session->protocol_errors(), 4u);
    EXPECT_EQ(session->state(), DextSession::State::stopped_for_misbehaviour);
    EXPECT_NE(session->state_reason().find("too many protocol errors"), std::string::npos);
    EXPECT_EQ(host->kills(), 1);
}

// ---- link events → driver calls --------------------------------------------------------------

TEST_F(Session, LinkEventsBecomeDriverCalls) {
    start();
    Pool pool;
    up_and_running(pool);
    const int ifindex = network->device->ifindex();
    session->on_link_event({ifindex + 1, netlink::AdminStateChanged{true}});
    EXPECT_TRUE(nothing_sent()) << "another link's event";

    session->on_link_event({ifindex, netlink::AdminStateChanged{true}});
    auto call = driver_call();
    ASSERT_TRUE(call);
    EXPECT_EQ(call->call, uint32_t(Call::SetInterfaceEnable));
    EXPECT_EQ(call->arg, 1u);

    session->on_link_event({ifindex, netlink::PromiscuousChanged{true}});
    call = driver_call();
    ASSERT_TRUE(call);
    EXPECT_EQ(call->call, uint32_t(Call::SetPromiscuousModeEnable));
    EXPECT_EQ(call->arg, 1u);

    session->on_link_event({ifindex, netlink::AllMulticastChanged{false}});
    call = driver_call();
    ASSERT_TRUE(call);
    EXPECT_EQ(call->call, uint32_t(Call::SetAllMulticastModeEnable));
    EXPECT_EQ(call->arg, 0u);

    const MacAddress groups[2] = {{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}},
                                  {{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}}};
    session->on_link_event({ifindex, netlink::MulticastListChanged{groups}});
    auto list = host_receives_a<SetMulticastList>();
    ASSERT_TRUE(list);
    ASSERT_EQ(list->count, 2u);
    EXPECT_EQ(0, std::memcmp(list->addresses[0], groups[0].bytes.data(), 6));
    EXPECT_EQ(0, std::memcmp(list->addresses[1], groups[1].bytes.data(), 6));

    session->on_link_event({ifindex, netlink::LinkDeleted{}});
    EXPECT_TRUE(host_receives_a<Terminate>());
    EXPECT_EQ(session->state(), DextSession::State::stopping);
}

TEST_F(Session, MtuChangesAreCheckedAgainstTheDriverAndPutBackWhenRefused) {
    start();
    Pool pool;
    up_and_running(pool);
    const int ifindex = network->device->ifindex();
    // Above the driver's maximum: never reaches it, the old MTU is put back.
    session->on_link_event({ifindex, netlink::MtuChanged{1500, 9001}});
    EXPECT_TRUE(nothing_sent());
    EXPECT_EQ(network->mtu_puts, (std::vector<std::pair<int, uint32_t>>{{ifindex, 1500}}));
    // Our own put-back comes back as an event: no call.
    session->on_link_event({ifindex, netlink::MtuChanged{9001, 1500}});
    EXPECT_TRUE(nothing_sent());
    // Accepted by the driver.
    session->on_link_event({ifindex, netlink::MtuChanged{1500, 9000}});
    auto call = driver_call(0);
    ASSERT_TRUE(call);
    EXPECT_EQ(call->call, uint32_t(Call::SetMTU));
    EXPECT_EQ(call->arg, 9000u);
    EXPECT_EQ(session->driver_mtu(), 9000u);
    // Refused by the driver: put back.
    session->on_link_event({ifindex, netlink::MtuChanged{9000, 4000}});
    call = driver_call(kIOReturnBadArgument);
    ASSERT_TRUE(call);
    EXPECT_EQ(call->arg, 4000u);
    EXPECT_EQ(session->driver_mtu(), 9000u);
    EXPECT_EQ(network->mtu_puts.back(), (std::pair<int, uint32_t>{ifindex, 9000}));
    EXPECT_EQ(network->mtu_puts.size(), 2u);
}

TEST_F(Session, EthtoolOffloadChangesReachTheDriverAndArePutBackWhenRefused) {
    start();
    // TX checksums, TSO for IPv4 and IPv6 and RX checksums, with buffers for 64 KiB segments.
    constexpr uint32_t kCsum = 0x2 | 0x4, kTso = 0x00200000 | 0x00400000, kRx = 0x20000000;
    Pool pool = create_pool(34, 32, 65536);
    RegisterInterface request = registration(pool);
    request.hardware_assists = kCsum | kTso | kRx;
    host_sends(request);
    auto reply = host_receives_a<InterfaceRegistered>();
    ASSERT_TRUE(reply);
    ASSERT_EQ(reply->status, 0);
    ASSERT_TRUE(driver_call(0, 9000)); // GetMaxTransferUnit
    EXPECT_EQ(network->device->offload, unsigned(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6));
    const int ifindex = network->device->ifindex();
    using netlink::kOffloadAll, netlink::kOffloadTxChecksum, netlink::kOffloadTso4;

    // `ethtool -K en0 tso off`: the driver keeps checksums, gives up TSO.
    session->on_link_event({ifindex, netlink::OffloadsChanged{kOffloadAll, kOffloadTxChecksum}});
    auto call = driver_call(0);
    ASSERT_TRUE(call);
    EXPECT_EQ(call->call, uint32_t(Call::SetHardwareAssists));
    EXPECT_EQ(call->arg, kCsum | kRx);
    // `ethtool -K en0 tx off` (the kernel drops TSO with it; nothing else changes for TSO).
    session->on_link_event({ifindex, netlink::OffloadsChanged{kOffloadTxChecksum, 0}});
    call = driver_call(0);
    ASSERT_TRUE(call);
    EXPECT_EQ(call->arg, kRx); // what the TAP does not carry (RX checksums) stays
    // A change the driver refuses: put back to what it still does.
    session->on_link_event({ifindex, netlink::OffloadsChanged{0, kOffloadTxChecksum | kOffloadTso4}});
    call = driver_call(kIOReturnBadArgument);
    ASSERT_TRUE(call);
    EXPECT_EQ(call->arg, kCsum | 0x00200000 | kRx);
    ASSERT_EQ(network->offload_puts.size(), 1u);
    EXPECT_EQ(network->offload_puts[0].ifindex, ifindex);
    EXPECT_EQ(network->offload_puts[0].mask, kOffloadAll);
    EXPECT_EQ(network->offload_puts[0].offloads, 0u);
    // The put-back comes back as an event: nothing for the driver.
    session->on_link_event({ifindex, netlink::OffloadsChanged{kOffloadTxChecksum | kOffloadTso4, 0}});
    EXPECT_TRUE(nothing_sent());
    // TSO reported without the checksum (the kernel never does that): no TSO for the driver.
    session->on_link_event(
        {ifindex, netlink::OffloadsChanged{0, netlink::kOffloadTso4 | netlink::kOffloadTso6}});
    EXPECT_TRUE(nothing_sent()); // the driver already has neither
    // All back on: the declared set again.
    session->on_link_event({ifindex, netlink::OffloadsChanged{0, kOffloadAll}});
    call = driver_call(0);
    ASSERT_TRUE(call);
    EXPECT_EQ(call->arg, kCsum | kTso | kRx);
    EXPECT_TRUE(nothing_sent());
}

// ---- supervision -------------------------------------------------------------------------------

TEST_F(Session, ACrashedHostDropsTheCarrierAndTheInterfaceStays) {
    start();
    Pool pool;
    up_and_running(pool);
    host_sends(LinkStatus{0x3, 0, 0});
    ASSERT_EQ(network->device->carrier(), true);
    host->exit(SIGSEGV); // the wait status of a child killed by SIGSEGV
    session->on_host_exit();
    EXPECT_EQ(session->state(), DextSession::State::crashed);
    EXPECT_EQ(session->state_reason(), "netdext-host killed by signal 11 (Segmentation fault)");
    EXPECT_EQ(network->device->carrier(), false);
    ASSERT_NE(session->interface(), nullptr);
    EXPECT_EQ(session->interface()->name(), "en0");
    EXPECT_TRUE(session->finished());
    EXPECT_FALSE(session->pidfd_running());
    // A link event after the crash reaches no one.
    session->on_link_event({network->device->ifindex(), netlink::AdminStateChanged{true}});
    EXPECT_EQ(session->state(), DextSession::State::crashed);
}

TEST_F(Session, ACleanExitIsExited) {
    start();
    host->exit(0);
    session->on_host_exit();
    EXPECT_EQ(session->state(), DextSession::State::exited);
    EXPECT_EQ(session->state_reason(), "netdext-host exited with status 0");
    EXPECT_EQ(host->kills(), 0);
}

TEST_F(Session, AnExitBeforeThePidfdSaysSoIsNotReaped) {
    start();
    session->on_host_exit(); // a spurious wakeup
    EXPECT_EQ(session->state(), DextSession::State::starting);
    EXPECT_TRUE(session->pidfd_running());
}

// ---- frames through the session's mover thread -------------------------------------------------

TEST_F(Session, FramesCrossTheSessionBothWays) {
    start();
    Pool pool;
    Registered r = up_and_running(pool);
    ASSERT_TRUE(r.driver);
    enable_queues();
    FakeDriver &driver = *r.driver;
    std::vector<Bytes> sent, got;
    for (uint32_t i = 0; i < 50; ++i) {
        sent.push_back(test_frame(i, 60 + i * 11));
        network->device->send(sent.back());
    }
    ASSERT_TRUE(wait_until([&] {
        for (Bytes &frame : driver.take_tx())
            got.push_back(std::move(frame));
        return got.size() >= sent.size();
    })) << got.size();
    EXPECT_EQ(got, sent);
    std::vector<uint32_t> rx;
    ASSERT_TRUE(wait_until([&] {
        for (uint32_t packet : driver.take_rx_buffers())
            rx.push_back(packet);
        return rx.size() == 8;
    }));
    std::vector<std::pair<uint32_t, Bytes>> frames;
    for (uint32_t packet : rx)
        frames.emplace_back(packet, test_frame(1000 + packet, 64));
    ASSERT_EQ(driver.receive(frames), 8u);
    ASSERT_TRUE(wait_until([&] { return network->device->received().size() == 8; }));
    const InterfaceCounters &c = session->interface()->counters();
    ASSERT_TRUE(wait_until([&] { return c.tx_completed.load() == 50; }));
    EXPECT_EQ(c.tap_read_frames.load(), 50u);
    EXPECT_EQ(c.tx_submitted.load(), 50u);
    EXPECT_EQ(c.tap_written_frames.load(), 8u);
    EXPECT_EQ(c.validation_drops(), 0u);
}

TEST_F(Session, InvalidPacketsBeyondTheDropLimitStopTheDext) {
    start();
    Pool pool;
    Registered r = up_and_running(pool);
    ASSERT_TRUE(r.driver);
    enable_queues();
    host_sends(LinkStatus{0x3, 0, 0});
    // drop_limit is 4: the fifth invalid packet stops the dext.
    ASSERT_EQ(r.driver->publish(RingId::RxCompletion, {34, 34, 34, 34}), 4u);
    ASSERT_TRUE(wait_until([&] {
        return session->interface()->counters().drop_index_out_of_range.load() == 4;
    }));
    EXPECT_FALSE(fault_signalled());
    ASSERT_EQ(r.driver->publish(RingId::RxCompletion, {33}), 1u); // a packet without a buffer
    ASSERT_TRUE(wait_until([&] { return fault_signalled(); }));
    session->on_fault();
    EXPECT_EQ(session->state(), DextSession::State::stopped_for_misbehaviour);
    EXPECT_EQ(session->state_reason(), "the driver handed back 5 invalid packets (limit 4)");
    EXPECT_EQ(host->kills(), 1);
    EXPECT_EQ(network->device->carrier(), false);
    // The pidfd then reports the kill; the state keeps its reason.
    session->on_host_exit();
    EXPECT_EQ(session->state(), DextSession::State::stopped_for_misbehaviour);
    EXPECT_EQ(session->interface()->counters().drop_not_owned_by_driver.load(), 1u);
}

// ---- what supervision reads (daemon/netdextd/supervision.cpp) -------------------------------------

TEST_F(Session, AFailedStartIsToldApartFromACrash) {
    start();
    EXPECT_FALSE(session->start_failed());
    host_sends(StartResult{int32_t(0xE00002BC), 0}); // kIOReturnError
    EXPECT_TRUE(session->start_failed());
    EXPECT_FALSE(session->started());
    host->exit(W_EXITCODE(2, 0));
    session->on_host_exit();
    EXPECT_EQ(session->state_reason(), "Start failed (0xe00002bc); netdext-host exited with status 2");
}

TEST_F(Session, UnansweredDriverCallsAreTimedUntilTheirReply) {
    start();
    EXPECT_FALSE(session->oldest_unanswered_call());
    const auto before = std::chrono::steady_clock::now();
    Pool pool = create_pool();
    register_interface(pool); // the daemon asks GetMaxTransferUnit at once
    auto oldest = session->oldest_unanswered_call();
    ASSERT_TRUE(oldest);
    EXPECT_GE(*oldest, before);
    session->on_link_event({network->device->ifindex(), netlink::AdminStateChanged{true}});
    EXPECT_EQ(session->oldest_unanswered_call(), oldest) << "the oldest one still counts";
    ASSERT_TRUE(driver_call(0, 1500)); // GetMaxTransferUnit answered
    auto next = session->oldest_unanswered_call();
    ASSERT_TRUE(next);
    EXPECT_GE(*next, *oldest) << "now SetInterfaceEnable's";
    ASSERT_TRUE(driver_call());
    EXPECT_FALSE(session->oldest_unanswered_call());
    host->exit(SIGKILL);
    session->on_host_exit();
    EXPECT_FALSE(session->oldest_unanswered_call());
}

TEST_F(Session, TxProgressShowsFramesTheDriverHasNotTaken) {
    start();
    Pool pool;
    Registered r = up_and_running(pool);
    ASSERT_TRUE(r.driver);
    EXPECT_FALSE(session->interface()->tx_progress().enabled);
    enable_queues();
    for (uint32_t i = 0; i < 3; ++i)
        network->device->send(test_frame(i, 60));
    ASSERT_TRUE(wait_until([&] { return session->interface()->tx_progress().produced == 3; }));
    NetInterface::TxProgress progress = session->interface()->tx_progress();
    EXPECT_TRUE(progress.enabled);
    EXPECT_EQ(progress.consumed, 0u) << "waiting for the driver";
    EXPECT_EQ(r.driver->take_tx(true).size(), 3u);
    EXPECT_EQ(session->interface()->tx_progress().consumed, 3u);
}

TEST_F(Session, AStoppedHostsLastLogLinesAreReadButNothingElse) {
    start();
    // All arrive before the daemon reads: the bad Hello stops the dext; the StartResult after it
    // must not make it "running" again; its log line is still worth reading.
    ASSERT_TRUE(host_end->send(Hello{kProtocolVersion + 1, 1, {}, {}}));
    ASSERT_TRUE(host_end->send(StartResult{0, 0}));
    Log last{};
    last.level = 1;
    std::snprintf(last.text, sizeof last.text, "last words of a stopped host");
    ASSERT_TRUE(host_end->send(last));
    session->on_channel_readable();
    EXPECT_EQ(session->state(), DextSession::State::stopped_for_misbehaviour);
    EXPECT_FALSE(session->started());
    EXPECT_EQ(host->kills(), 1);
    EXPECT_TRUE(daemon_logged("last words of a stopped host"));
    // What it sent just before it died is read at its exit.
    ASSERT_TRUE(host_end->send(StartResult{0, 0}));
    session->on_host_exit();
    EXPECT_EQ(session->state(), DextSession::State::stopped_for_misbehaviour);
}

TEST_F(Session, EverythingAnExitedHostSentIsReadAtItsExit) {
    start();
    // More messages than one pass of the main loop reads (256), then a last log line: none may
    // be lost with the channel.
    for (int sent = 0; sent < 260; ++sent)
        ASSERT_TRUE(host_end->send(LinkStatus{0x1, 0, 0})) << sent;
    Log last{};
    last.level = 1;
    std::snprintf(last.text, sizeof last.text, "the last line before exiting");
    ASSERT_TRUE(host_end->send(last));
    host->exit(0);
    session->on_host_exit();
    EXPECT_EQ(session->state(), DextSession::State::exited);
    EXPECT_TRUE(daemon_logged("the last line before exiting"))
        << "the host's last line was lost at its exit";
}

TEST_F(Session, WhatACrashedHostSentLastIsReadAtItsExit) {
    start();
    ASSERT_TRUE(host_end->send(StartResult{int32_t(0xE00002BC), 0})); // not read yet
    host->exit(W_EXITCODE(2, 0));
    session->on_host_exit();
    EXPECT_TRUE(session->start_failed());
    EXPECT_EQ(session->state_reason(), "Start failed (0xe00002bc); netdext-host exited with status 2");
}

TEST_F(Session, SupervisionStopsADriverWithItsReason) {
    start();
    Pool pool;
    up_and_running(pool);
    host_sends(LinkStatus{0x3, 0, 0});
    ASSERT_EQ(network->device->carrier(), true);
    session->stop_for_supervision("wedged: a call from the network stack went unanswered for 5s");
    EXPECT_EQ(network->device->carrier(), false);
    EXPECT_EQ(host->kills(), 1);
    EXPECT_EQ(session->state(), DextSession::State::stopped_for_misbehaviour);
    session->on_host_exit();
    EXPECT_EQ(session->state_reason(),
              "wedged: a call from the network stack went unanswered for 5s");
}

} // namespace
} // namespace netdext::daemon

// ---- the I/O Registry and what Linux tools show (issue 9) ---------------------------------------

namespace netdext::daemon {
namespace {

// The service's entry in the registry's wire form, cut into RegistrySnapshot chunks of `size`.
std::vector<RegistrySnapshot> snapshot_chunks(uint64_t id, uint32_t retain, uint64_t request,
                                              size_t size = RegistrySnapshot::kMaxData,
                                              std::vector<netdext::registry::Entry> ports = {}) {
    netdext::registry::Entry e;
    e.name = "TestNic";
    e.class_name = "TestNic";
    e.id = id;
    e.retain_count = retain;
    e.properties.set("IOUserServiceProperties",
                     netdext::registry::Value::dictionary(
                         {{"Answer", netdext::registry::Value::number(42, 32)}}));
    e.children = std::move(ports);
    const std::string document = netdext::registry::to_json(e);
    std::vector<RegistrySnapshot> out;
    protocol::send_snapshot_chunks(
        document, request,
        [&](const RegistrySnapshot &c) {
            out.push_back(c);
            return true;
        },
        size);
    return out;
}

TEST_F(Session, TheVerifiedEntitlementsCountNotTheBundlesOwnFile) {
    // The bundle's file claims family.networking; the signature the daemon verified does not.
    std::string parse_error;
    options.entitlements =
        entitlements::Entitlements::parse("<plist><dict><key>com.apple.developer.driverkit</key>"
                                          "<true/></dict></plist>",
                                          parse_error);
    ASSERT_TRUE(options.entitlements) << parse_error;
    start(test_bundle(true, true));
    Pool pool = create_pool();
    EXPECT_EQ(register_interface(pool).reply.status, kIOReturnNotPermitted);
    EXPECT_EQ(network->devices_created, 0u);
    // …and without driverkit in the verified set, nothing launches.
    options.entitlements = entitlements::Entitlements();
    std::string error;
    EXPECT_EQ(attach(test_bundle(true, true), error), nullptr);
    EXPECT_NE(error.find("missing the entitlement com.apple.developer.driverkit"),
              std::string::npos) << error;
}

TEST_F(Session, TheHostsSnapshotBecomesTheServicesEntry) {
    options.service.user_class = "TestNic";
    options.service.ids = {0x100020000, 1u << 16};
    start();
    // Before Start returns: busy, not registered, the block's first ID.
    auto before = session->describe_service();
    EXPECT_EQ(before.id, 0x100020000u);
    EXPECT_EQ(before.busy_count, 1u);
    EXPECT_FALSE(before.started);
    bool done = false;
    session->request_registry([&] { done = true; });
    EXPECT_TRUE(done) << "nothing to ask before Start";
    host_sends(StartResult{0, 0});
    for (const RegistrySnapshot &c : snapshot_chunks(0x100020000, 12, 0, 40))
        host_sends(c);
    EXPECT_EQ(session->protocol_errors(), 0u);
    auto service = session->describe_service();
    EXPECT_TRUE(service.started);
    EXPECT_EQ(service.busy_count, 0u);
    EXPECT_EQ(service.retain_count, 12u);
    EXPECT_EQ(service.user_class, "TestNic");
    ASSERT_NE(service.properties.find("IOUserServiceProperties"), nullptr);
    // On demand: a RegistryRequest, answered by a snapshot naming its sequence.
    done = false;
    session->request_registry([&] { done = true; });
    uint64_t sequence = 0;
    ASSERT_TRUE(host_receives_a<RegistryRequest>(&sequence));
    EXPECT_FALSE(done);
    for (const RegistrySnapshot &c : snapshot_chunks(0x100020000, 13, sequence))
        host_sends(c);
    EXPECT_TRUE(done);
    EXPECT_EQ(session->describe_service().retain_count, 13u);
    // A request the host never answers is let go when the host exits.
    done = false;
    session->request_registry([&] { done = true; });
    host->exit(0);
    session->on_host_exit();
    EXPECT_TRUE(done);
}

// A service that makes its ports (IOService::Create): each interface hangs below the port
// that registered it, named and described by the host's snapshot; a registration naming an
// object outside the host's block is not believed.
TEST_F(Session, InterfacesHangBelowThePortServicesThatRegisteredThem) {
    options.service.user_class = "TestCable";
    options.service.ids = {0x100020000, 1u << 16};
    start();
    host_sends(StartResult{0, 0});
    std::vector<netdext::registry::Entry> ports(2);
    for (size_t i = 0; i < 2; ++i) {
        ports[i].name = ports[i].class_name = "TestCablePort";
        ports[i].id = 0x100020001 + i;
        ports[i].retain_count = 4;
        ports[i].properties.set("IOClass",
                                netdext::registry::Value::string("IOUserNetworkEthernet"));
        ports[i].properties.set("PortIndex", netdext::registry::Value::number(i, 32));
    }
    ports[1].properties.set("IOClass", netdext::registry::Value::string("Two\nLines"));
    for (const RegistrySnapshot &c : snapshot_chunks(0x100020000, 3, 0, 500, ports))
        host_sends(c);
    Pool pool_a = create_pool(), pool_b = create_pool(), pool_c = create_pool();
    ASSERT_EQ(register_interface(pool_a, kMac, 0, 0x100020001).reply.status, 0);
    ASSERT_TRUE(driver_call(0, 1500)); // GetMaxTransferUnit
    ASSERT_EQ(register_interface(pool_b, kMacB, 1, 0x100020002).reply.status, 0);
    ASSERT_TRUE(driver_call(0, 1500));
    ASSERT_EQ(register_interface(pool_c, kMacC, 2, 0x5).reply.status, 0); // not its object
    ASSERT_TRUE(driver_call(0, 1500));
    host_sends(LinkStatus{0x3, 0, 1});
    EXPECT_EQ(session->protocol_errors(), 0u);

    auto service = session->describe_service();
    ASSERT_EQ(service.ports.size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
        const auto &port = service.ports[i];
        EXPECT_EQ(port.id, 0x100020001 + i);
        EXPECT_EQ(port.user_class, "TestCablePort");
        EXPECT_EQ(port.retain_count, 4u);
        EXPECT_EQ(port.properties.find("PortIndex")->number_value(), i);
        EXPECT_EQ(port.ethernet.bsd_name, "en" + std::to_string(i));
        EXPECT_EQ(port.ethernet.link_status, i == 1 ? 0x3u : 0u) << "each its own link";
    }
    EXPECT_EQ(service.ports[1].io_class, "IOUserNetworkEthernet") << "not a class name: default";
    ASSERT_TRUE(service.ethernet) << "outside the block: shown as the service's own";
    EXPECT_EQ(service.ethernet->bsd_name, "en2");
    // Gone from the registry with its registration. The first interface given up leaves the
    // others' TAPs alone (they once went with it, under their running movers).
    host_sends(UnregisterInterface{0});
    EXPECT_EQ(slot->interface_names(), (std::vector<std::string>{"en1", "en2"}));
    service = session->describe_service();
    ASSERT_EQ(service.ports.size(), 1u);
    EXPECT_EQ(service.ports[0].ethernet.bsd_name, "en1");
}

TEST_F(Session, AHostThatNeverAnswersIsAskedOnlySoOften) {
    start();
    host_sends(StartResult{0, 0});
    size_t answered = 0;
    for (size_t i = 0; i <= SessionRegistry::kMaxPendingRequests; ++i)
        session->request_registry([&] { ++answered; });
    EXPECT_EQ(answered, 1u) << "the one beyond the limit is answered at once";
    size_t asked = 0;
    while (host_receives_a<RegistryRequest>())
        ++asked;
    EXPECT_EQ(asked, SessionRegistry::kMaxPendingRequests);
}

TEST_F(Session, ASnapshotThatBreaksTheRulesIsAProtocolError) {
    options.service.ids = {0x100020000, 1u << 16};
    start();
    host_sends(StartResult{0, 0});
    for (const RegistrySnapshot &c : snapshot_chunks(0x100000100, 5, 0)) // another host's ID
        host_sends(c);
    EXPECT_EQ(session->protocol_errors(), 1u);
    EXPECT_FALSE(session->registry().snapshot());
    auto chunks = snapshot_chunks(0x100020000, 5, 0, 40);
    host_sends(chunks[1]); // not the first chunk
    EXPECT_EQ(session->protocol_errors(), 2u);
    for (const RegistrySnapshot &c : snapshot_chunks(0x100020000, 5, 77)) // nobody asked
        host_sends(c);
    EXPECT_EQ(session->protocol_errors(), 3u);
}

TEST_F(Session, LinuxToolsSeeTheDriverAliasSpeedDuplexAndItsMac) {
    start();
    Pool pool;
    up_and_running(pool);
    const int ifindex = network->device->ifindex();
    EXPECT_EQ(network->aliases[ifindex], "com.example.netdext.test.SessionNic");
    // The link comes up at 1000BASE-T full duplex, then auto (no speed), then goes down.
    const uint32_t kGigabitFull = 0x20 | 0x10 | 0x100000; // Ethernet | 1000BaseT | FullDuplex
    host_sends(MediaTypes{0, 1, {kGigabitFull}});
    host_sends(LinkStatus{0x3, kGigabitFull, 0});
    auto settings = network->device->link_settings();
    ASSERT_TRUE(settings);
    EXPECT_EQ(settings->first, 1000u);
    EXPECT_EQ(settings->second, std::optional<bool>(true));
    host_sends(LinkStatus{0x3, 0x20, 0}); // auto: the driver names no speed
    EXPECT_EQ(network->device->link_settings()->first, 0u);
    host_sends(LinkStatus{0x3, 0x20 | 0x28 | 0x200000, 0}); // 100BaseT4, half duplex
    EXPECT_EQ(network->device->link_settings()->first, 100u);
    EXPECT_EQ(network->device->link_settings()->second, std::optional<bool>(false));
    host_sends(LinkStatus{0x1, kGigabitFull, 0}); // valid, not active
    EXPECT_EQ(network->device->link_settings()->first, 0u);
    EXPECT_EQ(network->device->link_settings()->second, std::nullopt);
    // `ip link set en0 address …`: put back.
    MacAddress registered;
    std::memcpy(registered.bytes.data(), kMac, 6);
    MacAddress other = registered;
    other.bytes[5] ^= 1;
    ASSERT_TRUE(network->device->set_mac(other));
    session->on_link_event({ifindex, netlink::MacChanged{registered, other}});
    EXPECT_EQ(network->device->mac(), registered);
    // Its own put-back is no change for the driver.
    session->on_link_event({ifindex, netlink::MacChanged{other, registered}});
    EXPECT_EQ(network->device->mac(), registered);
    EXPECT_TRUE(nothing_sent());
}

TEST_F(Session, TheRegistryShowsWhatTheFamilyKnows) {
    options.allocate_registry_id = [next = uint64_t(0x100090000)]() mutable { return next++; };
    start();
    host_sends(StartResult{0, 0});
    Pool pool;
    Registered r = up_and_running(pool);
    enable_queues();
    host_sends(LinkStatus{0x3, 0x20 | 0x30 | 0x100000, 0});
    auto service = session->describe_service();
    ASSERT_TRUE(service.ethernet);
    const auto &eth = *service.ethernet;
    EXPECT_EQ(eth.controller_id, 0x100090000u);
    EXPECT_EQ(eth.interface_id, 0x100090001u);
    EXPECT_EQ(eth.bsd_name, "en0");
    EXPECT_EQ(eth.mac[0], 0x10);
    EXPECT_EQ(eth.link_status, 0x3u);
    EXPECT_EQ(eth.max_mtu, 9000u);
    EXPECT_EQ(eth.queues[0].capacity, capacities[0]);
    EXPECT_TRUE(eth.queues[3].enabled);
    // ioreg asks for the hardware assists with the snapshot.
    bool done = false;
    session->request_registry([&] { done = true; });
    auto assists = driver_call(0, 0x5);
    ASSERT_TRUE(assists);
    EXPECT_EQ(assists->call, uint32_t(Call::GetHardwareAssists));
    EXPECT_EQ(session->describe_service().ethernet->hardware_assists, 0x5u);
    (void)r;
}

TEST_F(Session, ADriverThatStopsLeavesItsKeptInterfaceWithoutCarrier) {
    start();
    Pool pool;
    up_and_running(pool);
    host_sends(LinkStatus{0x3, 0, 0});
    ASSERT_EQ(network->device->carrier(), true);
    session->terminate(); // a restart, a replacement, a device's surprise removal
    host_sends(UnregisterInterface{}); // the driver's Stop
    EXPECT_EQ(network->device->carrier(), false);
    EXPECT_TRUE(slot->has_interface()); // kept for the next driver
}

// ---- simulated devices (device_protocol.h) --------------------------------------------------

TEST_F(Session, DeviceRepliesGoToTheDeviceHandler) {
    std::vector<std::pair<uint16_t, uint64_t>> seen;
    options.on_device_message = [&](ipc::ReceivedMessage &message) {
        seen.emplace_back(message.type(), message.header().sequence);
        return message.type() != DeviceDescription::kType; // the probe's, not a driver host's
    };
    start();
    DeviceAttached attached{};
    host_sends(attached, ipc::kMessageFlagReply, 7);
    host_sends(DeviceCounters{}, ipc::kMessageFlagReply, 8);
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0], (std::pair<uint16_t, uint64_t>{DeviceAttached::kType, 7}));
    EXPECT_EQ(seen[1].first, DeviceCounters::kType);
    EXPECT_EQ(session->protocol_errors(), 0u);
    host_sends(DeviceDescription{}); // refused by the handler: a protocol error
    EXPECT_EQ(session->protocol_errors(), 1u);
}

TEST_F(Session, DeviceMessagesWithoutAHandlerAreProtocolErrors) {
    start();
    host_sends(DeviceKnobSet{}, ipc::kMessageFlagReply, 3);
    EXPECT_EQ(session->protocol_errors(), 1u);
}

TEST_F(Session, DeviceMessagesReachTheHostWithTheCable) {
    start();
    int pair[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
    UniqueFd ours(pair[0]), cable(pair[1]);
    AttachDevice attach{};
    std::strcpy(attach.spec, "e1000,mac=02:00:00:00:00:07");
    std::strcpy(attach.personality, "PCIEthernetSample");
    const int fd = cable.get();
    const uint64_t sequence = session->send_device(attach, std::span<const int>(&fd, 1));
    EXPECT_NE(sequence, 0u);
    auto received = host_receives();
    ASSERT_TRUE(received);
    ASSERT_EQ(received->type(), AttachDevice::kType);
    EXPECT_EQ(received->header().sequence, sequence);
    EXPECT_STREQ(received->as<AttachDevice>().value().spec, "e1000,mac=02:00:00:00:00:07");
    ASSERT_EQ(received->fd_count(), 1u);
    UniqueFd passed = received->take_fd(0);
    ASSERT_EQ(send(passed.get(), "frame", 5, 0), 5); // the same socket pair
    char buffer[8];
    EXPECT_EQ(recv(ours.get(), buffer, sizeof buffer, 0), 5);
    // A host that has gone gets nothing.
    host->exit(0);
    session->on_host_exit();
    EXPECT_EQ(session->send_device(QueryDevice{}), 0u);
}

} // namespace
} // namespace netdext::daemon
