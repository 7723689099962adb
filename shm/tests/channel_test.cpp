#include "test_support.h"

#include <netdext/shm/ipc/channel.h>
#include <netdext/shm/ipc/example_messages.h>
#include <netdext/shm/shared_region.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <vector>

namespace netdext::shm::ipc {
namespace {

using namespace std::chrono_literals;
using example::Hello;
using example::Ping;
using netdext::shm::testing::must;

// A test-only message that carries descriptors, as the real protocol's "here is your pool" will.
struct AttachRegion {
    static constexpr uint16_t kType = 7;
    static constexpr const char *kName = "AttachRegion";
    static constexpr uint8_t kMinFds = 1, kMaxFds = 2;
    uint64_t size;
    uint32_t kind;
    uint32_t reserved;
};
static_assert(sizeof(AttachRegion) == 16);

// A later version of Ping with an appended field: accepts the old 8-byte payload too.
struct PingV2 {
    static constexpr uint16_t kType = 2;
    static constexpr const char *kName = "PingV2";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
    static constexpr uint32_t kMinPayload = 8;
    uint64_t cookie;
    uint64_t sent_at;
};

constexpr auto kTestTable = make_protocol<Hello, Ping, AttachRegion>(1);
constexpr Protocol kTestProtocol = kTestTable.view();
constexpr auto kV2Table = make_protocol<Hello, PingV2>(1);
static_assert(kTestProtocol.find(7) != nullptr && kTestProtocol.find(3) == nullptr);
static_assert(kTestProtocol.find(7)->min_fds == 1 && kTestProtocol.find(7)->max_fds == 2);

class ChannelTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto pair = must(Channel::create_pair(kTestProtocol));
        daemon.emplace(std::move(pair.first));
        host.emplace(std::move(pair.second));
    }
    Result<ReceivedMessage> receive_on_host() {
        EXPECT_TRUE(must(host->wait_readable(netdext::shm::testing::kDeadline)));
        return host->receive();
    }
    // Raw bytes with a header built from the given fields.
    static std::vector<std::byte> datagram(uint32_t magic, uint16_t version, uint16_t type,
                                           uint32_t flags, uint32_t payload_length,
                                           size_t actual_payload) {
        MessageHeader header{magic, version, type, flags, payload_length, 1};
        std::vector<std::byte> bytes(sizeof header + actual_payload, std::byte{0x5a});
        std::memcpy(bytes.data(), &header, sizeof header);
        return bytes;
    }
    // A pipe whose write end travels with a message; EOF on the read end proves every copy of
    // the write end — including the one the receiver got — was closed.
    struct Witness {
        Witness() {
            int fds[2];
            EXPECT_EQ(::pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
            read_end.reset(fds[0]);
            write_end.reset(fds[1]);
        }
        bool all_write_ends_closed() {
            write_end.reset();
            char c;
            return ::read(read_end.get(), &c, 1) == 0;
        }
        UniqueFd read_end, write_end;
    };
    void expect_rejected(std::span<const std::byte> bytes, size_t fd_copies, ErrorCode expected) {
        Witness witness;
        std::vector<int> fds(fd_copies, witness.write_end.get());
        must(daemon->send_datagram(bytes, fds));
        auto result = receive_on_host();
        ASSERT_TRUE(result.is_error());
        EXPECT_EQ(result.error().code(), expected) << result.error().describe();
        EXPECT_TRUE(witness.all_write_ends_closed()) << "a rejected message leaked a descriptor";
        EXPECT_ERROR_CODE(host->receive(), ErrorCode::WouldBlock); // exactly one datagram eaten
    }

