// Private helpers shared by the bus families (usb/, pci/): registry properties of provider nubs
// and a safe way for a backend's callbacks to reach a nub that may be freed meanwhile.
#pragma once

#include <DriverKit/IOService.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace netdext {

// Stores an OSNumber / OSData / OSString property on `service` (as the family publishes them).
void set_number_property(IOService *service, const char *key, uint64_t value, size_t bits);
void set_data_property(IOService *service, const char *key, const void *bytes, size_t length);
void set_string_property(IOService *service, const char *key, const char *value);

// A driver broke a family's contract: the system's misuse report (a test failure under the test
// bench) if a family port is installed, else an error log line.
void report_provider_misuse(const OSObject *object, const std::string &what);

// A backend callback holds a ServiceLink instead of the service: the service clears it in free(),
// and the callback gets the service retained, or nullptr once it is gone.
template <class T> class ServiceLink {
public:
    explicit ServiceLink(T *service) : m_service(service) {}
    T *retain_service() {
        std::lock_guard lock(m_mutex);
        return m_service != nullptr && m_service->netdext_try_retain() ? m_service : nullptr;
    }
    void clear() {
        std::lock_guard lock(m_mutex);
        m_service = nullptr;
    }

private:
    std::mutex m_mutex;
    T *m_service;
};

} // namespace netdext
