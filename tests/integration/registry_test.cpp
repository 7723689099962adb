// Issue 9 under the real netdextd, as root, in namespaces the tests make: the I/O Registry of the
// sample through `netdextctl ioreg` (compared with the seed's line field by field, -a read back
// with libplist, --json read back with the wire reader), code signatures in activation (a round
// trip through `trust` and every kind of tampering refused), the entitlement rules, and what
// `ip -d link`, `ethtool` and `ip -s link` show of the driver.

#include "service_support.h"

#include <netdext/registry/wire.h>

#include <plist/plist.h>

#include <regex>

using namespace std::chrono_literals;
using namespace netdext::testing;
using nlohmann::json;
namespace fs = std::filesystem;
namespace codesign = netdext::codesign;

namespace {

bool contains(const std::string &text, const std::string &piece) {
    return text.find(piece) != std::string::npos;
}

// The seed's line for the running sample (connecting-a-network-driver.md, API-SYSEXT §3.2).
constexpr const char *kSeedLine = "+-o NetworkingDriverKitSample  <class IOUserNetworkEthernet, "
                                  "id 0x100028cee, registered, matched, active, busy 0 (4 ms), "
                                  "retain 16>";

// "<class C, id 0x…, registered, …>" → its comma-separated fields, and the name before it.
struct EntryLine {
    std::string name;
    std::vector<std::string> fields;
};
std::optional<EntryLine> parse_line(const std::string &line) {
    static const std::regex shape(R"(\+-o (\S+)  <(.*)>$)");
    std::smatch m;
    if (!std::regex_search(line, m, shape))
        return std::nullopt;
    EntryLine out{m[1], {}};
    std::stringstream fields(m[2]);
    for (std::string field; std::getline(fields, field, ',');)
        out.fields.push_back(field.substr(field.find_first_not_of(' ')));
    return out;
}

std::string line_with(const std::string &text, const std::string &piece) {
    std::stringstream lines(text);
    for (std::string line; std::getline(lines, line);)
        if (contains(line, piece))
            return line;
    return "";
}

const netdext::registry::Entry *find(const netdext::registry::Entry &root, const std::string &name) {
    return root.find_by_name(name);
}

struct Registry : public Service {
    // The sample, signed by its team (trusted by up()), activated and approved: en0 is there.
    void sample_running() {
        up();
        auto r = ctl("activate --no-wait " + sample());
        ASSERT_TRUE(r.ok()) << r.output;
        r = ctl(std::string("approve ") + kSampleId);
        ASSERT_TRUE(r.ok()) << r.output;
        ASSERT_TRUE(daemon.wait_for([&] { return has_link("en0"); }));
        ASSERT_TRUE(daemon.wait_for([&] {
            return contains(ctl("ioreg").output, "+-o en0");
        })) << ctl("ioreg").output;
    }
    std::optional<netdext::registry::Entry> tree() {
        auto r = ctl("ioreg --json -l");
        EXPECT_TRUE(r.ok()) << r.output;
        netdext::registry::WireError error;
        auto entries = netdext::registry::entries_from_json(r.output, error);
        EXPECT_TRUE(entries && entries->size() == 1) << error.message << "\n" << r.output;
        if (!entries || entries->size() != 1)
            return std::nullopt;
        return (*entries)[0];
    }
    // A public identity file for `identity` in the work directory.
    std::string public_file(const codesign::Identity &identity, const std::string &name) {
        const std::string path = (work.path() / (name + ".identity.pub")).string();
        std::string error;
        EXPECT_TRUE(codesign::write_public_identity(identity.public_identity(), path, true, error))
            << error;
        return path;
    }
    static void sign_with(const std::string &bundle, const codesign::Identity &identity,
                          const std::string &entitlements = "") {
        codesign::SignOptions options;
        options.replace = true;
        options.entitlements_file = entitlements;
        codesign::Failure failure;
        ASSERT_TRUE(codesign::sign_bundle(bundle, identity, options, failure)) << failure.message;
    }
};

} // namespace

