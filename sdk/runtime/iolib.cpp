/*
 * iolib.cpp — DriverKit IOLib: memory, delays, crc32, locks, Mach time and OSReportWithBacktrace.
 * (Logging and boot-args live in log.cpp and boot_args.cpp.)
 *
 * Memory: every IOMalloc / IOMallocAligned block carries a hidden 16-byte header just before the
 * pointer handed out, recording the requested size and which allocator made it. IOFree and
 * IOFreeAligned check it and abort, naming both sizes, when the caller's length is wrong —
 * DriverKit requires the length passed to IOFree to equal the allocation size.
 *
 * Locks: pthread-backed, with the owning thread recorded so that IOLockAssert and
 * IORecursiveLockHaveLock really check ownership, and misuse (unlocking a lock the caller does
 * not hold, re-locking a non-recursive lock, freeing a held lock) aborts with a message instead
 * of deadlocking or corrupting state.
 */
#include <DriverKit/IOLib.h>
#include <netdext/runtime.h>
#include <netdext/time_source.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <execinfo.h>
#include <new>
#include <pthread.h>
#include <unistd.h>

namespace {

/* Writes "<identity>: <message>" to standard error in one write() and aborts. Deliberately
 * avoids the log sink and the heap: it runs when memory or lock state is already broken. */
[[noreturn]] __attribute__((format(printf, 1, 2))) void abort_with(const char *format, ...) {
    char message[768];
    va_list ap;
    va_start(ap, format);
    vsnprintf(message, sizeof message, format, ap);
    va_end(ap);
    char line[1024];
    int n = snprintf(line, sizeof line, "%s: %s\n", netdext::log_identity().c_str(), message);
    if (n > 0) {
        size_t len =
            static_cast<size_t>(n) < sizeof line ? static_cast<size_t>(n) : sizeof line - 1;
        ssize_t ignored = write(STDERR_FILENO, line, len);
        (void)ignored;
    }
    abort();
}

/* ---- memory ---- */

constexpr uint32_t kMallocMagic = 0x494f4d41;  // 'IOMA': from IOMalloc / IOMallocZero
constexpr uint32_t kAlignedMagic = 0x494f414c; // 'IOAL': from IOMallocAligned
constexpr uint32_t kFreedMagic = 0x46524545;   // 'FREE': already given back

/* Sits immediately before every pointer we hand out; 16 bytes so IOMalloc keeps malloc's
 * 16-byte alignment. */
struct AllocHeader {
    uint64_t m_size;   // the length the caller asked for
    uint32_t m_offset; // distance from the start of the underlying malloc block to the pointer
    uint32_t m_magic;
};
static_assert(sizeof(AllocHeader) == 16, "the header must preserve 16-byte alignment");
constexpr size_t kHeaderSize = sizeof(AllocHeader);

AllocHeader *header_of(void *address) {
    return reinterpret_cast<AllocHeader *>(static_cast<char *>(address) - kHeaderSize);
}

/*
 * Reads the header of a pointer that may not be ours (e.g. straight from malloc, or already
 * freed). Exempt from ASan so that such misuse gets our message rather than a redzone report.
 */
__attribute__((no_sanitize("address"))) AllocHeader peek_header(void *address) {
    const volatile unsigned char *src = static_cast<const unsigned char *>(address) - kHeaderSize;
    unsigned char bytes[kHeaderSize];
    for (size_t i = 0; i < kHeaderSize; ++i)
        bytes[i] = src[i];
    AllocHeader header;
    std::memcpy(&header, bytes, sizeof header);
    return header;
}

void *finish_allocation(void *block, size_t offset, size_t length, uint32_t magic) {
    if (block == nullptr)
        return nullptr;
    void *address = static_cast<char *>(block) + offset;
    AllocHeader *header = header_of(address);
    header->m_size = length;
    header->m_offset = static_cast<uint32_t>(offset);
    header->m_magic = magic;
    return address;
}

void *allocate(size_t length, bool zero) {
    size_t total;
    if (__builtin_add_overflow(length, kHeaderSize, &total))
        return nullptr;
    void *block = zero ? calloc(1, total) : malloc(total);
    return finish_allocation(block, kHeaderSize, length, kMallocMagic);
}

/* Checks a pointer handed to IOFree / IOFreeAligned and returns its header, or aborts. */
AllocHeader *checked_header(const char *caller, void *address, size_t length, uint32_t magic) {
    AllocHeader header = peek_header(address);
    if (header.m_magic != magic) {
        if (header.m_magic == kMallocMagic)
            abort_with("%s(%p, %zu): pointer was allocated by IOMalloc; free it with IOFree",
                       caller, address, length);
        if (header.m_magic == kAlignedMagic)
            abort_with("%s(%p, %zu): pointer was allocated by IOMallocAligned; free it with "
                       "IOFreeAligned",
                       caller, address, length);
        abort_with("%s(%p, %zu): pointer was not allocated by %s, or was already freed", caller,
                   address, length, magic == kMallocMagic ? "IOMalloc" : "IOMallocAligned");
    }
    if (header.m_size != length)
        abort_with("%s(%p, %zu): length %zu does not match the allocation size %llu", caller,
                   address, length, length, static_cast<unsigned long long>(header.m_size));
    return header_of(address);
}

void release(const char *caller, void *address, size_t length, uint32_t magic) {
    if (address == nullptr)
        return;
    AllocHeader *header = checked_header(caller, address, length, magic);
    header->m_magic = kFreedMagic;
    free(static_cast<char *>(address) - header->m_offset);
}

/* ---- delays ---- */

/* Sleeps `ns` on CLOCK_MONOTONIC against an absolute deadline, so signals do not shorten or
 * stretch it. Saturates instead of overflowing for absurd durations. */
void sleep_ns(uint64_t ns) {
    struct timespec deadline {};
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    constexpr uint64_t kMaxSeconds = 1ull << 40; // ~35000 years: "forever"
    uint64_t seconds = ns / 1000000000ull;
    if (seconds > kMaxSeconds)
        seconds = kMaxSeconds;
    deadline.tv_sec += static_cast<time_t>(seconds);
    deadline.tv_nsec += static_cast<long>(ns % 1000000000ull);
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_nsec -= 1000000000L;
        deadline.tv_sec += 1;
    }
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nullptr) == EINTR) {
    }
}

