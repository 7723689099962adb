/*
 * DriverKit/IOTypes.h — basic DriverKit scalar types.
 * netdext: names and sizes follow Apple's DriverKit IOTypes.h.
 */
#ifndef _DRIVERKIT_IOTYPES_H
#define _DRIVERKIT_IOTYPES_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>
#include <DriverKit/IOReturn.h>

#ifndef NULL
#define NULL 0
#endif

typedef uint32_t IOOptionBits;
typedef int32_t IOFixed;
typedef uint32_t IOVersion;
typedef uint32_t IOItemCount;
typedef uint32_t IOCacheMode;
typedef uint32_t IOByteCount32;
typedef uint64_t IOByteCount64;
typedef uint64_t IOByteCount;
typedef uint64_t IOPhysicalAddress;
typedef uint64_t IOPhysicalAddress64;
typedef uint64_t IOPhysicalLength;
typedef uint64_t IOVirtualAddress;
typedef uint64_t IOLogicalAddress;
typedef uint64_t IOAddress;
typedef IOVirtualAddress IOAddressType;
typedef uint32_t IOAlignment;
typedef uint64_t IOPhysicalLength64;
typedef unsigned int IOMessage;

typedef char IODispatchQueueName[256];
typedef char IOServiceName[128];
typedef char IOPropertyName[128];
typedef char IORegistryPlaneName[128];

typedef uint64_t mach_vm_address_t;
typedef uint64_t mach_vm_size_t;
typedef uint32_t mach_port_t;

typedef struct {
    uint32_t numer;
    uint32_t denom;
} mach_timebase_info_data_t;
typedef mach_timebase_info_data_t *mach_timebase_info_t;

enum {
    kIOMapAnywhere = 0x00000001,
    kIOMapDefaultCache = 0x00000000,
    kIOMapInhibitCache = 0x00000100,
    kIOMapWriteThruCache = 0x00000200,
    kIOMapCopybackCache = 0x00000300,
    kIOMapWriteCombineCache = 0x00000400,
    kIOMapCopybackInnerCache = 0x00000500,
    kIOMapPostedWrite = 0x00000600,
    kIOMapCacheMask = 0x00000700,
    kIOMapCacheShift = 8,
    kIOMapReadOnly = 0x00001000,
};

#ifndef MIN
#define MIN(a, b) (((a) < (b)) ? (a) : (b))
#endif
#ifndef MAX
#define MAX(a, b) (((a) > (b)) ? (a) : (b))
#endif

#endif /* _DRIVERKIT_IOTYPES_H */