TEST_F(Registry, TheSampleAsIoregShowsItAndAsTheSeedsLine) {
    sample_running();
    auto root = tree();
    ASSERT_TRUE(root);
    const auto *service = find(*root, "NetworkingDriverKitSample");
    ASSERT_NE(service, nullptr);

    // The entry line, field by field against the seed's.
    const std::string text = ctl("ioreg").output;
    auto ours = parse_line(line_with(text, "+-o NetworkingDriverKitSample "));
    auto seed = parse_line(kSeedLine);
    ASSERT_TRUE(ours && seed) << text;
    EXPECT_EQ(ours->name, seed->name);
    ASSERT_EQ(ours->fields.size(), seed->fields.size()) << text;
    EXPECT_EQ(ours->fields[0], seed->fields[0]); // class IOUserNetworkEthernet
    char id[32];
    std::snprintf(id, sizeof id, "id 0x%llx", static_cast<unsigned long long>(service->id));
    EXPECT_EQ(ours->fields[1], id);
    EXPECT_TRUE(std::regex_match(ours->fields[1], std::regex("id 0x1[0-9a-f]{8}")));
    for (size_t i = 2; i < 5; ++i) // registered, matched, active
        EXPECT_EQ(ours->fields[i], seed->fields[i]);
    EXPECT_TRUE(std::regex_match(ours->fields[5], std::regex(R"(busy 0 \(\d+ ms\))")))
        << ours->fields[5];
    EXPECT_EQ(ours->fields[6], "retain " + std::to_string(service->retain_count));
    EXPECT_GE(service->retain_count, 1u);

    // Where it sits and what is below it.
    const auto *user = find(*root, "IOUserResources");
    ASSERT_NE(user, nullptr);
    ASSERT_EQ(user->children.size(), 1u);
    EXPECT_EQ(user->children[0].name, "NetworkingDriverKitSample");
    EXPECT_EQ(service->inheritance(), "IORegistryEntry:IOService:IOSkywalkEthernetInterface:"
                                      "IOUserNetworkEthernet");
    ASSERT_EQ(service->children.size(), 1u);
    const auto &controller = service->children[0];
    EXPECT_EQ(controller.name, "IOSkywalkLegacyEthernet");
    EXPECT_FALSE(controller.registered());
    ASSERT_EQ(controller.children.size(), 1u);
    EXPECT_EQ(controller.children[0].name, "en0");
    // Unique IDs.
    std::set<uint64_t> ids;
    size_t count = 0;
    root->find_if([&](const netdext::registry::Entry &e) {
        ids.insert(e.id);
        ++count;
        return false;
    });
    EXPECT_EQ(ids.size(), count);

    // Properties: the personality, the CDHash of the signature, the family's.
    const auto &p = service->properties;
    ASSERT_NE(p.find("IOUserClass"), nullptr);
    EXPECT_EQ(p.find("IOUserClass")->text(), "NetworkingDriverKitSample");
    ASSERT_NE(p.find("IOMatchedPersonality"), nullptr);
    codesign::Failure failure;
    auto signature = codesign::read_signature(sample(), failure);
    ASSERT_TRUE(signature) << failure.message;
    ASSERT_NE(p.find("IOUserServerCDHash"), nullptr);
    EXPECT_EQ(p.find("IOUserServerCDHash")->text(), signature->cdhash);
    EXPECT_EQ(controller.properties.find("IOMACAddress")->bytes(),
              std::string("\x10\x22\x33\x44\x55\x66", 6));
    EXPECT_EQ(controller.properties.find("IOLinkStatus")->number_value(), 3u);
    EXPECT_EQ(controller.properties.find("IOMaxPacketSize")->number_value(), 9000u + 18);
    const auto &iface = controller.children[0].properties;
    EXPECT_EQ(iface.find("BSD Name")->text(), "en0");
    EXPECT_EQ(iface.find("IOMaxTransferUnit")->number_value(), 1500u);
    const std::string listed = ctl("ioreg -l -w0").output;
    EXPECT_TRUE(contains(listed, "\"IOMACAddress\" = <102233445566>")) << listed;
    EXPECT_TRUE(contains(listed, "\"IOUserServerCDHash\" = \"" + signature->cdhash + "\""));

    // -a: an XML plist libplist reads back, with the same IDs.
    const std::string archive = ctl("ioreg -a").output;
    plist_t plist = nullptr;
    plist_from_xml(archive.data(), uint32_t(archive.size()), &plist);
    ASSERT_NE(plist, nullptr) << archive;
    ASSERT_EQ(plist_get_node_type(plist), PLIST_DICT);
    uint64_t root_id = 0;
    plist_get_uint_val(plist_dict_get_item(plist, "IORegistryEntryID"), &root_id);
    EXPECT_EQ(root_id, root->id);
    plist_t children = plist_dict_get_item(plist, "IORegistryEntryChildren");
    ASSERT_NE(children, nullptr);
    EXPECT_EQ(plist_array_get_size(children), 2u);
    plist_free(plist);
    netdext::registry::WireError wire;
    auto back = netdext::registry::entries_from_archive(ctl("ioreg -a -r -n en0 -l").output, wire);
    ASSERT_TRUE(back && back->size() == 1) << wire.message;
    EXPECT_EQ((*back)[0].id, controller.children[0].id);
    EXPECT_EQ((*back)[0].properties.find("BSD Name")->text(), "en0");

    // --json: what json.hpp parses, typed.
    json doc = json::parse(ctl("ioreg --json -r -c IOUserNetworkEthernet").output, nullptr, false);
    ASSERT_TRUE(doc.is_array() && doc.size() == 1) << doc;
    EXPECT_EQ(doc[0]["class"], "IOUserNetworkEthernet");
    EXPECT_EQ(doc[0]["id"], service->id);
    EXPECT_EQ(doc[0]["properties"]["IOProbeScore"]["bits"], 64);

    // Any user may read it.
    const std::string as_nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups " +
                                  netdextctl_path() + " --socket " + daemon.socket_path() + " ";
    auto r = daemon.sh(as_nobody + "ioreg -c IOSkywalkLegacyEthernetInterface -S");
    EXPECT_TRUE(r.ok()) << r.output;
    EXPECT_TRUE(contains(r.output, "+-o en0  <class IOSkywalkLegacyEthernetInterface>"))
        << r.output;
    r = ctl("ioreg -p IODeviceTree");
    EXPECT_EQ(r.exit_code, 2) << r.output;
}