uint64_t saturating_mul(uint64_t a, uint64_t b) {
    uint64_t result;
    return __builtin_mul_overflow(a, b, &result) ? UINT64_MAX : result;
}

/* ---- crc32 ---- */

/* The reflected CRC-32 polynomial used by zlib, Ethernet and PNG. */
constexpr uint32_t kCrc32Polynomial = 0xEDB88320u;

constexpr std::array<uint32_t, 256> make_crc32_table() {
    std::array<uint32_t, 256> table{};
    for (uint32_t byte = 0; byte < 256; ++byte) {
        uint32_t crc = byte;
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc & 1u) ? (crc >> 1) ^ kCrc32Polynomial : crc >> 1;
        table[byte] = crc;
    }
    return table;
}
constexpr std::array<uint32_t, 256> kCrc32Table = make_crc32_table();
static_assert(kCrc32Table[1] == 0x77073096u, "CRC-32 table is wrong");

/* ---- locks ---- */

pid_t current_tid() {
    thread_local pid_t tid = 0;
    if (tid == 0)
        tid = gettid();
    return tid;
}

void check_pthread(int rc, const char *what, const void *lock) {
    if (rc != 0)
        abort_with("%s(%p): %s", what, lock, strerror(rc));
}

} // namespace

struct IOLock {
    pthread_mutex_t m_mutex;
    std::atomic<pid_t> m_owner{0}; // thread id of the holder, 0 when free
};

struct IORecursiveLock {
    pthread_mutex_t m_mutex;
    std::atomic<pid_t> m_owner{0};
    uint32_t m_depth = 0; // touched only by the owner
};

struct IORWLock {
    pthread_rwlock_t m_rwlock;
};

extern "C" {

uint64_t IOVMPageSize = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));

/* ---- memory ---- */

void *IOMalloc(size_t length) {
    return allocate(length, false);
}

void *IOMallocZero(size_t length) {
    return allocate(length, true);
}

void IOFree(void *address, size_t length) {
    release("IOFree", address, length, kMallocMagic);
}

void *IOMallocTyped(size_t length, malloc_type_id_t) {
    return allocate(length, false);
}

void *IOMallocZeroTyped(size_t length, malloc_type_id_t) {
    return allocate(length, true);
}

/* netdext: alignment must be a power of two (0 means 1) and below 2 GiB, else NULL. */
void *IOMallocAligned(size_t length, size_t alignment) {
    if (alignment == 0)
        alignment = 1;
    if ((alignment & (alignment - 1)) != 0 || alignment > (size_t{1} << 31))
        return nullptr;
    // The header sits in the `offset` bytes before the pointer; offset keeps the alignment.
    size_t offset = alignment < kHeaderSize ? kHeaderSize : alignment;
    size_t total;
    if (__builtin_add_overflow(length, offset, &total))
        return nullptr;
    void *block = nullptr;
    if (posix_memalign(&block, offset, total) != 0)
        return nullptr;
    return finish_allocation(block, offset, length, kAlignedMagic);
}

