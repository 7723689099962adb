// netdextd's drivers: starting, stopping and watching each extension's driver process, with its
// interface kept in an InterfaceSlot across processes (see daemon.h).

#include "daemon.h"

#include "daemon_log.h"

#include <algorithm>

namespace netdext::daemon {

using daemon_log::Level;
using daemon_log::say;

namespace {
enum SessionKind : uint64_t { kChannel = 5, kPidfd = 6, kFault = 7, kOutput = 8 }; // as daemon.cpp's Kind
} // namespace

Daemon::Driver &Daemon::add_driver(const std::string &key, const std::string &identifier,
                                   const std::string &bundle_path, bool ephemeral,
                                   const std::string &interface_name) {
    Driver &driver = m_drivers[key];
    driver.key = key;
    driver.identifier = identifier;
    driver.bundle_path = bundle_path;
    driver.ephemeral = ephemeral;
    if (!driver.slot)
        driver.slot = std::make_shared<InterfaceSlot>(m_options.name_prefix + "%d", interface_name,
                                                      m_options.capture_dir);
    return driver;
}

Daemon::Driver *Daemon::driver_of(const std::string &identifier) {
    for (auto &[key, driver] : m_drivers)
        if (driver.identifier == identifier && !driver.stopping)
            return &driver;
    for (auto &[key, driver] : m_drivers)
        if (driver.identifier == identifier)
            return &driver;
    return nullptr;
}

std::string Daemon::mac_owner(const Driver &asking, const MacAddress &mac) const {
    for (const auto &[key, driver] : m_drivers)
        if (std::string name; &driver != &asking && driver.slot && driver.slot->owns_mac(mac, &name))
            return name + " of " + driver.identifier;
    return "";
}

void Daemon::start_driver(Driver &driver) {
    driver.waiting.clear();
    if (driver.session) // a crashed one's epoll tag goes with it
        m_session_keys.erase(driver.serial);
    driver.session.reset();
    bundle::LoadError load_error;
    auto bundle = bundle::read_bundle(driver.bundle_path, load_error);
    if (!bundle) {
        driver.waiting = "cannot read its bundle: " + load_error.message;
        say(Level::error, driver.identifier, "", "%s", driver.waiting.c_str());
        return;
    }
    // Matching (DESIGN.md §6): IOUserResources personalities start at once; a personality for a
    // device waits until such a device exists.
    const bundle::Personality *match = nullptr;
    for (const bundle::Personality &p : bundle->personalities)
        if (p.provider_class == "IOUserResources" && (!match || p.probe_score > match->probe_score))
            match = &p;
    if (match == nullptr) // a simulated device bound to this driver (devices.cpp)
        match = device_personality(driver, *bundle);
    if (match == nullptr) {
        std::string providers;
        for (const bundle::Personality &p : bundle->personalities)
            providers += (providers.empty() ? "" : ", ") + p.provider_class;
        driver.waiting = "waiting for a matching device (IOProviderClass " + providers + ")";
        say(Level::notice, driver.identifier, "", "%s", driver.waiting.c_str());
        return;
    }
    SessionOptions options;
    options.bundle_path = driver.bundle_path;
    options.class_name = match->user_class;
    options.boot_args = driver.ephemeral ? driver.boot_args
                                         : m_extensions->effective_boot_args(
                                               *m_extensions->find_unique(driver.key));
    options.host_binary = m_options.host_binary;
    options.sandbox = m_options.sandbox;
    options.dext_logs = m_options.dext_logs;
    options.tap_io_uring = m_options.tap_io_uring;
    options.max_movers = m_options.max_movers;
    options.drop_limit = m_options.drop_limit;
    const std::string key = driver.key;
    options.wait_for_device = match->provider_class != "IOUserResources";
    options.on_device_message = [this, key](shm::ipc::ReceivedMessage &message) {
        return on_device_message(key, message);
    };
    options.on_interface = [this, key](const std::string &name) {
        std::string error;
        if (m_extensions && m_extensions->find_unique(key) &&
            !m_extensions->set_interface(key, name, error))
            say(Level::error, "", name, "recording the interface name: %s", error.c_str());
        auto it = m_drivers.find(key);
        if (it != m_drivers.end())
            changed(it->second.identifier);
    };
    options.mac_owner = [this, key](const MacAddress &mac) {
        auto it = m_drivers.find(key);
        return it == m_drivers.end() ? std::string() : mac_owner(it->second, mac);
    };
    if (!prepare_launch(driver, *bundle, *match, options)) // launch_identity.cpp
        return;
    driver.supervisor.set_settings(m_options.supervision.for_extension(driver.identifier));
    // A network personality (IOClass IOUserNetworkEthernet, the kernel's side of the driver
    // class) checks in only once it has registered its interface.
    driver.expects_interface = match->io_class == "IOUserNetworkEthernet";
    if (size_t crashes = driver.supervisor.crashes_last_day()) // XNU logs it at every launch
        say(Level::notice, driver.identifier, "", "Driver %s has crashed %zu time(s)",
            driver.identifier.c_str(), crashes);
    std::string error;
    driver.session = DextSession::launch(options, *bundle, *m_watcher, *m_route, driver.slot, error);
    if (!driver.session) {
        driver.waiting = "cannot start netdext-host: " + error;
        say(Level::error, driver.identifier, "", "%s", driver.waiting.c_str());
        return;
    }
    driver.supervisor.launched(driver.expects_interface);
    driver.serial = m_next_serial++;
    m_session_keys[driver.serial] = driver.key;
    add_fd(driver.session->channel_fd(), (driver.serial << 8) | kChannel);
    add_fd(driver.session->pidfd(), (driver.serial << 8) | kPidfd);
    add_fd(driver.session->fault_fd(), (driver.serial << 8) | kFault);
    if (driver.session->output_fd() >= 0) // the driver's stdout/stderr pipe (docs/sandbox.md)
        add_fd(driver.session->output_fd(), (driver.serial << 8) | kOutput);
    device_driver_started(driver); // AttachDevice, for a driver started on a device
    changed(driver.identifier);
}

void Daemon::stop_driver(const std::string &key, std::function<void()> after) {
    auto it = m_drivers.find(key);
    if (it == m_drivers.end()) {
        if (after)
            after();
        return;
    }
    Driver &driver = it->second;
    if (!driver.session || !driver.session->pidfd_running()) {
        m_session_keys.erase(driver.serial);
        driver.session.reset();
        driver.stopping = false;
        if (after)
            after();
        return;
    }
    driver.stopping = true;
    driver.after_stop = std::move(after);
    driver.kill_at = std::chrono::steady_clock::now() + m_options.stop_grace;
    driver.session->terminate();
    changed(driver.identifier);
}

void Daemon::on_session_event(uint64_t serial, uint64_t kind) {
    auto key = m_session_keys.find(serial);
    if (key == m_session_keys.end())
        return;
    auto it = m_drivers.find(key->second);
    if (it == m_drivers.end() || !it->second.session || it->second.serial != serial)
        return;
    Driver &driver = it->second;
    switch (kind) {
    case kChannel:
        driver.session->on_channel_readable();
        break;
    case kFault:
        driver.session->on_fault();
        changed(driver.identifier);
        break;
    case kOutput:
        driver.session->on_output_readable();
        break;
    case kPidfd:
        on_host_exit(driver);
        break;
    }
}

void Daemon::on_host_exit(Driver &driver) {
    driver.session->on_host_exit();
    if (driver.session->pidfd_running())
        return;
    remove_fd(driver.session->pidfd());
    if (driver.stopping) {
        // A stop we asked for: the process goes, the slot stays for whoever comes next.
        m_session_keys.erase(driver.serial);
        driver.session.reset();
        driver.stopping = false;
        driver.supervisor.stopped();
        auto after = std::move(driver.after_stop);
        driver.after_stop = nullptr;
        const std::string identifier = driver.identifier;
        if (after)
            after(); // may remove the driver
        changed(identifier);
        return;
    }
    on_driver_exit(driver); // count it; relaunch or quarantine (supervision.cpp)
    changed(driver.identifier);
}

void Daemon::check_deadlines() {
    const auto now = std::chrono::steady_clock::now();
    for (auto &[key, driver] : m_drivers)
        if (driver.stopping && driver.session && now >= driver.kill_at) {
            say(Level::warning, driver.identifier, driver.slot->name(),
                "the driver did not stop in time; killing netdext-host");
            driver.session->kill_host();
            driver.kill_at = now + m_options.stop_grace; // its pidfd reports the exit
        }
    if (m_stopping && now >= m_shutdown_deadline)
        for (auto &[key, driver] : m_drivers)
            if (driver.session)
                driver.session->kill_host();
    for (auto &[key, driver] : m_drivers)
        supervise(driver);
}

} // namespace netdext::daemon
