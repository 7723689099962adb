// Example messages: the shape the daemon/host protocol header will take, and what the channel
// tests use. The real protocol lives elsewhere and defines its own types with make_protocol.
#pragma once

#include <netdext/shm/ipc/message.h>

namespace netdext::shm::ipc::example {

// First message each side sends: which protocol it speaks and who it is (the receiver compares
// pid with SO_PEERCRED rather than believing it).
struct Hello {
    static constexpr uint16_t kType = 1;
    static constexpr const char *kName = "Hello";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
    uint32_t protocol_version;
    uint32_t pid;
};
static_assert(sizeof(Hello) == 8 && alignof(Hello) == 4);

// Liveness check; the answer is a Ping with kMessageFlagReply and the same cookie.
struct Ping {
    static constexpr uint16_t kType = 2;
    static constexpr const char *kName = "Ping";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
    uint64_t cookie;
};
static_assert(sizeof(Ping) == 8 && alignof(Ping) == 8);

inline constexpr auto kProtocolTable = make_protocol<Hello, Ping>(1);
inline constexpr Protocol kProtocol = kProtocolTable.view();

} // namespace netdext::shm::ipc::example
