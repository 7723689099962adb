// netdext: what an installer app shows beside SystemExtensions' answers — the network interfaces
// its extension's driver registered, and their link state, from netdextd's `status` request
// (open to everyone). macOS apps read this from the system's network configuration; here the
// daemon that owns the interfaces says it (an app may not even share its network namespace).
//
// Threads: any; each call makes its own short connection.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace netdext::sysext {

struct InterfaceStatus {
    std::string name;     // "en0"
    bool carrier = false; // the driver reported an active link (ReportLinkStatus)
    unsigned mtu = 0;
    int ifindex = 0; // in netdextd's network namespace
};

struct DriverStatus {
    std::string identifier; // CFBundleIdentifier
    std::string state;      // the driver process: "running", "starting", "waiting", …
    std::vector<InterfaceStatus> interfaces;
};

// The drivers netdextd runs for `identifier` (usually one; none while it is not enabled).
// nullopt and `error` when netdextd cannot be asked. `socket_path` "": as ManagerOptions.
std::optional<std::vector<DriverStatus>> driver_status(const std::string &identifier,
                                                       std::string &error,
                                                       const std::string &socket_path = {});

} // namespace netdext::sysext
