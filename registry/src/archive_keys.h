// The keys of an `ioreg -a` node dictionary (API-SYSEXT §3.4), shared by the writer and reader.
#pragma once

namespace netdext::registry::archive {

inline constexpr const char *kName = "IORegistryEntryName";
inline constexpr const char *kLocation = "IORegistryEntryLocation";
inline constexpr const char *kID = "IORegistryEntryID";
inline constexpr const char *kClass = "IOObjectClass";
inline constexpr const char *kRetainCount = "IOObjectRetainCount";
inline constexpr const char *kServiceState = "IOServiceState";
inline constexpr const char *kBusyState = "IOServiceBusyState";
inline constexpr const char *kBusyTime = "IOServiceBusyTime";
inline constexpr const char *kChildren = "IORegistryEntryChildren";

} // namespace netdext::registry::archive
