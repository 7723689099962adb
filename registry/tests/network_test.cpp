// The NIC driver's registry entries (network.h): shape, IOKit key names and values.

#include <netdext/registry/ioreg.h>
#include <netdext/registry/network.h>

#include <gtest/gtest.h>

using namespace netdext::registry;

namespace {

DriverServiceDescription sample_service(IdAllocator &ids) {
    DriverServiceDescription s;
    s.id = ids.next();
    s.user_class = "NetworkingDriverKitSample";
    s.properties.set("IOUserClass", Value::string("NetworkingDriverKitSample"));
    s.properties.set("IOProviderClass", Value::string("IOUserResources"));
    s.matched_personality = Value::dictionary({{"IOUserClass", Value::string("X")}});
    s.retain_count = 7;
    s.busy_time_ns = 3000000;
    s.started = true;
    EthernetDescription eth;
    eth.controller_id = ids.next();
    eth.interface_id = ids.next();
    eth.bsd_name = "en3";
    eth.unit = 3;
    eth.mac = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
    eth.link_status = 0x3;
    eth.active_medium = 0x30 | 0x00100000; // 1000BaseT, full duplex
    eth.media = {0x20, eth.active_medium};
    eth.mtu = 1500;
    eth.max_mtu = 9000;
    eth.enabled = true;
    eth.queues[size_t(QueueIndex::tx_submission)] = {8, true, 12, 3};
    eth.queues[size_t(QueueIndex::rx_completion)] = {16, true, 40, 10};
    eth.drops["zero_length_rx"] = 1;
    s.ethernet = eth;
    return s;
}

TEST(NetworkEntries, ShapeFollowsMacOS) {
    IdAllocator ids;
    Entry root = make_root(ids);
    ASSERT_NE(user_resources(root), nullptr);
    user_resources(root)->children.push_back(make_driver_service(sample_service(ids)));
    model_retain_counts(root, {0x100000103});
    IoregOptions options;
    options.state = false;
    EXPECT_EQ(format_text(root, options),
              "+-o Root  <class IORegistryEntry>\n"
              "  +-o IOResources  <class IOResources>\n"
              "  +-o IOUserResources  <class IOUserResources>\n"
              "    +-o NetworkingDriverKitSample  <class IOUserNetworkEthernet>\n"
              "      +-o IOSkywalkLegacyEthernet  <class IOSkywalkLegacyEthernet>\n"
              "        +-o en3  <class IOSkywalkLegacyEthernetInterface>\n");
    const Entry *service = root.find_by_name("NetworkingDriverKitSample");
    ASSERT_NE(service, nullptr);
    EXPECT_EQ(service->id, 0x100000103u);
    EXPECT_EQ(service->retain_count, 7u) << "the real count is kept";
    EXPECT_TRUE(service->registered() && service->matched() && service->active());
    EXPECT_TRUE(service->conforms_to("IOService"));
    EXPECT_NE(service->properties.find("IOMatchedPersonality"), nullptr);
    const Entry &controller = service->children.at(0);
    EXPECT_FALSE(controller.registered());
    EXPECT_FALSE(controller.matched());
    EXPECT_EQ(controller.retain_count, 3u) << "registry + parent + one child";
    EXPECT_EQ(root.retain_count, 3u);
    EXPECT_TRUE(controller.conforms_to("IOEthernetController"));
    EXPECT_TRUE(controller.children.at(0).conforms_to("IONetworkInterface"));
}

TEST(NetworkEntries, ControllerAndInterfaceProperties) {
    IdAllocator ids;
    Entry service = make_driver_service(sample_service(ids));
    const Value &c = service.children.at(0).properties;
    const Value &i = service.children.at(0).children.at(0).properties;
    EXPECT_EQ(format_value(*c.find("IOMACAddress")), "<021122334455>");
    EXPECT_EQ(format_value(*c.find("IOLinkStatus")), "3");
    EXPECT_EQ(format_value(*c.find("IOLinkSpeed")), "1000000000");
    EXPECT_EQ(format_value(*c.find("IOActiveMedium")), "\"00100030\"");
    EXPECT_EQ(format_value(*c.find("IOMaxPacketSize")), "9018");
    EXPECT_EQ(format_value(*c.find("IOMinPacketSize")), "64");
    EXPECT_EQ(format_value(*c.find("IOMediumDictionary")),
              "{\"00000020\"={\"Index\"=0,\"Type\"=32,\"Speed\"=0,\"Flags\"=0},"
              "\"00100030\"={\"Index\"=1,\"Type\"=1048624,\"Speed\"=1000000000,\"Flags\"=0}}");
    EXPECT_EQ(format_value(c.find("NetDextQueues")->items().at(0)),
              "{\"Queue\"=\"TxSubmission\",\"Capacity\"=8,\"Enabled\"=Yes,\"Packets\"=12,"
              "\"Batches\"=3}");
    EXPECT_EQ(c.find("NetDextQueues")->items().size(), 4u);
    EXPECT_EQ(format_value(*c.find("NetDextDrops")), "{\"zero_length_rx\"=1}");
    EXPECT_EQ(format_value(*i.find("BSD Name")), "\"en3\"");
    EXPECT_EQ(format_value(*i.find("IOInterfaceUnit")), "3");
    EXPECT_EQ(format_value(*i.find("IOInterfaceType")), "6");
    EXPECT_EQ(format_value(*i.find("IOMediaAddressLength")), "6");
    EXPECT_EQ(format_value(*i.find("IOMediaHeaderLength")), "14");
    EXPECT_EQ(format_value(*i.find("IOMaxTransferUnit")), "1500");
    EXPECT_EQ(format_value(*i.find("IOInterfaceFlags")), "34915") << "0x8863: up and running";
    EXPECT_EQ(format_value(*i.find("IOInterfaceNamePrefix")), "\"en\"");
}

TEST(NetworkEntries, LinkDownAndDisabled) {
    IdAllocator ids;
    DriverServiceDescription s = sample_service(ids);
    s.ethernet->link_status = 0x1;
    s.ethernet->enabled = false;
    s.ethernet->promiscuous = true;
    Entry service = make_driver_service(s);
    const Value &c = service.children.at(0).properties;
    const Value &i = service.children.at(0).children.at(0).properties;
    EXPECT_EQ(format_value(*c.find("IOLinkSpeed")), "0");
    EXPECT_EQ(format_value(*c.find("IOActiveMedium")), "\"\"");
    EXPECT_EQ(format_value(*i.find("IOInterfaceFlags")), std::to_string(0x8822 | 0x100));
    // No interface registered: the service stands alone.
    s.ethernet.reset();
    EXPECT_TRUE(make_driver_service(s).children.empty());
}

// A service that makes its ports with IOService::Create (two interfaces from one dext): each
// port is an entry of its own below the service, with its controller and interface below it.
TEST(NetworkEntries, PortServicesHangBelowTheServiceWithTheirInterfaces) {
    IdAllocator ids;
    DriverServiceDescription s = sample_service(ids);
    s.user_class = "TwoPortCable";
    s.io_class = "IOUserService";
    EthernetDescription eth = *s.ethernet;
    s.ethernet.reset();
    for (int unit : {4, 5}) {
        PortServiceDescription port;
        port.id = ids.next();
        port.user_class = "TwoPortCablePort";
        port.properties.set("CablePortIndex", Value::number(uint64_t(unit - 4), 32));
        port.retain_count = 5;
        port.ethernet = eth;
        port.ethernet.controller_id = ids.next();
        port.ethernet.interface_id = ids.next();
        port.ethernet.bsd_name = "en" + std::to_string(unit);
        port.ethernet.unit = unit;
        s.ports.push_back(port);
    }
    Entry root = make_root(ids);
    user_resources(root)->children.push_back(make_driver_service(s));
    model_retain_counts(root, {s.id, s.ports[0].id, s.ports[1].id});
    IoregOptions options;
    options.state = false;
    EXPECT_EQ(format_text(root, options),
              "+-o Root  <class IORegistryEntry>\n"
              "  +-o IOResources  <class IOResources>\n"
              "  +-o IOUserResources  <class IOUserResources>\n"
              "    +-o TwoPortCable  <class IOUserService>\n"
              "      +-o TwoPortCablePort  <class IOUserNetworkEthernet>\n"
              "      | +-o IOSkywalkLegacyEthernet  <class IOSkywalkLegacyEthernet>\n"
              "      |   +-o en4  <class IOSkywalkLegacyEthernetInterface>\n"
              "      +-o TwoPortCablePort  <class IOUserNetworkEthernet>\n"
              "        +-o IOSkywalkLegacyEthernet  <class IOSkywalkLegacyEthernet>\n"
              "          +-o en5  <class IOSkywalkLegacyEthernetInterface>\n");
    const Entry &port = root.children.at(1).children.at(0).children.at(1);
    EXPECT_EQ(port.id, s.ports[1].id);
    EXPECT_EQ(port.retain_count, 5u) << "the object's own count is kept";
    EXPECT_TRUE(port.registered() && port.matched());
    EXPECT_EQ(format_value(*port.properties.find("CablePortIndex")), "1");
    EXPECT_EQ(port.children.at(0).retain_count, 3u) << "registry + parent + one child";
    EXPECT_EQ(format_value(*port.children.at(0).children.at(0).properties.find("BSD Name")),
              "\"en5\"");
}

TEST(NetworkEntries, LinkSpeeds) {
    EXPECT_EQ(link_speed_of_medium(0x23), 10000000u);
    EXPECT_EQ(link_speed_of_medium(0x26 | 0x00100000), 100000000u);
    EXPECT_EQ(link_speed_of_medium(0x30), 1000000000u);
    EXPECT_EQ(link_speed_of_medium(0x36), 2500000000u);
    EXPECT_EQ(link_speed_of_medium(0x35), 10000000000u);
    EXPECT_EQ(link_speed_of_medium(0x82f), 100000000000u);
    EXPECT_EQ(link_speed_of_medium(0x20), 0u);
    EXPECT_TRUE(medium_is_full_duplex(0x30 | 0x00100000));
    EXPECT_FALSE(medium_is_full_duplex(0x30 | 0x00200000));
}

TEST(RegistryValue, DictionaryAndNumbers) {
    Value d = Value::dictionary();
    d.set("a", Value::number(1));
    d.set("b", Value::number(2));
    d.set("a", Value::string("replaced"));
    ASSERT_EQ(d.members().size(), 2u);
    EXPECT_EQ(d.members()[0].key, "a");
    EXPECT_EQ(d.find("a")->text(), "replaced");
    EXPECT_TRUE(d.erase("a"));
    EXPECT_FALSE(d.erase("a"));
    EXPECT_EQ(Value::number(0x1ff, 8).number_value(), 0xffu) << "masked to its width";
    EXPECT_EQ(Value::number(5, 12).number_bits(), 64) << "odd widths become 64";
    EXPECT_NE(Value::number(1, 32), Value::number(1, 64));
    EXPECT_NE(Value::string("x"), Value::data(std::string_view("x")));
    Value s = Value::string("not a dict");
    s.set("k", Value::number(1));
    EXPECT_EQ(s.find("k"), nullptr);
}

} // namespace
