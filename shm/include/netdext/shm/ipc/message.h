// Control-channel framing and the message-type registry.
//
// Wire format of one SOCK_SEQPACKET datagram (native endianness; both ends are on one host):
//   MessageHeader (24 B) | payload (payload_length bytes, <= kMaxPayloadSize)
// plus 0..kMaxFdsPerMessage descriptors in one SCM_RIGHTS control message.
//
// A protocol is a version number and a set of message types, each a fixed-size POD struct:
//
//   struct Hello {                                   // in the protocol's one header
//       static constexpr uint16_t kType = 1;         // unique within the protocol
//       static constexpr const char *kName = "Hello";
//       static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
//       // optional: static constexpr uint32_t kMinPayload = ...; (default sizeof)
//       uint32_t protocol_version;
//       uint32_t pid;
//   };
//   static_assert(sizeof(Hello) == 8);
//   inline constexpr auto kMyProtocol = make_protocol<Hello, Ping>(/*version*/ 1);
//
// make_protocol rejects duplicate type ids at compile time. The receiver accepts a payload whose
// size lies in [kMinPayload, sizeof], zero-filling a shorter tail, so a later version may append
// fields. Everything is checked by parse_message() before a byte of payload is interpreted.
#pragma once

#include <netdext/shm/result.h>

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

namespace netdext::shm::ipc {

inline constexpr uint32_t kMessageMagic = 0x4358444e; // "NDXC" in memory order
inline constexpr size_t kMaxMessageSize = 4096;
inline constexpr uint32_t kMaxFdsPerMessage = 18;

inline constexpr uint32_t kMessageFlagReply = 1u << 0; // the message answers `sequence`
inline constexpr uint32_t kKnownMessageFlags = kMessageFlagReply;

struct MessageHeader {
    uint32_t magic;          // kMessageMagic
    uint16_t version;        // the protocol's version
    uint16_t type;           // a kType of the protocol
    uint32_t flags;          // kMessageFlag* bits; others must be zero
    uint32_t payload_length; // bytes after the header
    uint64_t sequence;       // sender's counter; a reply carries the request's
};
static_assert(sizeof(MessageHeader) == 24 && alignof(MessageHeader) == 8);
static_assert(offsetof(MessageHeader, payload_length) == 12);
static_assert(offsetof(MessageHeader, sequence) == 16);

inline constexpr size_t kMaxPayloadSize = kMaxMessageSize - sizeof(MessageHeader);

template <class M>
concept Message = std::is_trivially_copyable_v<M> && std::is_standard_layout_v<M> &&
                  sizeof(M) <= kMaxPayloadSize &&requires {
    { M::kType } -> std::convertible_to<uint16_t>;
    { M::kName } -> std::convertible_to<const char *>;
    { M::kMinFds } -> std::convertible_to<uint8_t>;
    { M::kMaxFds } -> std::convertible_to<uint8_t>;
};

struct MessageSpec {
    uint16_t type;
    const char *name;
    uint32_t min_payload;
    uint32_t max_payload;
    uint8_t min_fds;
    uint8_t max_fds;
};

template <Message M> consteval MessageSpec spec_of() {
    uint32_t min_payload = sizeof(M);
    if constexpr (requires { M::kMinPayload; })
        min_payload = M::kMinPayload;
    if (min_payload > sizeof(M) || M::kMinFds > M::kMaxFds || M::kMaxFds > kMaxFdsPerMessage)
        throw "inconsistent message declaration"; // reached only at compile time: a build error
    return MessageSpec{M::kType,   M::kName,  min_payload, static_cast<uint32_t>(sizeof(M)),
                       M::kMinFds, M::kMaxFds};
}

// A view of a protocol's table; cheap to copy. The table must have static storage duration.
class Protocol {
public:
    constexpr Protocol(uint16_t version, std::span<const MessageSpec> specs)
        : m_version(version), m_specs(specs) {}

    [[nodiscard]] constexpr uint16_t version() const { return m_version; }
    [[nodiscard]] constexpr const MessageSpec *find(uint16_t type) const {
        for (const MessageSpec &spec : m_specs)
            if (spec.type == type)
                return &spec;
        return nullptr;
    }
    [[nodiscard]] constexpr std::span<const MessageSpec> messages() const { return m_specs; }

private:
    uint16_t m_version;
    std::span<const MessageSpec> m_specs;
};

template <size_t N> struct ProtocolTable {
    uint16_t version;
    std::array<MessageSpec, N> specs;

    [[nodiscard]] constexpr Protocol view() const { return Protocol(version, specs); }
    constexpr operator Protocol() const { return view(); }
};

template <Message... Ms> consteval ProtocolTable<sizeof...(Ms)> make_protocol(uint16_t version) {
    ProtocolTable<sizeof...(Ms)> table{version, {spec_of<Ms>()...}};
    for (size_t i = 0; i < table.specs.size(); ++i)
        for (size_t j = i + 1; j < table.specs.size(); ++j)
            if (table.specs[i].type == table.specs[j].type)
                throw "duplicate message type id"; // a build error
    return table;
}

// A datagram that passed every check. `payload` points into the caller's buffer.
struct ParsedMessage {
    MessageHeader header;
    const MessageSpec *spec;
    std::span<const std::byte> payload;
};

// Checks, in order: size >= header (MessageTooShort), magic (BadMagic), version (BadVersion),
// flags (BadFlags), type (UnknownType), payload_length == bytes after the header
// (LengthMismatch), payload size in the type's range (BadPayloadSize), fd_count in the type's
// range (BadFdCount). Never reads outside `datagram`.
[[nodiscard]] Result<ParsedMessage> parse_message(std::span<const std::byte> datagram,
                                                  size_t fd_count, const Protocol &protocol);

// The payload as M, zero-filling fields beyond a shorter (older) payload. InvalidArgument if the
// message is of another type.
template <Message M> [[nodiscard]] Result<M> decode(const ParsedMessage &message) {
    if (message.header.type != M::kType)
        return Error::from_code(ErrorCode::InvalidArgument, "decode: message type differs");
    M value{};
    size_t count = message.payload.size() < sizeof(M) ? message.payload.size() : sizeof(M);
    std::memcpy(&value, message.payload.data(), count);
    return value;
}

} // namespace netdext::shm::ipc
