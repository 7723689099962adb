// Plugging a device model in, as the kernel does when hardware appears: the family's provider
// objects over the model's backend, matching the dext's personalities against them, and the
// transport entitlement. The bench and netdext-sim use it through DriverBench::attach_device;
// netdext-host does the same for a device netdextd attaches (host/src/device_host.cpp), and its
// --describe-device probe tells the daemon what describe() finds (docs/devices.md).
#pragma once

#include <netdext/bundle/bundle.h>
#include <netdext/bundle/matching.h>
#include <netdext/model/device.h>

#include <DriverKit/IOService.h>

#include <memory>
#include <string>
#include <vector>

class IOUSBHostDevice;
class IOUSBHostInterface;
class IOPCIDevice;

namespace netdext::testing {

class DeviceAttachment {
public:
    ~DeviceAttachment();
    DeviceAttachment(const DeviceAttachment &) = delete;
    DeviceAttachment &operator=(const DeviceAttachment &) = delete;

    /*
     * Creates the providers for `device` and chooses the driver's: with a bundle, the provider
     * its best personality matches (a device personality first, then — after the system selects
     * configuration 1, as AppleUSBHostCompositeDevice does — the interfaces), with the transport
     * entitlement checked; without one, the device-level provider. nullptr only when the device
     * cannot be enumerated (`error` says why); otherwise `matched()` tells whether a driver
     * should start.
     */
    static std::unique_ptr<DeviceAttachment> create(std::shared_ptr<model::Device> device,
                                                    const bundle::Bundle *bundle,
                                                    std::string &error);

    /*
     * Every provider the device offers, as matching sees them: the USB device and then — after
     * the system selected its first configuration — its interfaces; or the PCI function. Empty,
     * with `error`, when the device does not enumerate.
     */
    static std::vector<bundle::Provider> describe(std::shared_ptr<model::Device> device,
                                                  std::string &error);

    const std::shared_ptr<model::Device> &device() const { return m_device; }
    /* The provider the driver starts on (+0), or nullptr when nothing matched. */
    IOService *provider() const { return m_provider; }
    const bundle::Personality *personality() const { return m_personality; }
    /* kIOReturnSuccess: start the driver; kIOReturnUnsupported: no personality matches;
     * kIOReturnNotPermitted: the transport entitlement does not cover the device. */
    kern_return_t verdict() const { return m_verdict; }
    const std::vector<std::string> &log() const { return m_log; }

    /* The providers go away (after the driver was stopped). */
    void teardown();

private:
    DeviceAttachment() = default;
    static std::unique_ptr<DeviceAttachment> enumerate(std::shared_ptr<model::Device> device,
                                                       const bundle::Bundle *bundle,
                                                       bool every_provider, std::string &error);
    bool choose(const bundle::Bundle &bundle, const bundle::Provider &description, IOService *nub);

    std::shared_ptr<model::Device> m_device;
    IOUSBHostDevice *m_usb = nullptr;                 // retained
    std::vector<IOUSBHostInterface *> m_interfaces;   // retained
    IOPCIDevice *m_pci = nullptr;                     // retained
    IOService *m_provider = nullptr;
    const bundle::Personality *m_personality = nullptr;
    int64_t m_score = 0;
    kern_return_t m_verdict = kIOReturnUnsupported;
    std::vector<std::string> m_log;
    std::vector<bundle::Provider> m_descriptions; // in the order they were enumerated
};

} // namespace netdext::testing
