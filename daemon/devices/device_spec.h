// What `netdextctl device attach MODEL[,knob=value…] [--wire …]` asks for, checked by netdextd
// before anything is created (docs/devices.md, "Devices under netdextd").
//
// The daemon never interprets a model or its knobs itself — the models run only inside sandboxed
// netdext-host processes, which report what is wrong with a spec (an unknown model or knob, a
// bad value). Here only the shape is checked, so that what reaches them is bounded and plain:
// the model name and knob names are lower-case letters, digits, '-' and '_'; values are printable
// ASCII without ',' or spaces; the whole spec fits the AttachDevice message.
#pragma once

#include <netdext/protocol/device_protocol.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace netdext::devices {

// What the host protocol's fixed arrays hold (NUL included).
inline constexpr size_t kMaxSpecLength = sizeof(protocol::AttachDevice::spec);
inline constexpr size_t kMaxNameLength = sizeof(protocol::SetDeviceKnob::name) - 1;
inline constexpr size_t kMaxValueLength = sizeof(protocol::SetDeviceKnob::value) - 1;

struct DeviceSpec {
    std::string text;  // as given ("e1000,mac=02:00:00:00:00:07")
    std::string model; // "e1000"
    std::vector<std::pair<std::string, std::string>> knobs;
};

// nullopt and `error` for a malformed spec.
std::optional<DeviceSpec> parse_device_spec(const std::string &text, std::string &error);
// One "knob=value" for `device set` (same rules as in a spec).
std::optional<std::pair<std::string, std::string>> parse_knob(const std::string &text,
                                                              std::string &error);

// Where the device's cable goes.
struct WireSpec {
    enum class Kind { tap, none };
    Kind kind = Kind::tap;
    std::string name; // the TAP's name or pattern ("nxdev%d" by default)
};
inline constexpr const char *kDefaultWirePattern = "nxdev%d";

// "tap" (a TAP named nxdev<N>), "tap:NAME" (that name, or a pattern with one %d), "none" (the
// cable stays unplugged). The TAP name's own rules are checked when it is created.
std::optional<WireSpec> parse_wire_spec(const std::string &text, std::string &error);

} // namespace netdext::devices
