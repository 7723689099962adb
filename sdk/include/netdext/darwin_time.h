/*
 * netdext/darwin_time.h — Darwin's clock IDs and clock_gettime_nsec_np().
 *
 * Darwin clock IDs differ from Linux's, so clock_gettime_nsec_np() takes Darwin IDs and translates
 * by meaning: CLOCK_UPTIME_RAW(_APPROX) reads the process time source's uptime domain,
 * CLOCK_MONOTONIC_RAW(_APPROX) and CLOCK_MONOTONIC its monotonic domain (both follow the virtual
 * clock under the test bench), CLOCK_REALTIME the wall clock, and the CPU-time clocks their Linux
 * equivalents. Linux's own CLOCK_MONOTONIC (1) is accepted as CLOCK_MONOTONIC. Unknown IDs
 * return 0 with errno = EINVAL, as Darwin does.
 */
#ifndef _NETDEXT_DARWIN_TIME_H
#define _NETDEXT_DARWIN_TIME_H

#include <stdint.h>
#include <time.h>

/* Darwin values; CLOCK_REALTIME (0) and CLOCK_MONOTONIC_RAW (4) coincide with Linux's. */
#ifndef CLOCK_UPTIME_RAW
#define CLOCK_UPTIME_RAW 8
#endif
#ifndef CLOCK_UPTIME_RAW_APPROX
#define CLOCK_UPTIME_RAW_APPROX 9
#endif
#ifndef CLOCK_MONOTONIC_RAW_APPROX
#define CLOCK_MONOTONIC_RAW_APPROX 5
#endif
#define NETDEXT_DARWIN_CLOCK_MONOTONIC 6
#define NETDEXT_DARWIN_CLOCK_PROCESS_CPUTIME_ID 12
#define NETDEXT_DARWIN_CLOCK_THREAD_CPUTIME_ID 16

#ifdef __cplusplus
extern "C" {
#endif
uint64_t clock_gettime_nsec_np(clockid_t clock_id);
#ifdef __cplusplus
}
#endif

#endif
