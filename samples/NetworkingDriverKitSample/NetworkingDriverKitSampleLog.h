//
// NetworkingDriverKitSampleLog.h — the sample's logging macros. LOG always logs; DLOG logs only
// when the boot-arg ndks-debug is set.
//

#ifndef NetworkingDriverKitSampleLog_h
#define NetworkingDriverKitSampleLog_h

#include <os/log.h>

extern bool gNetworkingDriverKitSampleDebug;

#define LOG_PREFIX "NetworkingDriverKitSample - "

#define LOG(fmt, ...) os_log(OS_LOG_DEFAULT, LOG_PREFIX fmt, ##__VA_ARGS__)

#define DLOG(fmt, ...)                                                                             \
    do {                                                                                           \
        if (gNetworkingDriverKitSampleDebug)                                                       \
            os_log(OS_LOG_DEFAULT, LOG_PREFIX "%{public}s: " fmt, __FUNCTION__, ##__VA_ARGS__);    \
    } while (0)

#endif /* NetworkingDriverKitSampleLog_h */
