// Which installed driver gets a device netdextd attaches: IOKit's matching across every driver
// waiting for a device, with netdext/bundle/matching.h's rules (docs/devices.md).
//
// As IOKit does: the device-level provider (IOUSBHostDevice, IOPCIDevice) is matched first
// against every personality of every candidate; only when none matches does the system select
// the USB device's first configuration (AppleUSBHostCompositeDevice) and match its interfaces.
// The best score wins; on a tie the earlier interface, then the earlier candidate. The winner's
// transport entitlement is checked last: a driver that matches but is not entitled to the
// device is not started (IOKit logs it and leaves the device unclaimed).
//
// netdext runs one device per driver process, so a candidate that already drives a device (or
// is stopping) is "busy": it is matched, for the reason shown to the user, but never chosen.
#pragma once

#include <netdext/bundle/bundle.h>
#include <netdext/bundle/matching.h>

#include <string>
#include <vector>

namespace netdext::devices {

struct DriverCandidate {
    std::string key;        // the daemon's driver key
    std::string identifier; // bundle ID, for messages
    const bundle::Bundle *bundle = nullptr;
    std::string busy; // why it cannot take a device now ("already drives device 1"), or ""
};

struct MatchDecision {
    bool matched = false;  // a free candidate matches (entitled or not)
    bool entitled = false; // … and its transport entitlement covers the device: start it
    size_t candidate = 0;  // index into the candidates
    size_t provider = 0;   // index into the providers
    const bundle::Personality *personality = nullptr;
    int64_t score = 0;
    std::string reason;            // one line: why nothing is started (when !entitled)
    std::vector<std::string> log;  // every personality tried, with its score or why not
};

MatchDecision choose_driver(const std::vector<bundle::Provider> &providers,
                            const std::vector<DriverCandidate> &candidates,
                            const std::string &model);

} // namespace netdext::devices