void IOFreeAligned(void *address, size_t length) {
    release("IOFreeAligned", address, length, kAlignedMagic);
}

void *netdext_IOMallocArray(size_t elementSize, size_t count, bool zero) {
    size_t total;
    if (__builtin_mul_overflow(elementSize, count, &total))
        return nullptr;
    return allocate(total, zero);
}

void netdext_IOFreeArray(void *address, size_t elementSize, size_t count) {
    if (address == nullptr)
        return;
    size_t total;
    if (__builtin_mul_overflow(elementSize, count, &total))
        abort_with("IODelete(%p): %zu elements of %zu bytes overflow, cannot match any allocation",
                   address, count, elementSize);
    release("IODelete", address, total, kMallocMagic);
}

/* ---- delays, barriers, checksums ---- */

void IOSleep(uint64_t ms) {
    sleep_ns(saturating_mul(ms, 1000000ull));
}

/* DriverKit spins here; netdext sleeps, which is indistinguishable to a user-space driver. */
void IODelay(uint64_t us) {
    sleep_ns(saturating_mul(us, 1000ull));
}

void OSSynchronizeIO(void) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
}

/* zlib-compatible: crc32(crc32(0, a, n), b, m) == crc32(0, a ++ b, n + m). */
uint32_t crc32(uint32_t crc, const void *buf, size_t size) {
    if (buf == nullptr)
        return crc;
    const unsigned char *p = static_cast<const unsigned char *>(buf);
    crc = ~crc;
    for (size_t i = 0; i < size; ++i)
        crc = kCrc32Table[(crc ^ p[i]) & 0xffu] ^ (crc >> 8);
    return ~crc;
}

/* ---- IOLock ---- */

IOLock *IOLockAlloc(void) {
    IOLock *lock = new (std::nothrow) IOLock;
    if (lock == nullptr)
        return nullptr;
    if (pthread_mutex_init(&lock->m_mutex, nullptr) != 0) {
        delete lock;
        return nullptr;
    }
    return lock;
}

void IOLockFree(IOLock *lock) {
    if (lock == nullptr)
        return;
    if (lock->m_owner.load(std::memory_order_relaxed) != 0)
        abort_with("IOLockFree(%p): the lock is held", static_cast<void *>(lock));
    pthread_mutex_destroy(&lock->m_mutex);
    delete lock;
}

void IOLockLock(IOLock *lock) {
    pid_t self = current_tid();
    if (lock->m_owner.load(std::memory_order_relaxed) == self)
        abort_with("IOLockLock(%p): already held by this thread (IOLock is not recursive)",
                   static_cast<void *>(lock));
    check_pthread(pthread_mutex_lock(&lock->m_mutex), "IOLockLock", lock);
    lock->m_owner.store(self, std::memory_order_relaxed);
}

bool IOLockTryLock(IOLock *lock) {
    pid_t self = current_tid();
    if (lock->m_owner.load(std::memory_order_relaxed) == self)
        return false;
    if (pthread_mutex_trylock(&lock->m_mutex) != 0)
        return false;
    lock->m_owner.store(self, std::memory_order_relaxed);
    return true;
}

void IOLockUnlock(IOLock *lock) {
    if (lock->m_owner.load(std::memory_order_relaxed) != current_tid())
        abort_with("IOLockUnlock(%p): the lock is not held by this thread",
                   static_cast<void *>(lock));
    lock->m_owner.store(0, std::memory_order_relaxed);
    check_pthread(pthread_mutex_unlock(&lock->m_mutex), "IOLockUnlock", lock);
}

void IOLockAssert(IOLock *lock, IOLockAssertState type) {
    // Only the calling thread can make m_owner equal its own id, so a relaxed load is exact.
    bool owned = lock->m_owner.load(std::memory_order_relaxed) == current_tid();
    switch (type) {
    case kIOLockAssertOwned:
        if (!owned)
            abort_with("IOLockAssert(%p, kIOLockAssertOwned): the lock is not held by this thread",
                       static_cast<void *>(lock));
        break;
    case kIOLockAssertNotOwned:
        if (owned)
            abort_with("IOLockAssert(%p, kIOLockAssertNotOwned): the lock is held by this thread",
                       static_cast<void *>(lock));
        break;
    default:
        abort_with("IOLockAssert(%p, %d): unknown assertion", static_cast<void *>(lock),
                   static_cast<int>(type));
    }
}

/* ---- IORecursiveLock ---- */

IORecursiveLock *IORecursiveLockAlloc(void) {
    IORecursiveLock *lock = new (std::nothrow) IORecursiveLock;
    if (lock == nullptr)
        return nullptr;
    if (pthread_mutex_init(&lock->m_mutex, nullptr) != 0) {
        delete lock;
        return nullptr;
    }
    return lock;
}

