// Ring throughput: the daemon <-> driver shared-memory path against a plain in-process SPSC ring,
// both measured in the same run (DESIGN §9: figures are ratios against a reference).
//
// Both benchmarks circulate packet indices between two threads through two rings, busy-polling:
//   main thread ("daemon")  : take up to B completed packets, then give them back for reuse
//   partner     ("driver")  : take up to B submitted packets, hand them straight back
// (a) ShmPath   — netdext_shm: RX submission/completion rings in a sealed memfd mapped twice,
//                 DaemonEndpoint::poll_rx_completions (untrusted ring read, ownership and
//                 descriptor validation, one read of each descriptor), release + restock_rx on the
//                 daemon side; DriverEndpoint::dequeue/enqueue plus a data_length write per packet
//                 on the driver side. Everything but the TAP.
// (b) PlainSpsc — two textbook SPSC rings (std::atomic head/tail, cached indices, release/acquire),
//                 no descriptors, no validation: the floor for moving indices between two threads.
// Packets/s is the main thread's rate (items_per_second). After the run a table prints (a), (b)
// and (a)/(b) per batch size.
#include <netdext/shm/driver_endpoint.h>
#include <netdext/shm/shared_region.h>

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace netdext::shm;

constexpr uint32_t kPackets = 1024;
constexpr uint32_t kRingCapacity = 1024;
constexpr uint32_t kInFlight = 512; // packets circulating (the rest stay on the daemon's free list)
constexpr uint32_t kBufferSize = 2048;
constexpr uint32_t kFrameLength = 60;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

template <class T> T must(Result<T> result) {
    if (result.is_error()) {
        std::fprintf(stderr, "ring_bench: %s\n", result.error().describe().c_str());
        std::exit(1);
    }
    return result.release_value();
}

// ---- (a) the shared-memory path ----------------------------------------------------------------

struct ShmPlumbing {
    ShmPlumbing() {
        pool = must(PoolLayout::compute(kPackets, kPackets, kBufferSize));
        RingCapacities capacities;
        capacities.fill(kRingCapacity);
        rings = must(RingsLayout::compute(capacities));
        daemon_pool.emplace(must(SharedRegion::create("bench-pool", pool.total_size)));
        daemon_rings.emplace(must(SharedRegion::create("bench-rings", rings.total_size)));
        daemon.emplace(
            must(DaemonEndpoint::create(daemon_pool->bytes(), pool, daemon_rings->bytes(), rings)));
        host_pool.emplace(
            must(SharedRegion::attach(must(daemon_pool->memfd().duplicate()), pool.total_size)));
        host_rings.emplace(
            must(SharedRegion::attach(must(daemon_rings->memfd().duplicate()), rings.total_size)));
        driver.emplace(
            must(DriverEndpoint::attach(host_pool->bytes(), pool, host_rings->bytes(), rings)));
    }
    PoolLayout pool;
    RingsLayout rings;
    std::optional<SharedRegion> daemon_pool, daemon_rings, host_pool, host_rings;
    std::optional<DaemonEndpoint> daemon;
    std::optional<DriverEndpoint> driver;
};

void ShmPath(benchmark::State &state) {
    const uint32_t batch = static_cast<uint32_t>(state.range(0));
    ShmPlumbing p;
    std::atomic<bool> stop{false};

    std::thread driver_thread([&] {
        DriverEndpoint &driver = *p.driver;
        std::vector<uint32_t> ids(batch);
        while (!stop.load(std::memory_order_relaxed)) {
            uint32_t n = driver.dequeue(RingId::RxSubmission, ids);
            if (n == 0) {
                cpu_relax();
                continue;
            }
            for (uint32_t i = 0; i < n; ++i) {
                PacketDescriptor &descriptor = driver.descriptor(ids[i]);
                descriptor.data_offset = 0;
                descriptor.data_length = kFrameLength;
            }
            // Completion rings are as large as the pool, so the whole batch always fits.
            if (driver.enqueue(RingId::RxCompletion, std::span(ids).first(n)) != n)
                std::abort();
        }
    });

    DaemonEndpoint &daemon = *p.daemon;
    std::vector<RxFrame> frames(batch);
    std::vector<uint32_t> ids(batch);
    uint64_t packets = 0;
    daemon.restock_rx(kInFlight);
    for (auto _ : state) {
        uint32_t n;
        while ((n = daemon.poll_rx_completions(frames)) == 0)
            cpu_relax();
        for (uint32_t i = 0; i < n; ++i)
            ids[i] = frames[i].packet; // the frame mover would write frame_bytes() to the TAP here
        daemon.release(std::span(ids).first(n));
        daemon.restock_rx(kInFlight);
        packets += n;
    }
    stop = true;
    driver_thread.join();

    state.SetItemsProcessed(static_cast<int64_t>(packets));
    state.counters["batch_avg"] =
        benchmark::Counter(static_cast<double>(packets), benchmark::Counter::kAvgIterations);
    state.counters["drops"] = static_cast<double>(daemon.drops().dropped());
    state.counters["doorbells"] =
        static_cast<double>(daemon.doorbells_rung(RingId::RxSubmission) +
                            p.driver->doorbells_rung(RingId::RxCompletion));
    if (daemon.faulted() || daemon.drops().dropped() != 0)
        state.SkipWithError("the shm path dropped packets");
}

// ---- (b) the reference: a plain in-process SPSC ring -------------------------------------------

class PlainSpscRing {
public:
    explicit PlainSpscRing(uint32_t capacity) : m_slots(capacity), m_mask(capacity - 1) {}

