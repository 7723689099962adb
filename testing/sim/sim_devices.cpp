// netdext-sim's simulated devices (sim_devices.h).

#include "sim_devices.h"

#include <netdext/model/registry.h>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <regex>

namespace netdext::sim {

void add_device_options(CLI::App &app, DeviceOptions &options) {
    app.add_option("--device", options.spec,
                   "Plug in a simulated device, MODEL[,knob=value…] (see --list-devices); the "
                   "driver starts only if a personality matches it");
    app.add_option("--wire-in", options.wire_in,
                   "Send the frames of this pcap into the device's cable at their relative times");
    app.add_option("--wire-out", options.wire_out,
                   "Write the frames the device put on its cable to this pcap");
    app.add_option("--event", options.events,
                   "At a virtual time after interface-up, set a device knob or remove the device: "
                   "TIME:KNOB=VALUE or TIME:remove (e.g. 2s:link=down, 3s:dma-errors=1)");
    app.add_flag("--list-devices", options.list, "List the device models and their knobs, then exit");
}

void print_device_models() {
    for (const model::ModelInfo &info : model::device_models()) {
        std::printf("%s (%s): %s\n", info.name.c_str(), info.bus.c_str(), info.description.c_str());
        for (const model::KnobInfo &knob : info.knobs)
            std::printf("    %-20s %s%s\n", knob.name.c_str(), knob.help.c_str(),
                        knob.creation_only ? " [with --device only]" : "");
    }
}

bool parse_events(const std::vector<std::string> &texts, std::vector<DeviceEvent> &out,
                  std::string &error) {
    static const std::regex pattern(R"(^([0-9]+(?:\.[0-9]+)?)(ns|us|ms|s|m)?:([a-z0-9-]+)(?:=(.*))?$)");
    for (const std::string &text : texts) {
        std::smatch match;
        if (!std::regex_match(text, match, pattern)) {
            error = "--event " + text + ": expected TIME:KNOB=VALUE or TIME:remove";
            return false;
        }
        double value = std::stod(match[1].str());
        std::string unit = match[2].matched ? match[2].str() : "s";
        double scale = unit == "ns" ? 1 : unit == "us" ? 1e3 : unit == "ms" ? 1e6 : unit == "s" ? 1e9 : 60e9;
        DeviceEvent event{uint64_t(value * scale), match[3].str(), match[4].matched ? match[4].str() : ""};
        if (event.knob != "remove" && !match[4].matched) {
            error = "--event " + text + ": a knob needs =VALUE";
            return false;
        }
        out.push_back(event);
    }
    return true;
}

bool apply_event(testing::DriverBench &bench, const DeviceEvent &event, std::string &error) {
    std::shared_ptr<model::Device> device = bench.device();
    if (!device) {
        error = "no device attached (removed already?)";
        return false;
    }
    if (event.knob == "remove") {
        bench.detach_device();
        return true;
    }
    bool ok = device->set(event.knob, event.value, error);
    bench.settle();
    return ok;
}

} // namespace netdext::sim
