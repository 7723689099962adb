/*
 * DriverKit availability macros. netdext builds every API for every DriverKit version, so the
 * macros expand to nothing; they exist so that Apple-style declarations compile unchanged.
 */
#ifndef _DRIVERKIT_AVAILABILITY_H
#define _DRIVERKIT_AVAILABILITY_H

#define __DRIVERKIT_19_0 190000
#define __DRIVERKIT_20_0 200000
#define __DRIVERKIT_21_0 210000
#define __DRIVERKIT_22_0 220000
#define __DRIVERKIT_23_0 230000
#define __DRIVERKIT_24_0 240000
#define __DRIVERKIT_25_0 250000
#ifndef __DRIVERKIT_VERSION_MIN_REQUIRED
#define __DRIVERKIT_VERSION_MIN_REQUIRED __DRIVERKIT_20_0
#endif

#define API_AVAILABLE(...)
#define API_DEPRECATED(...)
#define API_DEPRECATED_WITH_REPLACEMENT(...)
#define API_UNAVAILABLE(...)
#define __API_AVAILABLE(...)
#define __API_DEPRECATED(...)
#define __API_UNAVAILABLE(...)
#define __DRIVERKIT_AVAILABLE(...)
#define __OSX_AVAILABLE(...)
#define __IOS_AVAILABLE(...)
#define __TVOS_AVAILABLE(...)
#define __WATCHOS_AVAILABLE(...)
#define __OSX_AVAILABLE_STARTING(...)
#define __OSX_AVAILABLE_BUT_DEPRECATED(...)
#define __DRIVERKIT_19_0_DEPRECATED
#ifndef __deprecated
#define __deprecated
#endif
#ifndef __deprecated_msg
#define __deprecated_msg(msg)
#endif
#ifndef __unused
#define __unused __attribute__((unused))
#endif
#ifndef __printflike
#define __printflike(fmtarg, firstvararg) __attribute__((__format__(__printf__, fmtarg, firstvararg)))
#endif

/*
 * Apple clang's run-time version check, `if (__builtin_available(driverkit 21.0, *))`: netdext
 * provides every DriverKit version's API, so every check succeeds. (Clang knows no "driverkit"
 * platform off Darwin and GCC has no such builtin, so the check is a macro here.)
 */
#ifndef __builtin_available
#define __builtin_available(...) 1
#endif

/* NetworkingDriverKit availability markers (NDK 2.x headers use them on declarations). */
#define NDK_20
#define NDK_21
#define NDK_22
#define NDK_23
#define NDK_24
#define NDK_25

/* DriverKit ownership annotations for the static analyzer; no effect here. */
#define DRIVERKIT_RETURNS_RETAINED
#define DRIVERKIT_RETURNS_NOT_RETAINED
#define DRIVERKIT_CONSUMED
#define DRIVERKIT_PRIVATE

/*
 * netdext: marks a declaration whose implementation only returns kIOReturnUnsupported (or the
 * documented "nothing" value). docs/api-coverage.md lists them; a test keeps the two in step.
 */
#define NETDEXT_UNSUPPORTED

#endif