TEST_F(Registry, QueueCountersAgreeWithIpSLink) {
    sample_running();
    ASSERT_TRUE(daemon.sh("ip addr add 17.192.170.17/24 dev en0 && ip link set en0 up && "
                          "ip neigh add 17.192.170.19 lladdr 10:22:33:44:55:77 dev en0 nud "
                          "permanent").ok());
    ASSERT_TRUE(daemon.wait_for([&] { return daemon.counter("tx_completed") >= 8; }, 30s));
    // Between two equal reads of `ip -s link` nothing moved: the registry's and the status'
    // counts are of that same moment.
    for (int attempt = 0; attempt < 20; ++attempt) {
        const std::string before = daemon.sh("ip -s -j link show en0").output;
        auto root = tree();
        const json status = daemon.dext();
        if (daemon.sh("ip -s -j link show en0").output != before || !root)
            continue;
        const json link = json::parse(before)[0]["stats64"];
        const auto *controller = find(*root, "IOSkywalkLegacyEthernet");
        ASSERT_NE(controller, nullptr);
        const auto &queues = controller->properties.find("NetDextQueues")->items();
        ASSERT_EQ(queues.size(), 4u);
        auto packets = [&](size_t q) { return queues[q].find("Packets")->number_value(); };
        EXPECT_EQ(queues[0].find("Queue")->text(), "TxSubmission");
        EXPECT_EQ(packets(0), link["tx"]["packets"].get<uint64_t>()); // what the stack sent
        EXPECT_EQ(packets(3), link["rx"]["packets"].get<uint64_t>()); // what the driver received
        EXPECT_GT(packets(3), 0u);
        const json &listed = status["interface"]["queues"];
        ASSERT_EQ(listed.size(), 4u);
        EXPECT_EQ(listed[0]["packets"], packets(0));
        EXPECT_EQ(listed[3]["packets"], packets(3));
        EXPECT_EQ(listed[3]["capacity"], queues[3].find("Capacity")->number_value());
        EXPECT_TRUE(contains(ctl("status").output, "RxCompletion: " + std::to_string(packets(3))));
        return;
    }
    FAIL() << "the counters never held still";
}

TEST_F(Registry, LinuxToolsShowTheDriverAndCannotChangeItsMac) {
    sample_running();
    auto r = daemon.sh("ip -d link show en0");
    EXPECT_TRUE(contains(r.output, "alias " + std::string(kSampleId))) << r.output;
    // ethtool: what the driver reported (the sample's medium is Ethernet auto: no speed), not
    // tun's 10 Gb/s default.
    r = daemon.sh("ethtool en0");
    ASSERT_TRUE(r.ok()) << r.output;
    EXPECT_FALSE(contains(r.output, "10000Mb/s")) << r.output;
    EXPECT_TRUE(contains(r.output, "Speed: Unknown!")) << r.output;
    EXPECT_TRUE(contains(r.output, "Duplex: Unknown!")) << r.output;
    EXPECT_TRUE(contains(daemon.sh("ethtool -i en0").output, "driver: tun"));
    // The MAC: `ip` succeeds, the daemon puts the driver's back and says why.
    r = daemon.sh("ip link set en0 address 02:00:00:00:00:99");
    EXPECT_TRUE(r.ok()) << r.output;
    EXPECT_TRUE(daemon.wait_for([&] {
        return contains(daemon.sh("ip link show en0").output, "link/ether 10:22:33:44:55:66");
    }));
    EXPECT_TRUE(daemon.log_contains("MAC 02:00:00:00:00:99 refused on en0 (NetworkingDriverKit "
                                    "has no call to change it); putting back 10:22:33:44:55:66"));
    // An MTU above the driver's maximum (9000): the same.
    r = daemon.sh("ip link set en0 mtu 9100");
    EXPECT_TRUE(r.ok()) << r.output;
    EXPECT_TRUE(daemon.wait_for([&] {
        return contains(daemon.sh("ip link show en0").output, "mtu 1500");
    }));
    EXPECT_TRUE(daemon.log_contains("MTU 9100 refused (the driver's maximum is 9000)"));
}