    std::optional<Channel> daemon, host;
};

TEST_F(ChannelTest, HelloRoundTrips) {
    uint64_t sequence = must(daemon->send(Hello{3, 1234}));
    auto message = must(receive_on_host());
    EXPECT_EQ(message.type(), Hello::kType);
    EXPECT_EQ(message.header().sequence, sequence);
    EXPECT_EQ(message.header().version, 1u);
    EXPECT_EQ(message.fd_count(), 0u);
    Hello hello = must(message.as<Hello>());
    EXPECT_EQ(hello.protocol_version, 3u);
    EXPECT_EQ(hello.pid, 1234u);
    EXPECT_ERROR_CODE(message.as<Ping>(), ErrorCode::InvalidArgument);
}

TEST_F(ChannelTest, RepliesCarryTheRequestSequence) {
    uint64_t first = must(daemon->send(Ping{1}));
    uint64_t second = must(daemon->send(Ping{2}));
    EXPECT_EQ(second, first + 1);
    auto request = must(receive_on_host());
    EXPECT_EQ(must(request.as<Ping>()).cookie, 1u);
    must(host->send(Ping{1}, {}, kMessageFlagReply, request.header().sequence));
    ASSERT_TRUE(must(daemon->wait_readable(netdext::shm::testing::kDeadline)));
    auto reply = must(daemon->receive());
    EXPECT_EQ(reply.header().flags, kMessageFlagReply);
    EXPECT_EQ(reply.header().sequence, first);
}

TEST_F(ChannelTest, PassesDescriptors) {
    SharedRegion region = must(SharedRegion::create("channel-test", 4096));
    std::memcpy(region.bytes().data(), "shared", 6);
    Witness witness;
    int fds[] = {region.memfd().fd(), witness.write_end.get()};
    must(daemon->send(AttachRegion{4096, 1, 0}, fds));
    auto message = must(receive_on_host());
    ASSERT_EQ(message.fd_count(), 2u);
    EXPECT_EQ(must(message.as<AttachRegion>()).size, 4096u);

    SharedRegion attached = must(SharedRegion::attach(message.take_fd(0), 4096));
    EXPECT_EQ(std::memcmp(attached.bytes().data(), "shared", 6), 0);
    UniqueFd pipe_copy = message.take_fd(1);
    EXPECT_TRUE(pipe_copy.is_valid());
    EXPECT_FALSE(message.take_fd(1).is_valid()) << "a descriptor can be taken once";
    EXPECT_NE(::fcntl(pipe_copy.get(), F_GETFD) & FD_CLOEXEC, 0) << "received with CLOEXEC";
}

TEST_F(ChannelTest, ReportsPeerCredentials) {
    PeerCredentials peer = must(host->peer());
    EXPECT_EQ(peer.pid, ::getpid());
    EXPECT_EQ(peer.uid, ::getuid());
    EXPECT_EQ(peer.gid, ::getgid());
}

TEST_F(ChannelTest, EmptyAndClosed) {
    EXPECT_ERROR_CODE(host->receive(), ErrorCode::WouldBlock);
    EXPECT_FALSE(must(host->wait_readable(0ms)));
    daemon.reset();
    EXPECT_TRUE(must(host->wait_readable(netdext::shm::testing::kDeadline)));
    EXPECT_ERROR_CODE(host->receive(), ErrorCode::PeerClosed);
    EXPECT_ERROR_CODE(host->send(Ping{1}), ErrorCode::PeerClosed);
}

TEST_F(ChannelTest, RejectsAShortMessage) {
    auto bytes = datagram(kMessageMagic, 1, Ping::kType, 0, 8, 8);
    expect_rejected(std::span(bytes).first(10), 1, ErrorCode::MessageTooShort);
}

TEST_F(ChannelTest, RejectsALongMessage) {
    auto bytes = datagram(kMessageMagic, 1, Ping::kType, 0, 8, kMaxMessageSize);
    expect_rejected(bytes, 1, ErrorCode::MessageTooLong);
}

TEST_F(ChannelTest, RejectsBadMagic) {
    expect_rejected(datagram(0x12345678, 1, Ping::kType, 0, 8, 8), 1, ErrorCode::BadMagic);
}

TEST_F(ChannelTest, RejectsBadVersion) {
    expect_rejected(datagram(kMessageMagic, 2, Ping::kType, 0, 8, 8), 1, ErrorCode::BadVersion);
    expect_rejected(datagram(kMessageMagic, 0, Ping::kType, 0, 8, 8), 0, ErrorCode::BadVersion);
}

TEST_F(ChannelTest, RejectsUnknownType) {
    expect_rejected(datagram(kMessageMagic, 1, 99, 0, 8, 8), 1, ErrorCode::UnknownType);
}

TEST_F(ChannelTest, RejectsUnknownFlags) {
    expect_rejected(datagram(kMessageMagic, 1, Ping::kType, 0x80, 8, 8), 0, ErrorCode::BadFlags);
}

TEST_F(ChannelTest, RejectsADeclaredLengthThatDisagreesWithTheBytes) {
    expect_rejected(datagram(kMessageMagic, 1, Ping::kType, 0, 8, 4), 1, ErrorCode::LengthMismatch);
    expect_rejected(datagram(kMessageMagic, 1, Ping::kType, 0, 4, 8), 0, ErrorCode::LengthMismatch);
    expect_rejected(datagram(kMessageMagic, 1, Ping::kType, 0, 0xffffffff, 8), 0,
                    ErrorCode::LengthMismatch);
}

TEST_F(ChannelTest, RejectsAPayloadSizeOutsideTheTypesRange) {
    expect_rejected(datagram(kMessageMagic, 1, Ping::kType, 0, 4, 4), 0, ErrorCode::BadPayloadSize);
    expect_rejected(datagram(kMessageMagic, 1, Hello::kType, 0, 12, 12), 0,
                    ErrorCode::BadPayloadSize);
}

TEST_F(ChannelTest, RejectsTheWrongNumberOfDescriptors) {
    expect_rejected(datagram(kMessageMagic, 1, Ping::kType, 0, 8, 8), 1, ErrorCode::BadFdCount);
    expect_rejected(datagram(kMessageMagic, 1, AttachRegion::kType, 0, 16, 16), 0,
                    ErrorCode::BadFdCount);
    expect_rejected(datagram(kMessageMagic, 1, AttachRegion::kType, 0, 16, 16), 3,
                    ErrorCode::BadFdCount);
    expect_rejected(datagram(kMessageMagic, 1, AttachRegion::kType, 0, 16, 16), 40,
                    ErrorCode::BadFdCount);
}

TEST_F(ChannelTest, SenderRefusesWhatTheReceiverWouldReject) {
    int fd = ::dup(0);
    int fds[] = {fd, fd, fd};
    EXPECT_ERROR_CODE(daemon->send(Ping{1}, std::span(fds, 1)), ErrorCode::InvalidArgument);
    EXPECT_ERROR_CODE(daemon->send(AttachRegion{}), ErrorCode::InvalidArgument);
    EXPECT_ERROR_CODE(daemon->send(AttachRegion{}, fds), ErrorCode::InvalidArgument);
    EXPECT_ERROR_CODE(daemon->send(Ping{1}, {}, 0x10), ErrorCode::InvalidArgument);
    std::byte payload[8]{};
    EXPECT_ERROR_CODE(daemon->send_payload(42, payload, {}), ErrorCode::InvalidArgument);
    EXPECT_ERROR_CODE(daemon->send_payload(Ping::kType, std::span(payload).first(4), {}),
                      ErrorCode::InvalidArgument);
    ::close(fd);
    EXPECT_ERROR_CODE(host->receive(), ErrorCode::WouldBlock); // nothing went out
}

TEST_F(ChannelTest, ShorterOlderPayloadsAreZeroFilled) {
    auto v2 = must(Channel::create_pair(kV2Table.view()));
    must(v2.first.send_payload(Ping::kType, std::as_bytes(std::span("\x07\0\0\0\0\0\0\0", 8)), {}));
    ASSERT_TRUE(must(v2.second.wait_readable(netdext::shm::testing::kDeadline)));
    auto message = must(v2.second.receive());
    PingV2 ping = must(message.as<PingV2>());
    EXPECT_EQ(ping.cookie, 7u);
    EXPECT_EQ(ping.sent_at, 0u);
}

TEST(Channel, AdoptRefusesOtherSocketKinds) {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    UniqueFd keep(fds[1]);
    EXPECT_ERROR_CODE(Channel::adopt(UniqueFd(fds[0]), kTestProtocol), ErrorCode::InvalidArgument);
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds), 0);
    Channel a = must(Channel::adopt(UniqueFd(fds[0]), kTestProtocol));
    Channel b = must(Channel::adopt(UniqueFd(fds[1]), kTestProtocol));
    EXPECT_NE(::fcntl(a.fd(), F_GETFL) & O_NONBLOCK, 0);
    must(a.send(Ping{5}));
    ASSERT_TRUE(must(b.wait_readable(netdext::shm::testing::kDeadline)));
    EXPECT_EQ(must(must(b.receive()).as<Ping>()).cookie, 5u);
}

TEST(MessageParser, NeverReadsPastTheDatagram) {
    // parse_message on every prefix of a valid message: only the full one is accepted.
    std::vector<std::byte> bytes(sizeof(MessageHeader) + sizeof(Hello));
    MessageHeader header{kMessageMagic, 1, Hello::kType, 0, sizeof(Hello), 9};
    std::memcpy(bytes.data(), &header, sizeof header);
    for (size_t size = 0; size < bytes.size(); ++size) {
        std::vector<std::byte> prefix(bytes.begin(), bytes.begin() + static_cast<long>(size));
        EXPECT_TRUE(parse_message(prefix, 0, kTestProtocol).is_error()) << size;
    }
    auto parsed = must(parse_message(bytes, 0, kTestProtocol));
    EXPECT_EQ(parsed.spec->name, std::string_view("Hello"));
    EXPECT_EQ(parsed.payload.size(), sizeof(Hello));
}

} // namespace
} // namespace netdext::shm::ipc
