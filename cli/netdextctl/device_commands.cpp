// netdextctl device … (see device_commands.h).

#include "device_commands.h"

#include <iostream>

namespace netdext::cli {

using nlohmann::json;

namespace {

std::string text(const json &object, const char *key) {
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string cable(const json &device) {
    const json wire = device.value("wire", json::object());
    return wire.value("kind", std::string()) == "tap" ? text(wire, "name") : "(unplugged)";
}

void print_device(const json &d) {
    std::cout << "device " << d.value("id", 0) << ": " << text(d, "spec") << " (" << text(d, "bus")
              << ") — " << text(d, "state") << "\n"
              << "  driver " << text(d, "driver") << ", personality " << text(d, "personality")
              << " on " << text(d, "provider") << "\n"
              << "  interface " << (text(d, "interface").empty() ? "-" : text(d, "interface"))
              << ", cable " << cable(d) << "\n";
    if (d.contains("note"))
        std::cout << "  note: " << text(d, "note") << "\n";
    if (!d.value("knobs", json::object()).empty()) {
        std::cout << "  knobs set:";
        for (auto &[name, value] : d["knobs"].items())
            std::cout << " " << name << "=" << value.get<std::string>();
        std::cout << "\n";
    }
    if (d.contains("counters")) {
        std::cout << "  counters:";
        for (auto &[name, value] : d["counters"].items())
            if (value.get<uint64_t>() != 0)
                std::cout << " " << name << " " << value.get<uint64_t>();
        std::cout << "\n";
    }
    const json wire = d.value("wire", json::object());
    if (wire.contains("counters")) {
        const json &c = wire["counters"];
        std::cout << "  cable: " << c.value("to_device", 0) << " frames to the device, "
                  << c.value("from_device", 0) << " from it, " << c.value("to_device_drops", 0)
                  << " dropped, " << c.value("refused", 0) << " refused"
                  << (wire.value("connected", false) ? "" : " (unplugged)") << "\n";
    }
}

} // namespace

CLI::App *add_device_commands(CLI::App &app, DeviceArguments &a) {
    auto *device = app.add_subcommand(
        "device", "Simulated USB and PCI devices: plug one in, and the driver that matches it "
                  "starts (docs/devices.md)");
    device->require_subcommand(1);
    auto *attach = device->add_subcommand(
        "attach", "Plug in a device model; matching starts the driver whose personality wins");
    attach->add_option("spec", a.spec, "MODEL[,knob=value…], e.g. e1000,mac=02:00:00:00:00:07 "
                                       "(netdext-sim --list-devices lists models and knobs)")
        ->required();
    attach->add_option("--wire", a.wire,
                       "the device's cable: tap (a TAP named nxdev<N>), tap:NAME, or none")
        ->capture_default_str();
    attach->add_flag("--json", a.json_output, "Print JSON");
    auto *detach = device->add_subcommand(
        "detach", "Surprise removal: the device goes away under its driver, which is stopped");
    detach->add_option("id", a.id, "The device's ID (netdextctl device list)")->required();
    auto *set = device->add_subcommand(
        "set", "Set knobs of an attached device's model at once (faults, link, …)");
    set->add_option("id", a.id, "The device's ID")->required();
    set->add_option("knobs", a.knobs, "knob=value, e.g. link=down, stall=0x82, lost-interrupts=2")
        ->required();
    auto *list = device->add_subcommand("list", "Attached devices, their drivers and counters");
    list->add_flag("--json", a.json_output, "Print JSON");
    return device;
}

int run_device_command(const CLI::App &device, const DeviceArguments &a,
                       const RequestFunction &request) {
    int code = 0;
    if (device.got_subcommand("attach")) {
        auto done = request({{"request", "device_attach"}, {"spec", a.spec}, {"wire", a.wire}},
                            code);
        if (!done)
            return code;
        if (a.json_output) {
            std::cout << (*done)["device"].dump(2) << std::endl;
        } else {
            const json &d = (*done)["device"];
            std::cout << "device " << d.value("id", 0) << " attached: " << text(d, "driver")
                      << " started on " << text(d, "provider") << ", cable " << cable(d)
                      << std::endl;
        }
        return 0;
    }
    if (device.got_subcommand("detach")) {
        if (auto done = request({{"request", "device_detach"}, {"id", a.id}}, code))
            std::cout << "device " << a.id << " detached" << std::endl;
        return code;
    }
    if (device.got_subcommand("set")) {
        for (const std::string &knob : a.knobs) {
            auto done = request({{"request", "device_set"}, {"id", a.id}, {"knob", knob}}, code);
            if (!done)
                return code;
            std::cout << "device " << a.id << ": " << text(*done, "knob") << "="
                      << text(*done, "value") << std::endl;
        }
        return 0;
    }
    auto done = request({{"request", "device_list"}}, code);
    if (!done)
        return code;
    if (a.json_output) {
        std::cout << done->dump(2) << std::endl;
        return 0;
    }
    for (const json &d : (*done)["devices"])
        print_device(d);
    if ((*done)["devices"].empty())
        std::cout << "no device is attached\n";
    return 0;
}

} // namespace netdext::cli