TEST_F(Registry, SignaturesRoundTripThroughActivationAndTamperingIsRefused) {
    up({}, {}, /*trust=*/false);
    // Signed, but nobody trusts the team yet.
    auto r = ctl("activate --no-wait " + sample());
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(contains(r.output, "CodeSignatureInvalid (8)")) << r.output;
    EXPECT_TRUE(contains(r.output, std::string("the signing team ") + kSampleTeam)) << r.output;
    EXPECT_TRUE(extensions().empty());

    // trust add / list; then the round trip: activate, approve, list shows the team, uninstall
    // checks it.
    r = ctl(std::string("trust add ") + SAMPLE_IDENTITY_PUB);
    ASSERT_TRUE(r.ok()) << r.output;
    r = ctl("trust list");
    EXPECT_TRUE(contains(r.output, "1 trusted key(s)")) << r.output;
    EXPECT_TRUE(contains(r.output, std::string(kSampleTeam) + "\t")) << r.output;
    ASSERT_TRUE(ctl("activate --no-wait " + sample()).ok());
    ASSERT_TRUE(ctl(std::string("approve ") + kSampleId).ok());
    EXPECT_TRUE(contains(ctl("list").output, std::string("*\t*\t") + kSampleTeam + "\t" + kSampleId))
        << ctl("list").output;
    r = ctl(std::string("uninstall - ") + kSampleId);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(contains(r.output, std::string("is installed from team ") + kSampleTeam + ", not -"))
        << r.output;
    ASSERT_TRUE(ctl(std::string("uninstall ") + kSampleTeam + " " + kSampleId).ok());

    // Every kind of tampering, in developer mode too: one line naming the file, nothing recorded.
    std::string error;
    auto impostor = codesign::Identity::generate(kSampleTeam, "Impostor", error);
    auto stranger = codesign::Identity::generate("B987654321", "Stranger", error);
    auto old = codesign::Identity::generate("C111111111", "Old Corp", error);
    ASSERT_TRUE(impostor && stranger && old) << error;
    ASSERT_TRUE(ctl("trust add " + public_file(*old, "old") + " --expires 2020-01-01").ok());
    auto copy = [&](const std::string &name) {
        return DextVariant(sample(), work.path() / name / "NetworkingDriverKitSample.dext",
                           DextVariant::Signature::keep);
    };
    struct Case {
        std::string name;
        std::string path;
        std::string words;
    };
    std::vector<Case> cases;
    {
        auto v = copy("exe");
        std::ofstream(v.path() / "NetworkingDriverKitSample", std::ios::app) << '\0';
        cases.push_back({"executable", v.str(), "file modified: NetworkingDriverKitSample"});
    }
    {
        auto v = copy("info");
        DextVariant::edit_in_place(v.path(), "Info.plist", [](plist_t d) {
            plist_dict_set_item(d, "OSBundleUsageDescription", plist_new_string("changed"));
        });
        cases.push_back({"Info.plist", v.str(), "file modified: Info.plist"});
    }
    {
        auto v = copy("ent");
        DextVariant::edit_in_place(v.path(), "Entitlements.plist", [](plist_t d) {
            plist_dict_set_item(d, "com.apple.developer.driverkit.transport.pci", plist_new_bool(1));
        });
        cases.push_back({"entitlements", v.str(), "file modified: Entitlements.plist"});
    }
    {
        auto v = copy("added");
        std::ofstream(v.path() / "extra") << "x";
        cases.push_back({"added file", v.str(), "file added: extra"});
    }
    {
        auto v = copy("removed");
        fs::remove(v.path() / "Entitlements.plist");
        cases.push_back({"removed file", v.str(), "file missing: Entitlements.plist"});
    }
    {
        auto v = copy("wrongkey");
        sign_with(v.str(), *impostor);
        cases.push_back({"wrong key", v.str(), "is trusted with another key"});
    }
    {
        auto v = copy("untrusted");
        sign_with(v.str(), *stranger);
        cases.push_back({"untrusted team", v.str(), "the signing team B987654321 (Stranger) is not trusted"});
    }
    {
        auto v = copy("expired");
        sign_with(v.str(), *old);
        cases.push_back({"expired team", v.str(), "expired on 2020-01-01"});
    }
    for (bool developer_mode : {false, true}) {
        developer(developer_mode);
        for (const Case &c : cases) {
            r = ctl("activate --no-wait " + c.path);
            EXPECT_EQ(r.exit_code, 1) << c.name;
            EXPECT_TRUE(contains(r.output, "CodeSignatureInvalid (8)")) << c.name << ": " << r.output;
            EXPECT_TRUE(contains(r.output, c.words)) << c.name << ": " << r.output;
            EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
        }
        EXPECT_TRUE(extensions().empty());
    }
    // Developer mode runs an unsigned bundle, as team -.
    DextVariant unsigned_copy(sample(), work.path() / "unsigned/NetworkingDriverKitSample.dext");
    ASSERT_TRUE(ctl("activate " + unsigned_copy.str()).ok());
    EXPECT_TRUE(contains(ctl("list").output, std::string("*\t*\t-\t") + kSampleId));
    ASSERT_TRUE(ctl(std::string("uninstall - ") + kSampleId).ok());
    // trust remove.
    ASSERT_TRUE(ctl(std::string("trust remove ") + kSampleTeam).ok());
    EXPECT_FALSE(contains(ctl("trust list").output, kSampleTeam));
    EXPECT_EQ(daemon.sh("setpriv --reuid=65534 --regid=65534 --clear-groups " + netdextctl_path() +
                        " --socket " + daemon.socket_path() + " trust remove C111111111")
                  .exit_code,
              1);
}

