// Fuzz target: everything netdextd reads from a dext — ring control words, ring entries, packet
// descriptors, control-channel datagrams — comes from the fuzzer, interleaved with the daemon's own
// operations. It must never crash, trip a sanitizer, or break the daemon's private invariants.
//
// Input format (all integers little-endian; a short read ends the input):
//   u8 packet_count-1 (mod 64), u8 buffer-size selector, u8 x6 ring capacity log2 (mod 7),
//   then commands, each an opcode byte (mod kOpCount) followed by its arguments:
//     WriteRings    u16 offset, u8 length, bytes     raw bytes anywhere in the rings region
//     WritePool     u16 offset, u8 length, bytes     raw bytes in the header/descriptor area
//     SetControl    u8 ring, u8 field, u32 value     one RingControl word
//     DriverEnqueue u8 ring, u8 count, u32 x count   a well-formed driver publish of any indices
//     DriverDequeue u8 ring, u8 count                a well-formed driver consume
//     RestockRx     u8 limit
//     RestockAlloc  u8 limit
//     SubmitTx      u8 count, u16 length
//     ReapTx        u8 max
//     PollRx        u8 max                           frames are read, then released
//     ReapFree      u8 max
//     Sleep                                          prepare_to_sleep / finish_sleep
//     Message       u8 fd_count, u16 length, bytes   parse_message + decode
// shm/fuzz/make_seeds.py writes the seed corpus in this format.
#include <netdext/shm/driver_endpoint.h>
#include <netdext/shm/ipc/example_messages.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

