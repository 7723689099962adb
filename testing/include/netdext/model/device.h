/*
 * netdext/model/device.h — the base of every simulated device: what the system needs to plug it
 * in (a USB or PCI backend), its cable, its knobs and counters, and surprise removal.
 *
 * A device model is hardware in software, written from the device's datasheet: it answers the
 * requests a real device answers and misbehaves when a knob says so, so that a driver's error
 * paths run in CI. The system plugs a Device in through its backend:
 *
 *     auto nic = netdext::model::create_device("e1000,mac=02:00:00:00:00:07", error);
 *     bench.attach_device(nic);              // the bench: IOPCIDevice over nic->pci_backend()
 *     nic->set("dma-errors", "1", error);    // the next DMA transaction fails
 *     bench.detach_device();                 // surprise removal, then Stop
 *
 * Write a model of your own hardware by deriving from UsbDeviceModel (<netdext/model/usb.h>) or
 * PciFunctionModel (<netdext/model/pci.h>); docs/devices.md walks through one.
 *
 * Knobs are name=value settings, the same from C++ (set), from netdext-sim
 * (--device MODEL,name=value…) and from netdextctl (device attach / device set). Some only make sense when the device
 * is created (its identity); the rest change behaviour at once ("fail the next N transfers").
 *
 * Threading: every method may be called from any thread. A model keeps its state under one lock
 * (lock()); it calls completions and its cable's peer without that lock.
 */
#ifndef _NETDEXT_MODEL_DEVICE_H
#define _NETDEXT_MODEL_DEVICE_H

#include <netdext/model/frame_port.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

namespace netdext::usb {
class DeviceBackend;
}
namespace netdext::pci {
class FunctionBackend;
}

namespace netdext::model {

struct KnobInfo {
    std::string name;
    std::string help;          /* one line: the values it takes and what they do */
    bool creation_only = false; /* identity: only with create_device / the constructor */
};

class Device {
public:
    virtual ~Device() = default;
    Device(const Device &) = delete;
    Device &operator=(const Device &) = delete;

    /* The model's name ("cdc-ecm", "e1000"). */
    const std::string &model() const { return m_model; }

    /* The backend the system builds the provider on: exactly one is non-null. */
    virtual std::shared_ptr<netdext::usb::DeviceBackend> usb_backend() { return nullptr; }
    virtual std::shared_ptr<netdext::pci::FunctionBackend> pci_backend() { return nullptr; }
    /* The network cable, for a NIC. */
    FramePort *wire() { return m_has_wire ? &m_wire : nullptr; }

    /* Knobs. set() is false, with a message, for an unknown knob, a bad value, or a
     * creation-only knob after creation (`creating` is for the factory). */
    std::vector<KnobInfo> knobs() const;
    bool set(const std::string &name, const std::string &value, std::string &error,
             bool creating = false);

    /* What happened, by name ("rx_frames", "dma_errors", "stalls", …). */
    std::map<std::string, uint64_t> counters() const;

    /* Surprise removal: in-flight work completes with an error, the device stops answering, and
     * the family is told (it then terminates the provider). Idempotent. */
    virtual void remove() = 0;
    virtual bool is_removed() const = 0;

protected:
    Device(std::string model, bool has_wire);

    using Setter = std::function<bool(const std::string &value, std::string &error)>;
    /* Runs after a knob's setter, without the lock: delivers what the change caused. */
    virtual void knob_changed() { run_deferred(); }
    /* Registers a knob (in the constructor). The setter runs with lock() held. */
    void add_knob(KnobInfo info, Setter setter);
    /* Counters: add under lock(). */
    void count(const std::string &name, uint64_t n = 1) { m_counters[name] += n; }

    std::unique_lock<std::mutex> lock() const { return std::unique_lock<std::mutex>(m_mutex); }

    /* Work for after the lock is released (lock held): completions, frames for the cable,
     * removal handlers — whatever may call back into this or another device. */
    void defer(std::function<void()> work) { m_deferred.push_back(std::move(work)); }
    /* Sends a frame on the cable once the lock is released (lock held). */
    void send_to_wire(std::span<const uint8_t> frame);
    /* Runs the deferred work, in order, one runner at a time (lock not held). Every public entry
     * point of a model calls it after it released the lock. */
    void run_deferred();

    /* Values knobs take. */
    static bool parse_uint(const std::string &text, uint64_t max, uint64_t &out,
                           std::string &error);
    static bool parse_bool(const std::string &text, bool &out, std::string &error);
    static bool parse_mac(const std::string &text, uint8_t out[6], std::string &error);

    mutable std::mutex m_mutex;

private:
    struct Knob {
        KnobInfo info;
        Setter setter;
    };
    std::string m_model;
    bool m_has_wire;
    FramePort m_wire;
    std::vector<Knob> m_knobs;
    std::map<std::string, uint64_t> m_counters;
    std::vector<std::function<void()>> m_deferred;
    std::recursive_mutex m_delivery;
};

} // namespace netdext::model

#endif