TEST_F(Registry, TheEntitlementRulesHoldInNetdextd) {
    up();
    developer(true);
    auto entitlements = [&](const std::string &name, const std::string &keys) {
        const fs::path file = work.path() / (name + ".entitlements");
        std::ofstream(file) << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">"
                               "<dict>" << keys << "</dict></plist>\n";
        return file.string();
    };
    const std::string driverkit = "<key>com.apple.developer.driverkit</key><true/>";
    const std::string networking = "<key>com.apple.developer.driverkit.family.networking</key><true/>";
    std::string error;
    auto identity = codesign::Identity::read(SAMPLE_IDENTITY, error);
    ASSERT_TRUE(identity) << error;
    // Activation: the signed entitlements, the missing key named.
    DextVariant nodk(sample(), work.path() / "nodk/NetworkingDriverKitSample.dext");
    sign_with(nodk.str(), *identity, entitlements("nodk", networking));
    auto r = ctl("activate " + nodk.str());
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(contains(r.output, "MissingEntitlement (2)")) << r.output;
    EXPECT_TRUE(contains(r.output, "lacks the entitlement com.apple.developer.driverkit")) << r.output;
    DextVariant nonet(sample(), work.path() / "nonet/NetworkingDriverKitSample.dext");
    sign_with(nonet.str(), *identity, entitlements("nonet", driverkit));
    r = ctl("activate " + nonet.str());
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(contains(r.output, "needs the entitlement com.apple.developer.driverkit.family."
                                   "networking")) << r.output;
    DextVariant usb(sample(), work.path() / "usb/NetworkingDriverKitSample.dext");
    usb.personality("IOProviderClass", "IOPCIDevice");
    sign_with(usb.str(), *identity);
    r = ctl("activate " + usb.str());
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(contains(r.output, "needs the entitlement com.apple.developer.driverkit.transport.pci"))
        << r.output;
    EXPECT_TRUE(extensions().empty());
    // What slips by activation (a service that is not an IOUserNetworkEthernet, registering an
    // interface anyway) is refused at RegisterEthernetInterface with kIOReturnNotPermitted.
    DextVariant slip(sample(), work.path() / "slip/NetworkingDriverKitSample.dext");
    slip.personality("IOClass", "IOUserService");
    sign_with(slip.str(), *identity, entitlements("slip", driverkit));
    r = ctl("activate " + slip.str());
    ASSERT_TRUE(r.ok()) << r.output;
    EXPECT_TRUE(daemon.wait_for([&] {
        return daemon.log_contains("RegisterEthernetInterface refused: " + std::string(kSampleId) +
                                   ": the entitlement com.apple.developer.driverkit.family."
                                   "networking is missing");
    })) << daemon.log();
    EXPECT_FALSE(has_link("en0"));
}
