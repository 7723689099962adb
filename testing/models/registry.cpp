// The shipped device models by name (netdext/model/registry.h).

#include <netdext/model/cdc_ecm.h>
#include <netdext/model/e1000.h>
#include <netdext/model/registry.h>

namespace netdext::model {

namespace {

using Knobs = std::vector<std::pair<std::string, std::string>>;

struct Entry {
    const char *name;
    const char *bus;
    const char *description;
    std::shared_ptr<Device> (*create)(const Knobs &knobs, std::string &error);
};

const Entry kModels[] = {
    {"cdc-ecm", "usb", "USB Ethernet adapter, CDC Ethernet Control Model (ECM 1.2)",
     [](const Knobs &knobs, std::string &error) -> std::shared_ptr<Device> {
         return CdcEcmDevice::create(knobs, error);
     }},
    {"e1000", "pci", "Intel 82540EM Gigabit Ethernet controller (8254x SDM)",
     [](const Knobs &knobs, std::string &error) -> std::shared_ptr<Device> {
         return E1000Device::create(knobs, error);
     }},
};

} // namespace

std::vector<ModelInfo> device_models() {
    std::vector<ModelInfo> out;
    for (const Entry &entry : kModels) {
        std::string error;
        std::shared_ptr<Device> sample = entry.create({}, error);
        out.push_back(ModelInfo{entry.name, entry.bus, entry.description,
                                sample ? sample->knobs() : std::vector<KnobInfo>{}});
    }
    return out;
}

bool parse_knobs(const std::string &text, Knobs &out, std::string &error) {
    size_t start = 0;
    while (start <= text.size() && !text.empty()) {
        size_t comma = text.find(',', start);
        std::string item = text.substr(start, comma == std::string::npos ? std::string::npos
                                                                         : comma - start);
        size_t eq = item.find('=');
        if (item.empty() || eq == 0 || eq == std::string::npos) {
            error = "\"" + item + "\": expected knob=value";
            return false;
        }
        out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return true;
}

std::shared_ptr<Device> create_device(const std::string &spec, std::string &error) {
    size_t comma = spec.find(',');
    std::string name = spec.substr(0, comma);
    Knobs knobs;
    if (comma != std::string::npos && !parse_knobs(spec.substr(comma + 1), knobs, error))
        return nullptr;
    for (const Entry &entry : kModels)
        if (name == entry.name)
            return entry.create(knobs, error);
    error = "no device model named \"" + name + "\" (models:";
    for (const Entry &entry : kModels)
        error += std::string(" ") + entry.name;
    error += ")";
    return nullptr;
}

} // namespace netdext::model
