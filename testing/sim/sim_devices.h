// netdext-sim's simulated devices: --device MODEL[,knob=value…], --wire-in / --wire-out pcaps
// and timed --event TIME:KNOB=VALUE (or TIME:remove). Kept apart from main.cpp.
#pragma once

#include <netdext/model/device.h>
#include <netdext/testing/driver_bench.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace netdext::sim {

struct DeviceOptions {
    std::string spec;          // --device
    std::string wire_in;       // --wire-in
    std::string wire_out;      // --wire-out
    std::vector<std::string> events; // --event
    bool list = false;         // --list-devices
};

// A knob change (or removal) at a virtual time after interface-up.
struct DeviceEvent {
    uint64_t offset_ns = 0;
    std::string knob; // "remove" for a surprise removal
    std::string value;
};

void add_device_options(CLI::App &app, DeviceOptions &options);

// Prints every model with its knobs.
void print_device_models();

// Parses --event values; false with a message.
bool parse_events(const std::vector<std::string> &texts, std::vector<DeviceEvent> &out,
                  std::string &error);

// Applies an event to the bench's device; false with a message.
bool apply_event(testing::DriverBench &bench, const DeviceEvent &event, std::string &error);

} // namespace netdext::sim
