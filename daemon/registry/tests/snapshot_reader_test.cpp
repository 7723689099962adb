// The reader of netdext-host's registry snapshots: chunks in order or refused, documents checked
// as untrusted input (snapshot_reader.h).

#include <gtest/gtest.h>

#include "registry/snapshot_reader.h"

#include <netdext/registry/wire.h>

#include <cstring>

namespace netdext::daemon::registry {
namespace {

using protocol::RegistrySnapshot;
namespace reg = netdext::registry;

constexpr IdBlock kBlock{0x100010000, 1u << 16};
constexpr size_t kHeader = offsetof(RegistrySnapshot, data);

reg::Entry service_entry(uint64_t id = kBlock.first, uint32_t retain = 9) {
    reg::Entry e;
    e.name = "NetworkingDriverKitSample";
    e.class_name = "NetworkingDriverKitSample";
    e.id = id;
    e.retain_count = retain;
    e.properties.set("IOClass", reg::Value::string("IOUserNetworkEthernet"));
    e.properties.set("IOUserServiceProperties",
                     reg::Value::dictionary({{"Speed", reg::Value::number(1000, 32)},
                                             {"MAC", reg::Value::data(std::string("\x10\x22", 2))}}));
    return e;
}

std::vector<RegistrySnapshot> chunks_of(const std::string &document, size_t size,
                                        uint64_t request = 0) {
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

TEST(SnapshotAssembler, PutsChunksBackTogetherInOrder) {
    const std::string document = reg::to_json(service_entry());
    auto chunks = chunks_of(document, 50, 7);
    ASSERT_GT(chunks.size(), 3u);
    SnapshotAssembler assembler;
    std::string error;
    for (size_t i = 0; i + 1 < chunks.size(); ++i)
        ASSERT_EQ(assembler.add(chunks[i], sizeof(RegistrySnapshot), error),
                  SnapshotAssembler::Status::partial) << error;
    ASSERT_EQ(assembler.add(chunks.back(), kHeader + chunks.back().length, error),
              SnapshotAssembler::Status::complete) << error;
    EXPECT_EQ(assembler.request(), 7u);
    EXPECT_EQ(assembler.take(), document);
    EXPECT_FALSE(assembler.in_progress());
}

TEST(SnapshotAssembler, RefusesChunksOutOfOrderOrOutOfBounds) {
    const std::string document = reg::to_json(service_entry());
    auto chunks = chunks_of(document, 50, 3);
    std::string error;
    auto refused = [&](std::vector<RegistrySnapshot> sequence, size_t payload, const char *why) {
        SnapshotAssembler assembler;
        error.clear();
        for (size_t i = 0; i < sequence.size(); ++i) {
            auto status = assembler.add(sequence[i], payload, error);
            if (status == SnapshotAssembler::Status::refused) {
                EXPECT_NE(error.find(why), std::string::npos) << error;
                EXPECT_FALSE(assembler.in_progress());
                return true;
            }
        }
        return false;
    };
    EXPECT_TRUE(refused({chunks[1]}, sizeof(RegistrySnapshot), "first chunk starts at 50"));
    EXPECT_TRUE(refused({chunks[0], chunks[2]}, sizeof(RegistrySnapshot), "does not continue"));
    auto other = chunks[1];
    other.request = 4;
    EXPECT_TRUE(refused({chunks[0], other}, sizeof(RegistrySnapshot), "does not continue"));
    auto grown = chunks[1];
    grown.total += 1;
    EXPECT_TRUE(refused({chunks[0], grown}, sizeof(RegistrySnapshot), "does not continue"));
    auto huge = chunks[0];
    huge.total = protocol::kMaxRegistrySnapshotBytes + 1;
    EXPECT_TRUE(refused({huge}, sizeof(RegistrySnapshot), "at most"));
    auto past = chunks[0];
    past.length = RegistrySnapshot::kMaxData + 1;
    EXPECT_TRUE(refused({past}, sizeof(RegistrySnapshot), "chunk of"));
    EXPECT_TRUE(refused({chunks[0]}, kHeader + 10, "in a payload of")); // length 50 in 10 bytes
    auto beyond = chunks.back();
    beyond.length += 1;
    chunks.back() = beyond;
    EXPECT_TRUE(refused(chunks, sizeof(RegistrySnapshot), "beyond the document"));
    auto empty = chunks[0];
    empty.length = 0;
    EXPECT_TRUE(refused({empty}, sizeof(RegistrySnapshot), "empty chunk"));
}

TEST(ServiceSnapshot, KeepsWhatTheHostSaysWhenItFollowsTheRules) {
    std::string error;
    auto snapshot = parse_service_snapshot(reg::to_json(service_entry()), kBlock, error);
    ASSERT_TRUE(snapshot) << error;
    EXPECT_EQ(snapshot->id, kBlock.first);
    EXPECT_EQ(snapshot->retain_count, 9u);
    EXPECT_EQ(snapshot->class_name, "NetworkingDriverKitSample");
    EXPECT_EQ(snapshot->properties, service_entry().properties);
}

// A service that made its ports (IOService::Create) sends them as its children.
TEST(ServiceSnapshot, KeepsThePortServicesTheServiceMade) {
    reg::Entry service = service_entry();
    for (uint64_t i = 1; i <= kMaxPorts; ++i) {
        service.children.push_back(service_entry(kBlock.first + i, uint32_t(i)));
        service.children.back().name = "Port" + std::to_string(i);
    }
    std::string error;
    auto snapshot = parse_service_snapshot(reg::to_json(service), kBlock, error);
    ASSERT_TRUE(snapshot) << error;
    ASSERT_EQ(snapshot->ports.size(), kMaxPorts);
    EXPECT_EQ(snapshot->ports[2].id, kBlock.first + 3);
    EXPECT_EQ(snapshot->ports[2].class_name, "Port3");
    EXPECT_EQ(snapshot->ports[2].retain_count, 3u);
    EXPECT_EQ(snapshot->ports[2].properties, service_entry().properties);
}

TEST(ServiceSnapshot, RefusesWhatBreaksTheRules) {
    std::string error;
    auto refused = [&](const reg::Entry &entry, const char *why) {
        error.clear();
        bool no = !parse_service_snapshot(reg::to_json(entry), kBlock, error);
        EXPECT_NE(error.find(why), std::string::npos) << error;
        return no;
    };
    EXPECT_TRUE(refused(service_entry(kBlock.first - 1), "outside the host's block"));
    EXPECT_TRUE(refused(service_entry(kBlock.first + kBlock.count), "outside the host's block"));
    EXPECT_TRUE(refused(service_entry(kBlock.first, 0), "retain count 0"));
    EXPECT_TRUE(refused(service_entry(kBlock.first, kMaxRetainCount + 1), "retain count"));
    reg::Entry same = service_entry();
    same.children.push_back(service_entry());
    EXPECT_TRUE(refused(same, "the service's own registry ID"));
    reg::Entry twins = service_entry();
    twins.children = {service_entry(kBlock.first + 1), service_entry(kBlock.first + 1)};
    EXPECT_TRUE(refused(twins, "two port services have registry ID"));
    reg::Entry nested = service_entry();
    nested.children.push_back(service_entry(kBlock.first + 1));
    nested.children[0].children.push_back(service_entry(kBlock.first + 2));
    EXPECT_TRUE(refused(nested, "has children"));
    reg::Entry outside = service_entry();
    outside.children.push_back(service_entry(kBlock.first + kBlock.count));
    EXPECT_TRUE(refused(outside, "a port service: registry ID"));
    reg::Entry crowd = service_entry();
    for (uint64_t i = 1; i <= kMaxPorts + 1; ++i)
        crowd.children.push_back(service_entry(kBlock.first + i));
    EXPECT_TRUE(refused(crowd, "port services (at most"));
    reg::Entry named = service_entry();
    named.name = "Evil\nLine";
    EXPECT_TRUE(refused(named, "not printable"));
    named.name = std::string(129, 'A');
    EXPECT_TRUE(refused(named, "class name of 129"));
    reg::Entry many = service_entry();
    for (size_t i = 0; i <= kMaxProperties; ++i)
        many.properties.set("k" + std::to_string(i), reg::Value::boolean(true));
    EXPECT_TRUE(refused(many, "properties (at most"));
    EXPECT_FALSE(parse_service_snapshot("{\"name\": 1}", kBlock, error));
    EXPECT_FALSE(error.empty());
    EXPECT_FALSE(parse_service_snapshot("not json", kBlock, error));
}

} // namespace
} // namespace netdext::daemon::registry
