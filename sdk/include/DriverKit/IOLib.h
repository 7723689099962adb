/*
 * DriverKit/IOLib.h — memory, logging, delays, boot-args, locks and time for drivers.
 *
 * netdext notes:
 *  - IOMalloc/IOMallocZero/IOFree: IOFree checks that `length` equals the allocation size and
 *    aborts with a message naming both sizes if not (a DriverKit contract that macOS enforces too).
 *  - IOParseBootArgNumber/String read the dext's boot-args (netdext::set_boot_args, set by the
 *    daemon from `netdextctl boot-args`, or NETDEXT_BOOT_ARGS) — not the kernel command line.
 *  - Time: CLOCK_UPTIME_RAW and friends are Darwin clock IDs; see netdext/darwin_time.h.
 */
#ifndef _DRIVERKIT_IOLIB_H
#define _DRIVERKIT_IOLIB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <DriverKit/IOReturn.h>
#include <DriverKit/IOTypes.h>
#include <DriverKit/DriverKit_availability.h>
#include <libkern/OSByteOrder.h>
#include <netdext/darwin_time.h>
#include <netdext/format_check.h>
/* Drivers call os_log with only DriverKit headers included (tinygrad's TinyGPU dext includes
 * IOLib.h, PCIDriverKit.h and its generated headers), so a DriverKit header brings <os/log.h>;
 * which one is inferred, not confirmed. */
#include <os/log.h>

#ifdef __cplusplus
extern "C" {
#endif

void *IOMalloc(size_t length);
void *IOMallocZero(size_t length);
void IOFree(void *address, size_t length);
/* DriverKit 23.4+: typed allocation (the compiler passes a type descriptor). netdext has one
 * heap: these are IOMalloc / IOMallocZero, and the memory is freed with IOFree. */
#ifndef _MALLOC_TYPE_ID_T
#define _MALLOC_TYPE_ID_T
typedef unsigned long long malloc_type_id_t;
#endif
void *IOMallocTyped(size_t length, malloc_type_id_t type_id);
void *IOMallocZeroTyped(size_t length, malloc_type_id_t type_id);
void *IOMallocAligned(size_t length, size_t alignment);
void IOFreeAligned(void *address, size_t length);
/* netdext: overflow-checked n*size allocation behind IONew/IONewZero (NULL on overflow). */
void *netdext_IOMallocArray(size_t elementSize, size_t count, bool zero);
void netdext_IOFreeArray(void *address, size_t elementSize, size_t count);

/* Formats follow Darwin's rules (%llu for uint64_t, …): under Clang they are checked as on
 * macOS by the C++ overload below (netdext/format_check.h), not by the printf attribute. */
int IOLog(const char *format, ...) NETDEXT_CHECK_FORMAT_NO_ARGS(format);
int IOLogv(const char *format, va_list ap);
void IOLogBuffer(const char *title, const void *buffer, size_t size);
void OSReportWithBacktrace(const char *str, ...);
/* netdext: IOLog under another name, for the checked overload to call. */
int netdext_IOLog(const char *format, ...);

void IOSleep(uint64_t ms);
void IODelay(uint64_t us);

bool IOParseBootArgNumber(const char *arg_string, void *arg_ptr, int max_len);
bool IOParseBootArgString(const char *arg_string, char *arg_ptr, int strlen);

void OSSynchronizeIO(void);
uint32_t crc32(uint32_t crc, const void *buf, size_t size);

extern uint64_t IOVMPageSize;

/* Locks (pthread-backed). */
typedef struct IOLock IOLock;
typedef struct IORecursiveLock IORecursiveLock;
typedef struct IORWLock IORWLock;
typedef enum { kIOLockAssertOwned = 1, kIOLockAssertNotOwned = 2 } IOLockAssertState;

IOLock *IOLockAlloc(void);
void IOLockFree(IOLock *lock);
void IOLockLock(IOLock *lock);
bool IOLockTryLock(IOLock *lock);
void IOLockUnlock(IOLock *lock);
void IOLockAssert(IOLock *lock, IOLockAssertState type);

IORecursiveLock *IORecursiveLockAlloc(void);
void IORecursiveLockFree(IORecursiveLock *lock);
void IORecursiveLockLock(IORecursiveLock *lock);
bool IORecursiveLockTryLock(IORecursiveLock *lock);
void IORecursiveLockUnlock(IORecursiveLock *lock);
bool IORecursiveLockHaveLock(const IORecursiveLock *lock);

IORWLock *IORWLockAlloc(void);
void IORWLockFree(IORWLock *lock);
void IORWLockRead(IORWLock *lock);
void IORWLockWrite(IORWLock *lock);
void IORWLockUnlock(IORWLock *lock);

kern_return_t mach_timebase_info(mach_timebase_info_t info);
uint64_t mach_absolute_time(void);
uint64_t mach_continuous_time(void);

#ifdef __cplusplus
}
#endif

#if defined(__cplusplus) && defined(__clang__)
/* IOLog with its format checked against its arguments by Darwin's rules (format_check.h). */
template <class... Args>
inline int IOLog(const char *format, Args... args) NETDEXT_CHECK_FORMAT(format, Args) {
    return netdext_IOLog(format, args...);
}
#endif

#define IONew(type, count) ((type *)netdext_IOMallocArray(sizeof(type), (size_t)(count), false))
#define IONewZero(type, count) ((type *)netdext_IOMallocArray(sizeof(type), (size_t)(count), true))
#define IODelete(ptr, type, count) netdext_IOFreeArray((ptr), sizeof(type), (size_t)(count))
#define IOSafeDeleteNULL(ptr, type, count)                                                       \
    do {                                                                                         \
        if (NULL != (ptr)) {                                                                     \
            IODelete((ptr), type, count);                                                        \
            (ptr) = NULL;                                                                        \
        }                                                                                        \
    } while (0)

#define IOLockFreeZero(lock)                                                                     \
    do {                                                                                         \
        IOLockFree(lock);                                                                        \
        (lock) = NULL;                                                                           \
    } while (0)
#define IORecursiveLockFreeZero(lock)                                                            \
    do {                                                                                         \
        IORecursiveLockFree(lock);                                                               \
        (lock) = NULL;                                                                           \
    } while (0)
#define IORWLockFreeZero(lock)                                                                   \
    do {                                                                                         \
        IORWLockFree(lock);                                                                      \
        (lock) = NULL;                                                                           \
    } while (0)

enum {
    kNanosecondScale = 1,
    kMicrosecondScale = 1000,
    kMillisecondScale = 1000 * 1000,
    kSecondScale = 1000 * 1000 * 1000,
    kTickScale = (kSecondScale / 100),
};

#ifndef NSEC_PER_SEC
#define NSEC_PER_SEC 1000000000ull
#endif
#ifndef NSEC_PER_MSEC
#define NSEC_PER_MSEC 1000000ull
#endif
#ifndef NSEC_PER_USEC
#define NSEC_PER_USEC 1000ull
#endif
#ifndef USEC_PER_SEC
#define USEC_PER_SEC 1000000ull
#endif

#endif /* _DRIVERKIT_IOLIB_H */
