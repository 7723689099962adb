/*
 * netdext/model/registry.h — the device models netdext ships, by name.
 *
 * What netdext-sim's --device MODEL[,knob=value…] uses, and netdext-host for netdextctl's
 * `device attach MODEL[,knob=value…]` (docs/devices.md):
 *
 *     std::string error;
 *     auto device = netdext::model::create_device("cdc-ecm,mac=02:00:00:00:00:09,stall=0x82", error);
 *     if (!device) die(error);   // "cdc-ecm: no knob named \"stal\"" …
 */
#ifndef _NETDEXT_MODEL_REGISTRY_H
#define _NETDEXT_MODEL_REGISTRY_H

#include <netdext/model/device.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace netdext::model {

struct ModelInfo {
    std::string name;        /* "cdc-ecm" */
    std::string bus;         /* "usb" or "pci" */
    std::string description; /* one line */
    std::vector<KnobInfo> knobs;
};

/* Every model, with its knobs. */
std::vector<ModelInfo> device_models();

/* Splits "a=1,b=2" into pairs; false with a message for an entry without '='. */
bool parse_knobs(const std::string &text, std::vector<std::pair<std::string, std::string>> &out,
                 std::string &error);

/* "MODEL[,knob=value…]": the device with its knobs applied, or nullptr with a message (unknown
 * model, unknown knob, bad value). */
std::shared_ptr<Device> create_device(const std::string &spec, std::string &error);

} // namespace netdext::model

#endif
