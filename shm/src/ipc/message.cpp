#include <netdext/shm/ipc/message.h>

namespace netdext::shm::ipc {

Result<ParsedMessage> parse_message(std::span<const std::byte> datagram, size_t fd_count,
                                    const Protocol &protocol) {
    if (datagram.size() < sizeof(MessageHeader))
        return Error::from_code(ErrorCode::MessageTooShort, "message header");
    if (datagram.size() > kMaxMessageSize)
        return Error::from_code(ErrorCode::MessageTooLong, "message size");
    ParsedMessage parsed{};
    std::memcpy(&parsed.header, datagram.data(), sizeof parsed.header);
    const MessageHeader &header = parsed.header;
    if (header.magic != kMessageMagic)
        return Error::from_code(ErrorCode::BadMagic, "message header");
    if (header.version != protocol.version())
        return Error::from_code(ErrorCode::BadVersion, "message header");
    if ((header.flags & ~kKnownMessageFlags) != 0)
        return Error::from_code(ErrorCode::BadFlags, "message header");
    parsed.spec = protocol.find(header.type);
    if (!parsed.spec)
        return Error::from_code(ErrorCode::UnknownType, "message header");
    size_t payload_size = datagram.size() - sizeof(MessageHeader);
    if (header.payload_length != payload_size)
        return Error::from_code(ErrorCode::LengthMismatch, parsed.spec->name);
    if (payload_size < parsed.spec->min_payload || payload_size > parsed.spec->max_payload)
        return Error::from_code(ErrorCode::BadPayloadSize, parsed.spec->name);
    if (fd_count < parsed.spec->min_fds || fd_count > parsed.spec->max_fds)
        return Error::from_code(ErrorCode::BadFdCount, parsed.spec->name);
    parsed.payload = datagram.subspan(sizeof(MessageHeader));
    return parsed;
}

} // namespace netdext::shm::ipc
