// Fuzz target: everything netdextd reads from a dext — ring control words, ring entries, packet
// descriptors, control-channel datagrams — comes from the fuzzer, interleaved with the daemon's own
// operations. It must never crash, trip a sanitizer, or break the daemon's private invariants, and
// every operation that takes entries back from the driver is checked against an oracle: an
// independent model of validation.h's rules applied to the entries the daemon consumed (read back
// from the ring), which predicts each drop by reason, the frames accepted and the ownership after.
//
// Input format (all integers little-endian; a short read ends the input):
//   u8 packet_count-1 (mod 64),
//   u8 selector: buffer size (bits 0-1), packets without a buffer (bits 2-7, mod packet_count),
//   u8 x6 ring capacity log2 (mod 7),
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
//     RxOffloads    u8 bits                          set_rx_offloads(bit 0 checksum, bit 1 LRO)
//     TcpFrame      u8 packet, u16 payload, u8 variant  a TCP/IPv4 frame in a packet's buffer
//                   (variant bit 0: break its checksum, bit 1: IPv6 ethertype, bit 2: cut short)
//     SetOffload    u8 packet, u32 flags, u8 segments   a descriptor's offload claims
// shm/fuzz/make_seeds.py writes the seed corpus in this format.
#include <netdext/shm/driver_endpoint.h>
#include <netdext/shm/ipc/example_messages.h>
#include <netdext/shm/offload.h>

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
    RxOffloads,
    TcpFrame,
    SetOffload,
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

// The oracle. Before an operation it copies the daemon's ownership and drop counters; after it,
// it reads the entries the daemon consumed from the ring (the fuzzer is single-threaded, so they
// are what the daemon read) and applies the rules in order, independently of DaemonEndpoint:
//   1. index < packet_count, else index_out_of_range (ownership unchanged)
//   2. the driver holds it (DriverTx, DriverRx, DriverAllocated), else not_owned_by_driver
//   3. TX completion takes DriverTx, RX completion DriverRx or DriverAllocated, free any of the
//      three; else wrong_queue (and the packet is the daemon's again)
//   RX completion: 4. buffer_index == index  5. data_length != 0
//                  6. data_offset + data_length <= buffer_size; else the named drop (reclaimed)
//                  7. honoured offload claims (checksum-valid, LRO) on a frame they apply to,
//                     LRO with 1..255 segments of at most 64 KiB  else bad_offload_metadata
//                  8. the first honoured checksum-valid claim and one in 64 after it are
//                     verified                                    else rx_checksum_wrong
// Accepted: TX completion and free → DaemonFree; RX completion → DaemonHeld, a frame returned.
class Oracle {
public:
    Oracle(const PoolLayout &pool, std::span<std::byte> pool_region, const RingsLayout &rings,
           std::span<std::byte> rings_region)
        : m_pool(pool), m_pool_region(pool_region), m_rings(rings), m_rings_region(rings_region) {}

    // What the daemon was told to honour (set_rx_offloads), mirrored.
    void set_rx_offloads(bool checksum, bool lro) {
        m_checksum = checksum;
        m_lro = lro;
    }

    void before(const DaemonEndpoint &daemon) {
        m_owners.resize(m_pool.packet_count);
        for (uint32_t i = 0; i < m_pool.packet_count; ++i)
            m_owners[i] = daemon.ownership().state(i);
        m_drops = daemon.drops();
        m_consumed = daemon.counters(RingId::TxCompletion).packets;
        m_consumed_rx = daemon.counters(RingId::RxCompletion).packets;
        m_consumed_free = daemon.counters(RingId::Free).packets;
    }