namespace netdext::shm {
namespace {

enum Op : uint8_t {
    WriteRings,
    WritePool,
    SetControl,
    DriverEnqueue,
    DriverDequeue,
    RestockRx,
    RestockAlloc,
    SubmitTx,
    ReapTx,
    PollRx,
    ReapFree,
    Sleep,
    Message,
    kOpCount
};

class Input {
public:
    Input(const uint8_t *data, size_t size) : m_data(data), m_size(size) {}
    bool empty() const { return m_offset >= m_size; }
    template <class T> T take() {
        T value{};
        size_t count = std::min(sizeof(T), m_size - std::min(m_offset, m_size));
        std::memcpy(&value, m_data + m_offset, count);
        m_offset += sizeof(T);
        return value;
    }
    std::span<const uint8_t> bytes(size_t count) {
        size_t start = std::min(m_offset, m_size);
        count = std::min(count, m_size - start);
        m_offset = start + count;
        return {m_data + start, count};
    }

private:
    const uint8_t *m_data;
    size_t m_size;
    size_t m_offset = 0;
};

struct AlignedFree {
    void operator()(std::byte *p) const { std::free(p); }
};
using Region = std::unique_ptr<std::byte[], AlignedFree>;

Region allocate(size_t size) {
    auto *p = static_cast<std::byte *>(std::aligned_alloc(4096, size));
    if (!p)
        std::abort();
    std::memset(p, 0, size);
    return Region(p);
}

// The daemon's bookkeeping must stay consistent whatever the driver did.
void check_invariants(const DaemonEndpoint &daemon, const PoolLayout &pool) {
    const OwnershipTable &owners = daemon.ownership();
    uint64_t total = 0;
    for (size_t s = 0; s < kPacketStateCount; ++s)
        total += owners.count(static_cast<PacketState>(s));
    if (total != pool.packet_count ||
        owners.count(PacketState::DaemonFree) != daemon.free_packets() ||
        owners.count(PacketState::NoBuffer) != pool.packet_count - pool.usable_packet_count())
        __builtin_trap();
}

void run(Input &in) {
    uint32_t packets = 1 + in.take<uint8_t>() % 64;
    static constexpr uint32_t kSizes[] = {64, 100, 2048, 65536};
    uint32_t buffer_size = kSizes[in.take<uint8_t>() % 4];
    RingCapacities capacities;
    for (uint32_t &capacity : capacities)
        capacity = 1u << (in.take<uint8_t>() % 7);

    auto pool = PoolLayout::compute(packets, packets, buffer_size);
    auto rings = RingsLayout::compute(capacities);
    if (pool.is_error() || rings.is_error())
        __builtin_trap(); // the parameters above are always legal
    Region pool_memory = allocate(pool.value().total_size);
    Region rings_memory = allocate(rings.value().total_size);
    std::span<std::byte> pool_region(pool_memory.get(), pool.value().total_size);
    std::span<std::byte> rings_region(rings_memory.get(), rings.value().total_size);

    auto daemon_result =
        DaemonEndpoint::create(pool_region, pool.value(), rings_region, rings.value());
    auto driver_result =
        DriverEndpoint::attach(pool_region, pool.value(), rings_region, rings.value());
    if (daemon_result.is_error() || driver_result.is_error())
        __builtin_trap();
    DaemonEndpoint &daemon = daemon_result.value();
    DriverEndpoint &driver = driver_result.value();

    std::vector<uint32_t> ids(256);
    std::vector<RxFrame> frames(256);
    std::vector<TxFrame> tx(256);
    static constexpr RingId kDriverRings[] = {RingId::TxCompletion, RingId::RxCompletion,
                                              RingId::Free};
    static constexpr RingId kDaemonRings[] = {RingId::TxSubmission, RingId::RxSubmission,
                                              RingId::Allocation};
    // The daemon only ever writes headers/descriptors itself; the fuzzer may write anything but
    // the buffers (their contents are opaque to the daemon).
    size_t pool_writable = pool.value().buffer_offset;

    for (int steps = 0; !in.empty() && steps < 512; ++steps) {
        uint8_t op = in.take<uint8_t>() % kOpCount;
        switch (op) {
        case WriteRings:
        case WritePool: {
            std::span<std::byte> target =
                op == WriteRings ? rings_region : pool_region.first(pool_writable);
            size_t offset = in.take<uint16_t>() % target.size();
            auto bytes = in.bytes(in.take<uint8_t>());
            size_t count = std::min(bytes.size(), target.size() - offset);
            std::memcpy(target.data() + offset, bytes.data(), count);
            break;
        }
        case SetControl: {
            RingId ring = kAllRings[in.take<uint8_t>() % kRingCount];
            uint8_t field = in.take<uint8_t>() % 4;
            uint32_t value = in.take<uint32_t>();
            RingControl *control = rings.value().view(rings_region, ring).control;
            uint32_t *words[] = {&control->producer_index, &control->consumer_index,
                                 &control->consumer_wants_wakeup, &control->producer_wants_wakeup};
            *words[field] = value;
            break;
        }
        case DriverEnqueue: {
            RingId ring = kDriverRings[in.take<uint8_t>() % 3];
            uint32_t count = in.take<uint8_t>();
            for (uint32_t i = 0; i < count; ++i)
                ids[i] = in.take<uint32_t>();
            (void)driver.enqueue(ring, std::span(ids).first(count));
            break;
        }
        case DriverDequeue: {
            RingId ring = kDaemonRings[in.take<uint8_t>() % 3];
            (void)driver.dequeue(ring, std::span(ids).first(in.take<uint8_t>()));
            break;
        }
        case RestockRx:
            daemon.restock_rx(in.take<uint8_t>());
            break;
        case RestockAlloc:
            daemon.restock_allocation(in.take<uint8_t>());
            break;
        case SubmitTx: {
            uint32_t count = daemon.take_free(std::span(ids).first(in.take<uint8_t>()));
            uint32_t length = in.take<uint16_t>() % (buffer_size + 1);
            for (uint32_t i = 0; i < count; ++i) {
                std::span<std::byte> buffer = daemon.buffer(ids[i]);
                std::memset(buffer.data(), 0xee, length);
                tx[i] = TxFrame{ids[i], length, 0, 14};
            }
            uint32_t sent = daemon.submit_tx(std::span(tx).first(count));
            daemon.release(std::span(ids).subspan(sent, count - sent));
            break;
        }
        case ReapTx:
            daemon.reap_tx_completions(in.take<uint8_t>());
            break;
        case PollRx: {
            uint32_t count =
                daemon.poll_rx_completions(std::span(frames).first(in.take<uint8_t>()));
            for (uint32_t i = 0; i < count; ++i) {
                // Touch every byte the daemon would write to the TAP.
                std::span<const std::byte> bytes = daemon.frame_bytes(frames[i]);
                unsigned sum = 0;
                for (std::byte b : bytes)
                    sum += static_cast<unsigned>(b);
                if (sum == 0xffffffffu) // unreachable for frames <= 64 KiB; keeps the reads live
                    __builtin_trap();
                ids[i] = frames[i].packet;
            }
            daemon.release(std::span(ids).first(count));
            break;
        }
        case ReapFree:
            daemon.reap_free_ring(in.take<uint8_t>());
            break;
        case Sleep:
            if (daemon.prepare_to_sleep())
                daemon.finish_sleep();
            break;
        case Message: {
            size_t fd_count = in.take<uint8_t>() % (ipc::kMaxFdsPerMessage + 2);
            auto bytes = std::as_bytes(in.bytes(in.take<uint16_t>() % (ipc::kMaxMessageSize + 64)));
            auto parsed = ipc::parse_message(bytes, fd_count, ipc::example::kProtocol);
            if (!parsed.is_error()) {
                auto hello = ipc::decode<ipc::example::Hello>(parsed.value());
                auto ping = ipc::decode<ipc::example::Ping>(parsed.value());
                if (hello.is_error() == ping.is_error())
                    __builtin_trap(); // exactly one type matches a known message
            }
            break;
        }
        }
        check_invariants(daemon, pool.value());
    }
    check_invariants(daemon, pool.value());
}

} // namespace
} // namespace netdext::shm

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    netdext::shm::Input input(data, size);
    netdext::shm::run(input);
    return 0;
}
