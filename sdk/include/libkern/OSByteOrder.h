/*
 * libkern/OSByteOrder.h — OSSwap… byte-order helpers (Apple's names).
 */
#ifndef _LIBKERN_OSBYTEORDER_H
#define _LIBKERN_OSBYTEORDER_H

#include <stdint.h>

#define OSSwapConstInt16(x) ((uint16_t)__builtin_bswap16((uint16_t)(x)))
#define OSSwapConstInt32(x) ((uint32_t)__builtin_bswap32((uint32_t)(x)))
#define OSSwapConstInt64(x) ((uint64_t)__builtin_bswap64((uint64_t)(x)))
#define OSSwapInt16(x) ((uint16_t)__builtin_bswap16((uint16_t)(x)))
#define OSSwapInt32(x) ((uint32_t)__builtin_bswap32((uint32_t)(x)))
#define OSSwapInt64(x) ((uint64_t)__builtin_bswap64((uint64_t)(x)))

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define OSSwapHostToBigInt16(x) OSSwapInt16(x)
#define OSSwapHostToBigInt32(x) OSSwapInt32(x)
#define OSSwapHostToBigInt64(x) OSSwapInt64(x)
#define OSSwapHostToLittleInt16(x) ((uint16_t)(x))
#define OSSwapHostToLittleInt32(x) ((uint32_t)(x))
#define OSSwapHostToLittleInt64(x) ((uint64_t)(x))
#define OSSwapBigToHostInt16(x) OSSwapInt16(x)
#define OSSwapBigToHostInt32(x) OSSwapInt32(x)
#define OSSwapBigToHostInt64(x) OSSwapInt64(x)
#define OSSwapLittleToHostInt16(x) ((uint16_t)(x))
#define OSSwapLittleToHostInt32(x) ((uint32_t)(x))
#define OSSwapLittleToHostInt64(x) ((uint64_t)(x))
#define OSSwapHostToBigConstInt16(x) OSSwapConstInt16(x)
#define OSSwapHostToBigConstInt32(x) OSSwapConstInt32(x)
#define OSSwapHostToBigConstInt64(x) OSSwapConstInt64(x)
#define OSSwapBigToHostConstInt16(x) OSSwapConstInt16(x)
#define OSSwapBigToHostConstInt32(x) OSSwapConstInt32(x)
#define OSSwapBigToHostConstInt64(x) OSSwapConstInt64(x)
#define OSSwapHostToLittleConstInt16(x) ((uint16_t)(x))
#define OSSwapHostToLittleConstInt32(x) ((uint32_t)(x))
#define OSSwapHostToLittleConstInt64(x) ((uint64_t)(x))
#define OSSwapLittleToHostConstInt16(x) ((uint16_t)(x))
#define OSSwapLittleToHostConstInt32(x) ((uint32_t)(x))
#define OSSwapLittleToHostConstInt64(x) ((uint64_t)(x))
#else
#error "netdext supports little-endian hosts only"
#endif

static inline uint16_t OSReadBigInt16(const volatile void *base, uintptr_t offset) {
    uint16_t v; __builtin_memcpy(&v, (const char *)base + offset, sizeof v); return OSSwapBigToHostInt16(v);
}
static inline uint32_t OSReadBigInt32(const volatile void *base, uintptr_t offset) {
    uint32_t v; __builtin_memcpy(&v, (const char *)base + offset, sizeof v); return OSSwapBigToHostInt32(v);
}
static inline uint64_t OSReadBigInt64(const volatile void *base, uintptr_t offset) {
    uint64_t v; __builtin_memcpy(&v, (const char *)base + offset, sizeof v); return OSSwapBigToHostInt64(v);
}
static inline uint16_t OSReadLittleInt16(const volatile void *base, uintptr_t offset) {
    uint16_t v; __builtin_memcpy(&v, (const char *)base + offset, sizeof v); return OSSwapLittleToHostInt16(v);
}
static inline uint32_t OSReadLittleInt32(const volatile void *base, uintptr_t offset) {
    uint32_t v; __builtin_memcpy(&v, (const char *)base + offset, sizeof v); return OSSwapLittleToHostInt32(v);
}
static inline uint64_t OSReadLittleInt64(const volatile void *base, uintptr_t offset) {
    uint64_t v; __builtin_memcpy(&v, (const char *)base + offset, sizeof v); return OSSwapLittleToHostInt64(v);
}
static inline void OSWriteBigInt16(volatile void *base, uintptr_t offset, uint16_t data) {
    data = OSSwapHostToBigInt16(data); __builtin_memcpy((char *)base + offset, &data, sizeof data);
}
static inline void OSWriteBigInt32(volatile void *base, uintptr_t offset, uint32_t data) {
    data = OSSwapHostToBigInt32(data); __builtin_memcpy((char *)base + offset, &data, sizeof data);
}
static inline void OSWriteBigInt64(volatile void *base, uintptr_t offset, uint64_t data) {
    data = OSSwapHostToBigInt64(data); __builtin_memcpy((char *)base + offset, &data, sizeof data);
}
static inline void OSWriteLittleInt16(volatile void *base, uintptr_t offset, uint16_t data) {
    __builtin_memcpy((char *)base + offset, &data, sizeof data);
}
static inline void OSWriteLittleInt32(volatile void *base, uintptr_t offset, uint32_t data) {
    __builtin_memcpy((char *)base + offset, &data, sizeof data);
}
static inline void OSWriteLittleInt64(volatile void *base, uintptr_t offset, uint64_t data) {
    __builtin_memcpy((char *)base + offset, &data, sizeof data);
}

#endif
