// netdextctl device …: simulated USB and PCI devices under netdextd (docs/devices.md).
//
//   netdextctl device attach MODEL[,knob=value…] [--wire tap|tap:NAME|none] [--json]
//   netdextctl device detach ID               netdextctl device list [--json]
//   netdextctl device set ID knob=value…
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace netdext::cli {

struct DeviceArguments {
    std::string spec;
    std::string wire = "tap";
    std::string id;
    std::vector<std::string> knobs;
    bool json_output = false;
};

// Sends one request and waits for its final answer; nullopt after printing why (`code` is then
// the exit status).
using RequestFunction = std::function<std::optional<nlohmann::json>(nlohmann::json, int &code)>;

// Adds `device` and its subcommands to `app`.
CLI::App *add_device_commands(CLI::App &app, DeviceArguments &arguments);
// Runs the parsed `device` subcommand; its exit status.
int run_device_command(const CLI::App &device, const DeviceArguments &arguments,
                       const RequestFunction &request);

} // namespace netdext::cli