void IORecursiveLockFree(IORecursiveLock *lock) {
    if (lock == nullptr)
        return;
    if (lock->m_owner.load(std::memory_order_relaxed) != 0)
        abort_with("IORecursiveLockFree(%p): the lock is held", static_cast<void *>(lock));
    pthread_mutex_destroy(&lock->m_mutex);
    delete lock;
}

void IORecursiveLockLock(IORecursiveLock *lock) {
    pid_t self = current_tid();
    if (lock->m_owner.load(std::memory_order_relaxed) == self) {
        ++lock->m_depth;
        return;
    }
    check_pthread(pthread_mutex_lock(&lock->m_mutex), "IORecursiveLockLock", lock);
    lock->m_owner.store(self, std::memory_order_relaxed);
    lock->m_depth = 1;
}

bool IORecursiveLockTryLock(IORecursiveLock *lock) {
    pid_t self = current_tid();
    if (lock->m_owner.load(std::memory_order_relaxed) == self) {
        ++lock->m_depth;
        return true;
    }
    if (pthread_mutex_trylock(&lock->m_mutex) != 0)
        return false;
    lock->m_owner.store(self, std::memory_order_relaxed);
    lock->m_depth = 1;
    return true;
}

void IORecursiveLockUnlock(IORecursiveLock *lock) {
    if (lock->m_owner.load(std::memory_order_relaxed) != current_tid())
        abort_with("IORecursiveLockUnlock(%p): the lock is not held by this thread",
                   static_cast<void *>(lock));
    if (--lock->m_depth > 0)
        return;
    lock->m_owner.store(0, std::memory_order_relaxed);
    check_pthread(pthread_mutex_unlock(&lock->m_mutex), "IORecursiveLockUnlock", lock);
}

bool IORecursiveLockHaveLock(const IORecursiveLock *lock) {
    return lock->m_owner.load(std::memory_order_relaxed) == current_tid();
}

/* ---- IORWLock ---- */

IORWLock *IORWLockAlloc(void) {
    IORWLock *lock = new (std::nothrow) IORWLock;
    if (lock == nullptr)
        return nullptr;
    if (pthread_rwlock_init(&lock->m_rwlock, nullptr) != 0) {
        delete lock;
        return nullptr;
    }
    return lock;
}

void IORWLockFree(IORWLock *lock) {
    if (lock == nullptr)
        return;
    check_pthread(pthread_rwlock_destroy(&lock->m_rwlock), "IORWLockFree", lock);
    delete lock;
}

void IORWLockRead(IORWLock *lock) {
    check_pthread(pthread_rwlock_rdlock(&lock->m_rwlock), "IORWLockRead", lock);
}

void IORWLockWrite(IORWLock *lock) {
    check_pthread(pthread_rwlock_wrlock(&lock->m_rwlock), "IORWLockWrite", lock);
}

void IORWLockUnlock(IORWLock *lock) {
    check_pthread(pthread_rwlock_unlock(&lock->m_rwlock), "IORWLockUnlock", lock);
}

/* ---- Mach time: one tick is one nanosecond ---- */

kern_return_t mach_timebase_info(mach_timebase_info_t info) {
    if (info == nullptr)
        return kIOReturnBadArgument;
    info->numer = 1;
    info->denom = 1;
    return KERN_SUCCESS;
}

/* Darwin: stops while asleep, like CLOCK_UPTIME_RAW. */
uint64_t mach_absolute_time(void) {
    return netdext::time_source().now_ns(netdext::ClockDomain::uptime);
}

/* Darwin: keeps counting through sleep, like CLOCK_MONOTONIC_RAW. */
uint64_t mach_continuous_time(void) {
    return netdext::time_source().now_ns(netdext::ClockDomain::monotonic);
}

/* ---- diagnostics ---- */

/* Logs the message through IOLog (same formatting and %n refusal), then the caller's stack,
 * one frame a line. */
void OSReportWithBacktrace(const char *str, ...) {
    if (str != nullptr) {
        va_list ap;
        va_start(ap, str);
        IOLogv(str, ap);
        va_end(ap);
    }

    void *frames[64];
    int count = backtrace(frames, 64);
    char **symbols = backtrace_symbols(frames, count);
    // Frame 0 is this function; start with its caller.
    for (int i = 1; i < count; ++i) {
        if (symbols != nullptr)
            netdext::log_linef(netdext::LogLevel::notice, "  #%d %s", i - 1, symbols[i]);
        else
            netdext::log_linef(netdext::LogLevel::notice, "  #%d %p", i - 1, frames[i]);
    }
    free(symbols);
}

} // extern "C"