    // After an operation on the driver-produced `ring` that returned `accepted` (and, for RX
    // completion, `frames`). Traps on any difference.
    void after(const DaemonEndpoint &daemon, RingId ring, uint32_t accepted,
               std::span<const RxFrame> frames = {}) {
        uint64_t start = ring == RingId::TxCompletion   ? m_consumed
                         : ring == RingId::RxCompletion ? m_consumed_rx
                                                        : m_consumed_free;
        uint64_t end = daemon.counters(ring).packets;
        RingView view = m_rings.view(m_rings_region, ring);
        DropCounters expected = m_drops;
        uint32_t expected_accepted = 0;
        for (uint64_t n = start; n < end; ++n) {
            uint32_t packet = view.entries[uint32_t(n) & (view.capacity - 1)];
            if (packet >= m_pool.packet_count) {
                ++expected.index_out_of_range;
                continue;
            }
            PacketState state = m_owners[packet];
            bool held = state == PacketState::DriverTx || state == PacketState::DriverRx ||
                        state == PacketState::DriverAllocated;
            if (!held) {
                ++expected.not_owned_by_driver;
                continue;
            }
            bool right_ring = ring == RingId::Free ||
                              (ring == RingId::TxCompletion && state == PacketState::DriverTx) ||
                              (ring == RingId::RxCompletion && state != PacketState::DriverTx);
            if (!right_ring) {
                ++expected.wrong_queue;
                m_owners[packet] = PacketState::DaemonFree;
                continue;
            }
            if (ring != RingId::RxCompletion) {
                m_owners[packet] = PacketState::DaemonFree;
                ++expected_accepted;
                continue;
            }
            PacketDescriptor d;
            std::memcpy(&d, m_pool_region.data() + m_pool.descriptor_offset_of(packet), sizeof d);
            uint64_t *drop = d.buffer_index != packet ? &expected.buffer_mismatch
                             : d.data_length == 0     ? &expected.zero_length_rx
                             : uint64_t{d.data_offset} + d.data_length > m_pool.buffer_size
                                 ? &expected.offset_length_out_of_bounds
                                 : nullptr;
            if (drop != nullptr) {
                ++*drop;
                m_owners[packet] = PacketState::DaemonFree;
                continue;
            }
            if (uint64_t *offload_drop = check_offload(d, packet, expected)) {
                ++*offload_drop;
                m_owners[packet] = PacketState::DaemonFree;
                continue;
            }
            m_owners[packet] = PacketState::DaemonHeld;
            if (expected_accepted >= frames.size() || frames[expected_accepted].packet != packet ||
                frames[expected_accepted].data_valid != m_expect_valid ||
                frames[expected_accepted].gso_type != m_expect_gso_type ||
                frames[expected_accepted].gso_size != m_expect_gso_size ||
                frames[expected_accepted].data_length != d.data_length ||
                frames[expected_accepted].data_offset != d.data_offset ||
                frames[expected_accepted].link_header_length != d.link_header_length)
                __builtin_trap(); // a frame differs from the one the rules accept
            ++expected_accepted;
        }
        const DropCounters &got = daemon.drops();
        if (accepted != expected_accepted ||
            got.index_out_of_range != expected.index_out_of_range ||
            got.not_owned_by_driver != expected.not_owned_by_driver ||
            got.wrong_queue != expected.wrong_queue ||
            got.buffer_mismatch != expected.buffer_mismatch ||
            got.zero_length_rx != expected.zero_length_rx ||
            got.offset_length_out_of_bounds != expected.offset_length_out_of_bounds ||
            got.bad_offload_metadata != expected.bad_offload_metadata ||
            got.rx_checksum_wrong != expected.rx_checksum_wrong)
            __builtin_trap(); // a drop counted under the wrong reason, or not at all
        for (uint32_t i = 0; i < m_pool.packet_count; ++i)
            if (daemon.ownership().state(i) != m_owners[i])
                __builtin_trap(); // the daemon's ownership differs from the rules'
    }

    // An operation that takes nothing back from the driver drops nothing.
    void after_no_returns(const DaemonEndpoint &daemon) const {
        if (daemon.drops().dropped() != m_drops.dropped())
            __builtin_trap();
    }

private:
    // Rules 7-8 for a frame that passed 4-6; the counter to bump, or nullptr (then m_expect_*
    // say what the accepted frame must carry).
    uint64_t *check_offload(const PacketDescriptor &d, uint32_t packet, DropCounters &expected) {
        m_expect_valid = false;
        m_expect_gso_type = 0;
        m_expect_gso_size = 0;
        const uint32_t flags = (m_checksum || m_lro) ? d.flags : 0;
        const bool valid = m_checksum && (flags & offload::kRxCsumDataValid);
        const uint32_t lro = m_lro ? (flags >> 28) & 3 : 0;
        if (!valid && lro == 0)
            return nullptr;
        std::span<const std::byte> frame =
            std::span<const std::byte>(m_pool_region)
                .subspan(m_pool.buffer_offset_of(packet) + d.data_offset, d.data_length);
        auto h = offload::parse_headers(frame);
        if (!h)
            return &expected.bad_offload_metadata;
        if (lro != 0) {
            const uint32_t payload = h->l4_length - h->l4_header_length;
            const uint8_t segments = m_lro ? d.lro_segments : 0;
            if (h->protocol != 6 || segments == 0 || payload == 0 || lro == 3 ||
                (lro == 2) != h->ipv6)
                return &expected.bad_offload_metadata;
            if (segments > 1) {
                m_expect_gso_type = h->ipv6 ? offload::kVnetGsoTcpV6 : offload::kVnetGsoTcpV4;
                m_expect_gso_size = uint16_t((payload + segments - 1) / segments);
            }
            m_expect_valid = valid;
            return nullptr;
        }
        if (m_countdown == 0) {
            m_countdown = DaemonEndpoint::kChecksumSampleInterval;
            if (!offload::l4_checksum_correct(frame, *h))
                return &expected.rx_checksum_wrong;
        }
        --m_countdown;
        m_expect_valid = true;
        return nullptr;
    }