    uint32_t push(std::span<const uint32_t> values) { // producer thread only
        uint32_t capacity = m_mask + 1;
        uint32_t want = static_cast<uint32_t>(values.size());
        if (capacity - (m_head - m_cached_tail) < want)
            m_cached_tail = m_tail.load(std::memory_order_acquire);
        uint32_t n = std::min(want, capacity - (m_head - m_cached_tail));
        for (uint32_t i = 0; i < n; ++i)
            m_slots[(m_head + i) & m_mask] = values[i];
        m_head += n;
        m_published_head.store(m_head, std::memory_order_release);
        return n;
    }
    uint32_t pop(std::span<uint32_t> out) { // consumer thread only
        uint32_t want = static_cast<uint32_t>(out.size());
        if (m_cached_head - m_tail_local < want)
            m_cached_head = m_published_head.load(std::memory_order_acquire);
        uint32_t n = std::min(want, m_cached_head - m_tail_local);
        for (uint32_t i = 0; i < n; ++i)
            out[i] = m_slots[(m_tail_local + i) & m_mask];
        m_tail_local += n;
        m_tail.store(m_tail_local, std::memory_order_release);
        return n;
    }

private:
    std::vector<uint32_t> m_slots;
    uint32_t m_mask;
    alignas(64) std::atomic<uint32_t> m_published_head{0};
    alignas(64) std::atomic<uint32_t> m_tail{0};
    alignas(64) uint32_t m_head = 0; // producer-private
    uint32_t m_cached_tail = 0;
    alignas(64) uint32_t m_tail_local = 0; // consumer-private
    uint32_t m_cached_head = 0;
};

void PlainSpsc(benchmark::State &state) {
    const uint32_t batch = static_cast<uint32_t>(state.range(0));
    PlainSpscRing submission(kRingCapacity), completion(kRingCapacity);
    std::atomic<bool> stop{false};
    {
        std::vector<uint32_t> initial(kInFlight);
        for (uint32_t i = 0; i < kInFlight; ++i)
            initial[i] = i;
        submission.push(initial);
    }
    std::thread partner([&] {
        std::vector<uint32_t> ids(batch);
        while (!stop.load(std::memory_order_relaxed)) {
            uint32_t n = submission.pop(ids);
            if (n == 0) {
                cpu_relax();
                continue;
            }
            if (completion.push(std::span(ids).first(n)) != n)
                std::abort();
        }
    });
    std::vector<uint32_t> ids(batch);
    uint64_t packets = 0;
    for (auto _ : state) {
        uint32_t n;
        while ((n = completion.pop(ids)) == 0)
            cpu_relax();
        if (submission.push(std::span(ids).first(n)) != n)
            std::abort();
        packets += n;
    }
    stop = true;
    partner.join();
    state.SetItemsProcessed(static_cast<int64_t>(packets));
    state.counters["batch_avg"] =
        benchmark::Counter(static_cast<double>(packets), benchmark::Counter::kAvgIterations);
}

constexpr int kBatches[] = {1, 8, 32};

// (a) and (b) alternate per batch size, so the two halves of each ratio are measured close
// together; each is repeated and the ratio uses the medians.
void register_benchmarks() {
    for (int batch : kBatches) {
        benchmark::RegisterBenchmark("ShmPath", ShmPath)->Arg(batch)->UseRealTime();
        benchmark::RegisterBenchmark("PlainSpsc", PlainSpsc)->Arg(batch)->UseRealTime();
    }
}

// Remembers items_per_second per benchmark (the median when repeated) for the ratio table.
class RatioReporter : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run> &runs) override {
        for (const Run &run : runs) {
            auto rate = run.counters.find("items_per_second");
            if (run.error_occurred || rate == run.counters.end())
                continue;
            bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
            std::string key = run.run_name.str();
            if (median || (run.run_type == Run::RT_Iteration && !m_medians.count(key)))
                m_rates[key] = rate->second.value;
            if (median)
                m_medians.insert(key);
        }
        ConsoleReporter::ReportRuns(runs);
    }
    void print_ratios() const {
        std::printf("\n%-6s %16s %16s %10s\n", "batch", "shm path pps", "plain spsc pps", "ratio");
        for (int batch : kBatches) {
            auto shm = find("ShmPath/" + std::to_string(batch));
            auto plain = find("PlainSpsc/" + std::to_string(batch));
            if (!shm || !plain)
                continue;
            std::printf("%-6d %16.0f %16.0f %10.3f\n", batch, *shm, *plain, *shm / *plain);
        }
    }

private:
    std::optional<double> find(const std::string &prefix) const {
        for (const auto &[name, rate] : m_rates)
            if (name.rfind(prefix, 0) == 0 &&
                (name.size() == prefix.size() || name[prefix.size()] == '/'))
                return rate;
        return std::nullopt;
    }
    std::map<std::string, double> m_rates;
    std::set<std::string> m_medians;
};

} // namespace

int main(int argc, char **argv) {
    // Defaults that make the figures usable on a shared machine; the command line overrides them.
    std::vector<char *> args(argv, argv + argc);
    std::string repetitions = "--benchmark_repetitions=3";
    std::string min_time = "--benchmark_min_time=0.5";
    args.insert(args.begin() + 1, {repetitions.data(), min_time.data()});
    argc = static_cast<int>(args.size());
    argv = args.data();
    register_benchmarks();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    RatioReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    reporter.print_ratios();
    benchmark::Shutdown();
    return 0;
}
