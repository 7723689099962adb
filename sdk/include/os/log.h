/*
 * os/log.h — Apple's unified-logging calls for drivers.
 *
 * netdext: os_log formats like printf after removing Darwin's `{…}` annotations (%{public}s,
 * %{private}d, %{bool}d, …). As on macOS, a %s / %@ argument without {public} is shown as
 * <private> unless private data is enabled (netdext::set_log_show_private, NETDEXT_LOG_PRIVATE=1).
 * Lines go through the process log sink (netdext/runtime.h): to standard error in a test, to
 * netdextd (which prefixes the bundle ID) in netdext-host.
 */
#ifndef _OS_LOG_H
#define _OS_LOG_H

#include <stdint.h>
#include <stdbool.h>

typedef uint8_t os_log_type_t;
#define OS_LOG_TYPE_DEFAULT ((os_log_type_t)0x00)
#define OS_LOG_TYPE_INFO ((os_log_type_t)0x01)
#define OS_LOG_TYPE_DEBUG ((os_log_type_t)0x02)
#define OS_LOG_TYPE_ERROR ((os_log_type_t)0x10)
#define OS_LOG_TYPE_FAULT ((os_log_type_t)0x11)

struct os_log_s;
typedef struct os_log_s *os_log_t;

#ifdef __cplusplus
extern "C" {
#endif
extern struct os_log_s _os_log_default;
extern struct os_log_s _os_log_disabled;
os_log_t os_log_create(const char *subsystem, const char *category);
bool os_log_type_enabled(os_log_t log, os_log_type_t type);
void netdext_os_log_impl(os_log_t log, os_log_type_t type, const char *format, ...);
#ifdef __cplusplus
}
#endif

#define OS_LOG_DEFAULT (&_os_log_default)
#define OS_LOG_DISABLED (&_os_log_disabled)

#if defined(__cplusplus) && defined(__clang__)
#include <netdext/format_check.h>
namespace netdext::format {
/* os_log with its format checked by Darwin's rules, as Apple's Clang checks it (format_check.h). */
template <class... Args>
inline void os_log_checked(os_log_t log, os_log_type_t type, const char *format, Args... args)
    NETDEXT_CHECK_FORMAT(format, Args) {
    netdext_os_log_impl(log, type, format, args...);
}
} // namespace netdext::format
#define os_log_with_type(log, type, fmt, ...) \
    ::netdext::format::os_log_checked((log), (type), (fmt), ##__VA_ARGS__)
#else
#define os_log_with_type(log, type, format, ...) \
    netdext_os_log_impl((log), (type), (format), ##__VA_ARGS__)
#endif
#define os_log(log, format, ...) os_log_with_type(log, OS_LOG_TYPE_DEFAULT, format, ##__VA_ARGS__)
#define os_log_info(log, format, ...) os_log_with_type(log, OS_LOG_TYPE_INFO, format, ##__VA_ARGS__)
#define os_log_debug(log, format, ...) os_log_with_type(log, OS_LOG_TYPE_DEBUG, format, ##__VA_ARGS__)
#define os_log_error(log, format, ...) os_log_with_type(log, OS_LOG_TYPE_ERROR, format, ##__VA_ARGS__)
#define os_log_fault(log, format, ...) os_log_with_type(log, OS_LOG_TYPE_FAULT, format, ##__VA_ARGS__)

#endif
