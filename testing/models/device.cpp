// Device: knobs, counters and the value parsers every model shares (netdext/model/device.h).

#include <netdext/model/device.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace netdext::model {

Device::Device(std::string model, bool has_wire) : m_model(std::move(model)), m_has_wire(has_wire) {}

void Device::send_to_wire(std::span<const uint8_t> frame) {
    std::vector<uint8_t> copy(frame.begin(), frame.end());
    defer([this, copy = std::move(copy)] { m_wire.send(copy); });
}

void Device::run_deferred() {
    // One runner at a time, so that completions and frames leave in the order they were made.
    std::lock_guard delivery(m_delivery);
    for (;;) {
        std::vector<std::function<void()>> work;
        {
            auto held = lock();
            work.swap(m_deferred);
        }
        if (work.empty())
            return;
        for (auto &item : work)
            item();
    }
}

void Device::add_knob(KnobInfo info, Setter setter) {
    m_knobs.push_back(Knob{std::move(info), std::move(setter)});
}

std::vector<KnobInfo> Device::knobs() const {
    std::vector<KnobInfo> out;
    for (const Knob &knob : m_knobs)
        out.push_back(knob.info);
    return out;
}

bool Device::set(const std::string &name, const std::string &value, std::string &error,
                 bool creating) {
    for (const Knob &knob : m_knobs) {
        if (knob.info.name != name)
            continue;
        if (knob.info.creation_only && !creating) {
            error = m_model + ": " + name + " can only be set when the device is created";
            return false;
        }
        std::string why;
        bool ok;
        {
            auto held = lock();
            ok = knob.setter(value, why);
        }
        if (!ok) {
            error = m_model + ": " + name + "=" + value + ": " + why;
            return false;
        }
        knob_changed();
        return true;
    }
    error = m_model + ": no knob named \"" + name + "\"";
    return false;
}

std::map<std::string, uint64_t> Device::counters() const {
    auto held = lock();
    return m_counters;
}

bool Device::parse_uint(const std::string &text, uint64_t max, uint64_t &out, std::string &error) {
    if (text.empty() || text[0] == '-' || text[0] == '+') {
        error = "not a number";
        return false;
    }
    errno = 0;
    char *end = nullptr;
    unsigned long long value = std::strtoull(text.c_str(), &end, 0); // decimal or 0x…
    if (errno != 0 || end == text.c_str() || *end != '\0') {
        error = "not a number";
        return false;
    }
    if (value > max) {
        error = "at most " + std::to_string(max);
        return false;
    }
    out = value;
    return true;
}

bool Device::parse_bool(const std::string &text, bool &out, std::string &error) {
    if (text == "up" || text == "on" || text == "1" || text == "true" || text == "yes") {
        out = true;
        return true;
    }
    if (text == "down" || text == "off" || text == "0" || text == "false" || text == "no") {
        out = false;
        return true;
    }
    error = "expected up/down (on/off, 1/0)";
    return false;
}

bool Device::parse_mac(const std::string &text, uint8_t out[6], std::string &error) {
    unsigned v[6];
    char tail = 0;
    if (std::sscanf(text.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4],
                    &v[5], &tail) != 6) {
        error = "expected a MAC address like 02:00:00:00:00:01";
        return false;
    }
    if (v[0] & 1) {
        error = "a multicast address cannot be a device's address";
        return false;
    }
    for (int i = 0; i < 6; ++i)
        out[i] = uint8_t(v[i]);
    return true;
}

} // namespace netdext::model