    bool m_checksum = false, m_lro = false;
    uint32_t m_countdown = 0;
    bool m_expect_valid = false;
    uint8_t m_expect_gso_type = 0;
    uint16_t m_expect_gso_size = 0;
    PoolLayout m_pool;
    std::span<std::byte> m_pool_region;
    RingsLayout m_rings;
    std::span<std::byte> m_rings_region;
    std::vector<PacketState> m_owners;
    DropCounters m_drops;
    uint64_t m_consumed = 0, m_consumed_rx = 0, m_consumed_free = 0;
};

void run(Input &in) {
    uint32_t packets = 1 + in.take<uint8_t>() % 64;
    static constexpr uint32_t kSizes[] = {64, 100, 2048, 65536};
    uint8_t selector = in.take<uint8_t>();
    uint32_t buffer_size = kSizes[selector % 4];
    uint32_t buffers = packets - (selector >> 2) % packets;
    RingCapacities capacities;
    for (uint32_t &capacity : capacities)
        capacity = 1u << (in.take<uint8_t>() % 7);

    auto pool = PoolLayout::compute(packets, buffers, buffer_size);
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
    Oracle oracle(pool.value(), pool_region, rings.value(), rings_region);

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
        oracle.before(daemon);
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
            oracle.after_no_returns(daemon);
            break;
        case RestockAlloc:
            daemon.restock_allocation(in.take<uint8_t>());
            oracle.after_no_returns(daemon);
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
            oracle.after_no_returns(daemon);
            break;
        }
        case ReapTx:
            oracle.after(daemon, RingId::TxCompletion,
                         daemon.reap_tx_completions(in.take<uint8_t>()));
            break;
        case PollRx: {
            uint32_t count =
                daemon.poll_rx_completions(std::span(frames).first(in.take<uint8_t>()));
            oracle.after(daemon, RingId::RxCompletion, count, std::span(frames).first(count));
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
            oracle.after(daemon, RingId::Free, daemon.reap_free_ring(in.take<uint8_t>()));
            break;
        case Sleep:
            if (daemon.prepare_to_sleep())
                daemon.finish_sleep();
            break;
        case RxOffloads: {
            uint8_t bits = in.take<uint8_t>();
            daemon.set_rx_offloads(bits & 1, bits & 2);
            oracle.set_rx_offloads(bits & 1, bits & 2);
            break;
        }
        case TcpFrame: {
            // A plausible frame for the offload rules to look at (the buffers are the driver's).
            uint32_t packet = in.take<uint8_t>() % pool.value().packet_count;
            uint32_t payload = in.take<uint16_t>();
            uint8_t variant = in.take<uint8_t>();
            if (packet >= pool.value().usable_packet_count())
                break;
            std::byte *buffer = driver.buffer(packet);
            uint32_t length = std::min<uint32_t>(54 + payload, buffer_size);
            payload = length >= 54 ? length - 54 : 0;
            if (length < 54)
                break;
            std::vector<uint8_t> f(length, 0);
            f[12] = (variant & 2) ? 0x86 : 0x08;
            f[13] = (variant & 2) ? 0xdd : 0x00;
            f[14] = 0x45;
            uint32_t total = (variant & 4) ? 40 + payload + 1 : 40 + payload;
            f[16] = uint8_t(total >> 8);
            f[17] = uint8_t(total);
            f[23] = 6;
            f[46] = 5 << 4;
            for (uint32_t i = 0; i < payload; ++i)
                f[54 + i] = uint8_t(i);
            uint64_t sum = 6 + uint64_t(20 + payload);
            for (size_t i = 26; i < length; i += 2)
                sum += uint32_t(f[i]) << 8 | (i + 1 < length ? f[i + 1] : 0);
            while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
            uint16_t check = uint16_t(~sum) ^ ((variant & 1) ? 0x0101 : 0);
            f[50] = uint8_t(check >> 8);
            f[51] = uint8_t(check);
            std::memcpy(buffer, f.data(), length);
            PacketDescriptor &desc = driver.descriptor(packet);
            desc.data_offset = 0;
            desc.data_length = length;
            break;
        }
        case SetOffload: {
            uint32_t packet = in.take<uint8_t>() % pool.value().packet_count;
            PacketDescriptor &desc = driver.descriptor(packet);
            desc.flags = in.take<uint32_t>();
            desc.lro_segments = in.take<uint8_t>();
            break;
        }
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
