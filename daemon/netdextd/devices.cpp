// netdextd's simulated devices (docs/devices.md, "Devices under netdextd"): `netdextctl device
// attach/detach/set/list`, matching a device against the drivers that wait for one, starting the
// winner on it, and its cable (daemon/devices/).
//
//   device attach SPEC ─ a sandboxed probe (netdext-host --describe-device) reports the
//       device's providers → choose_driver() over every driver waiting for a device → the
//       transport entitlement → the cable's TAP and pump → start_driver(): netdext-host
//       --wait-for-device, then AttachDevice (the spec, the personality, the cable socket) → the
//       host builds the model beside the driver and starts it on the provider → DeviceAttached.
//   device detach ID ─ DetachDevice (surprise removal: the host's in-flight I/O fails, the driver
//       is stopped, the host exits) → the TAP goes, the driver waits for a device again; its
//       interface stays with the carrier off.
//   device set ID knob=value ─ SetDeviceKnob to the host → DeviceKnobSet.
//   device list ─ QueryDevice to each host → the model's counters, with the cable's.
//
// The model lives in its driver's host: when that host ends (a crash, `netdextctl restart`) the
// device stays bound to the driver, and the next host of that driver gets a freshly made one on
// the same cable — as hardware that is power-cycled with its driver.

#include "daemon.h"

#include "daemon_log.h"
#include "request_args.h"
#include "device_match.h"
#include "device_state.h"

#include <unistd.h>

#include <algorithm>

namespace netdext::daemon {

using control_server::Need;
using control_server::Request;
using control_server::Responder;
using daemon_log::Level;
using daemon_log::say;
using nlohmann::json;

namespace {

constexpr uint64_t kDeviceProbeKind = 11; // daemon.cpp's Kind: a device probe's channel

// IOReturn.h's values (the daemon does not include the SDK): what a driver author knows.
using kern_return_t = int32_t;
constexpr kern_return_t iokit_error(uint32_t code) { return kern_return_t(0xE0000000u | code); }
constexpr kern_return_t kIOReturnNoResources = iokit_error(0x2be);
constexpr kern_return_t kIOReturnNoDevice = iokit_error(0x2c0);
constexpr kern_return_t kIOReturnBadArgument = iokit_error(0x2c2);
constexpr kern_return_t kIOReturnUnsupported = iokit_error(0x2c7);
constexpr kern_return_t kIOReturnBusy = iokit_error(0x2d5);
constexpr kern_return_t kIOReturnNotPermitted = iokit_error(0x2e2);
constexpr kern_return_t kIOReturnNotResponding = iokit_error(0x2ed);
constexpr kern_return_t kIOReturnNotFound = iokit_error(0x2f0);
constexpr auto kHostReplyTimeout = std::chrono::seconds(10);
constexpr const char *kDevicesDomain = "netdext.devices";

const char *return_name(kern_return_t status) {
    switch (status) {
    case kIOReturnBadArgument: return "kIOReturnBadArgument";
    case kIOReturnUnsupported: return "kIOReturnUnsupported";
    case kIOReturnNotPermitted: return "kIOReturnNotPermitted";
    case kIOReturnNotFound: return "kIOReturnNotFound";
    case kIOReturnBusy: return "kIOReturnBusy";
    case kIOReturnNoDevice: return "kIOReturnNoDevice";
    case kIOReturnNotResponding: return "kIOReturnNotResponding";
    case kIOReturnNoResources: return "kIOReturnNoResources";
    default: return "kIOReturnError";
    }
}

void fail(Responder &respond, kern_return_t status, const std::string &reason) {
    respond.finish("failed", {{"error", control::make_error(kDevicesDomain, int(status),
                                                            return_name(status), reason)}});
}

// A device ID from a request: a positive integer, as a number or as text.
uint64_t device_id_arg(const json &message) {
    auto it = message.find("id");
    if (it == message.end())
        return 0;
    if (it->is_number_unsigned())
        return it->get<uint64_t>();
    if (it->is_string()) {
        const std::string &text = it->get_ref<const std::string &>();
        if (!text.empty() && text.size() < 20 &&
            std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return std::stoull(text);
    }
    return 0;
}

// The device a request names by "id", or nullptr after failing the request.
AttachedDevice *requested_device(DeviceState &state, const json &message, Responder &respond) {
    const uint64_t id = device_id_arg(message);
    auto it = state.devices.find(id);
    if (it != state.devices.end())
        return &it->second;
    fail(respond, kIOReturnNotFound,
         "no device " + std::to_string(id) + " is attached (netdextctl device list)");
    return nullptr;
}

} // namespace

// ---- requests ------------------------------------------------------------------------------

void Daemon::register_device_requests() {
    m_device_state = std::make_shared<DeviceState>();
    auto &server = *m_control;
    server.handle("device_attach", Need::admin, [this](Request &r) { device_attach(r); });
    server.handle("device_detach", Need::admin, [this](Request &r) {
        Responder respond = r.respond;
        AttachedDevice *device = requested_device(*m_device_state, r.message, respond);
        if (device == nullptr)
            return;
        if (device->removing)
            return fail(respond, kIOReturnBusy, "device " + std::to_string(device->id) +
                                                    " is already being removed");
        detach_device(device->id, [respond](const json &gone) mutable {
            respond.completed({{"device", gone}});
        });
    });
    server.handle("device_set", Need::admin, [this](Request &r) { device_set(r); });
    server.handle("device_list", Need::anyone, [this](Request &r) { device_list(r); });
}

void Daemon::device_attach(Request &request) {
    Responder respond = request.respond;
    std::string error;
    auto spec = devices::parse_device_spec(text_arg(request.message, "spec"), error);
    if (!spec)
        return fail(respond, kIOReturnBadArgument, error);
    auto wire = devices::parse_wire_spec(text_arg(request.message, "wire"), error);
    if (!wire)
        return fail(respond, kIOReturnBadArgument, error);
    if (m_stopping)
        return fail(respond, kIOReturnNotPermitted, "netdextd is stopping");
    const uint64_t serial = m_device_state->next_probe++;
    auto probe = DeviceProbe::start(spec->text, m_options.host_binary, m_options.sandbox, serial,
                                    error);
    if (!probe)
        return fail(respond, kIOReturnNoResources, error);
    say(Level::info, "", "", "device attach %s: probing it", spec->text.c_str());
    add_fd(probe->fd(), (serial << 8) | kDeviceProbeKind);
    m_device_state->probes[serial] =
        PendingProbe{std::move(probe), respond, std::move(*spec), std::move(*wire)};
}

void Daemon::on_device_event(uint64_t serial, uint64_t kind) {
    if (kind != kDeviceProbeKind)
        return;
    auto it = m_device_state->probes.find(serial);
    if (it == m_device_state->probes.end())
        return;
    const int fd = it->second.probe->fd();
    if (!it->second.probe->on_readable())
        return;
    remove_fd(fd);
    PendingProbe pending = std::move(it->second);
    m_device_state->probes.erase(it);
    probe_answered(pending);
}

// The probe has described the device (or failed): match it and start the winner.
void Daemon::probe_answered(PendingProbe &pending) {
    Responder &respond = pending.respond;
    const DeviceProbe &probe = *pending.probe;
    if (!probe.result()) {
        say(Level::notice, "", "", "device attach %s refused: %s", pending.spec.text.c_str(),
            probe.error().c_str());
        return fail(respond, kIOReturnBadArgument, probe.error());
    }
    const devices::DeviceDescription &description = *probe.result();

    // Every driver that could take a device, each with its bundle as it is on disk now.
    std::vector<bundle::Bundle> bundles;
    std::vector<const Driver *> drivers;
    bundles.reserve(m_drivers.size());
    for (const auto &[key, driver] : m_drivers) {
        bundle::LoadError ignored;
        auto read = bundle::read_bundle(driver.bundle_path, ignored);
        if (!read)
            continue;
        bundles.push_back(std::move(*read));
        drivers.push_back(&driver);
    }
    std::vector<devices::DriverCandidate> candidates;
    for (size_t i = 0; i < drivers.size(); ++i) {
        const Driver &driver = *drivers[i];
        std::string busy;
        for (const auto &[id, device] : m_device_state->devices)
            if (device.driver_key == driver.key)
                busy = "already drives device " + std::to_string(id);
        if (busy.empty() && driver.stopping)
            busy = "is stopping";
        else if (busy.empty() && driver.session && driver.session->pidfd_running())
            busy = "is already running";
        candidates.push_back({driver.key, driver.identifier, &bundles[i], busy});
    }
    devices::MatchDecision decision =
        devices::choose_driver(description.providers, candidates, description.model);
    for (const std::string &line : decision.log)
        say(Level::info, "", "", "matching %s: %s", pending.spec.text.c_str(), line.c_str());
    if (!decision.entitled) {
        say(Level::notice, decision.matched ? candidates[decision.candidate].identifier : "", "",
            "device attach %s refused: %s", pending.spec.text.c_str(), decision.reason.c_str());
        return fail(respond, decision.matched ? kIOReturnNotPermitted : kIOReturnUnsupported,
                    decision.reason);
    }

    AttachedDevice device;
    device.id = m_device_state->next_id;
    device.spec = pending.spec;
    device.description = description;
    device.driver_key = candidates[decision.candidate].key;
    device.identifier = candidates[decision.candidate].identifier;
    device.personality = decision.personality->name;
    device.provider = decision.provider;
    if (pending.wire.kind == devices::WireSpec::Kind::tap) {
        tap::TapDevice::Options options;
        options.batched_io = false; // only its fd is used (the cable's pump)
        auto tap = tap::TapDevice::create(pending.wire.name, options);
        if (!tap)
            return fail(respond, kIOReturnNoResources,
                        "the cable's TAP " + pending.wire.name + ": " +
                            tap.error().describe());
        UniqueFd frames(dup(tap.value().fd()));
        auto wire = devices::DeviceWire::create(std::move(frames));
        if (!wire)
            return fail(respond, kIOReturnNoResources,
                        "the cable's pump: " + wire.error().describe());
        device.tap.emplace(tap.release_value());
        device.wire = wire.release_value();
    }
    device.attach_request = respond;
    ++m_device_state->next_id;
    const uint64_t id = device.id;
    say(Level::notice, device.identifier, "",
        "device %llu (%s) matched personality %s on %s (score %lld)%s%s",
        (unsigned long long)id, device.spec.text.c_str(), device.personality.c_str(),
        devices::describe_provider(description.providers[device.provider]).c_str(),
        (long long)decision.score, device.tap ? "; cable on " : "",
        device.tap ? device.tap->name().c_str() : "");
    const std::string key = device.driver_key;
    m_device_state->devices.emplace(id, std::move(device));
    Driver &driver = m_drivers.at(key);
    start_driver(driver); // → device_personality(), then device_driver_started()
    if (!driver.session) {
        const std::string why = driver.waiting;
        m_device_state->devices.at(id).attach_request.reset(); // answered here
        forget_device(id);
        start_driver(driver); // back to waiting for a device
        return fail(respond, kIOReturnNoResources, "the driver did not start: " + why);
    }
}

void Daemon::device_set(Request &request) {
    Responder respond = request.respond;
    AttachedDevice *found = requested_device(*m_device_state, request.message, respond);
    if (found == nullptr)
        return;
    AttachedDevice &device = *found;
    const uint64_t id = device.id;
    std::string error;
    auto knob = devices::parse_knob(text_arg(request.message, "knob"), error);
    if (!knob)
        return fail(respond, kIOReturnBadArgument, error);
    DextSession *session = device_session(device);
    if (session == nullptr || !device.attached || device.removing)
        return fail(respond, kIOReturnNotResponding,
                    "device " + std::to_string(id) +
                        " has no running driver to reach its model (its driver's process holds it)");
    protocol::SetDeviceKnob message{};
    knob->first.copy(message.name, sizeof message.name - 1);
    knob->second.copy(message.value, sizeof message.value - 1);
    const uint64_t sequence = session->send_device(message);
    if (sequence == 0)
        return fail(respond, kIOReturnNotResponding, "the driver's host cannot be reached");
    std::string name = knob->first, value = knob->second; // (Clang 14 cannot capture bindings)
    m_device_state->queries.push_back(HostQuery{
        device.session_serial, sequence, protocol::DeviceKnobSet::kType,
        std::chrono::steady_clock::now() + kHostReplyTimeout,
        [this, respond, id, name, value](const shm::ipc::ReceivedMessage *reply) mutable {
            if (reply == nullptr)
                return fail(respond, kIOReturnNotResponding, "the driver's host did not answer");
            auto set = reply->as<protocol::DeviceKnobSet>();
            if (!set || set.value().status != 0)
                return fail(respond, kIOReturnBadArgument,
                            set ? devices::printable_text(set.value().error) : "a bad reply");
            auto device = m_device_state->devices.find(id);
            if (device != m_device_state->devices.end()) {
                device->second.knobs[name] = value;
                say(Level::notice, device->second.identifier, "", "device %llu: %s=%s",
                    (unsigned long long)id, name.c_str(), value.c_str());
            }
            respond.result({{"id", id}, {"knob", name}, {"value", value}});
        }});
}

void Daemon::device_list(Request &request) {
    // Each running device's counters come from its host; the answer goes once all replied.
    struct Gather {
        Responder respond;
        json devices = json::array();
        size_t waiting = 0;
    };
    auto gather = std::make_shared<Gather>();
    gather->respond = request.respond;
    auto finish = [gather] {
        if (gather->waiting == 0)
            gather->respond.result({{"devices", gather->devices}});
    };
    for (auto &[id, device] : m_device_state->devices) {
        const size_t index = gather->devices.size();
        gather->devices.push_back(device_json(device));
        DextSession *session = device_session(device);
        if (session == nullptr || !device.attached)
            continue;
        const uint64_t sequence = session->send_device(protocol::QueryDevice{});
        if (sequence == 0)
            continue;
        ++gather->waiting;
        m_device_state->queries.push_back(HostQuery{
            device.session_serial, sequence, protocol::DeviceCounters::kType,
            std::chrono::steady_clock::now() + std::chrono::seconds(3),
            [gather, index, finish](const shm::ipc::ReceivedMessage *reply) {
                json &entry = gather->devices[index];
                std::optional<protocol::DeviceCounters> counters;
                if (reply != nullptr)
                    if (auto decoded = reply->as<protocol::DeviceCounters>(); decoded)
                        counters = decoded.value();
                const size_t needed = offsetof(protocol::DeviceCounters, entries) +
                                      (counters ? size_t(counters->count) : 0) *
                                          sizeof(protocol::DeviceCounters::Entry);
                if (!counters || counters->count > protocol::DeviceCounters::kMaxEntries ||
                    reply->payload().size() < needed) {
                    entry["note"] = "its host did not report counters";
                } else {
                    json model = json::object();
                    for (uint32_t i = 0; i < counters->count; ++i)
                        model[devices::printable_text(counters->entries[i].name)] =
                            counters->entries[i].value;
                    entry["counters"] = model;
                    entry["removed"] = counters->removed != 0;
                }
                --gather->waiting;
                finish();
            }});
    }
    finish();
}

// ---- binding devices to drivers --------------------------------------------------------------

// start_driver() asks: the personality to start `driver` with because a device is bound to it
// (matched again against the bundle as it is now), or nullptr.
const bundle::Personality *Daemon::device_personality(Driver &driver,
                                                      const bundle::Bundle &bundle) {
    if (!m_device_state)
        return nullptr;
    for (auto &[id, device] : m_device_state->devices) {
        if (device.driver_key != driver.key || device.removing)
            continue;
        devices::DriverCandidate self{driver.key, driver.identifier, &bundle, ""};
        devices::MatchDecision again = devices::choose_driver(device.description.providers,
                                                              {self}, device.description.model);
        if (again.entitled) {
            device.personality = again.personality->name;
            device.provider = again.provider;
            return again.personality;
        }
        say(Level::notice, driver.identifier, "", "device %llu is no longer driven by it: %s",
            (unsigned long long)id, again.reason.c_str());
        forget_device(id);
        return nullptr;
    }
    return nullptr;
}

// start_driver() launched the host of a driver with a device: send it the device and its cable.
void Daemon::device_driver_started(Driver &driver) {
    if (!m_device_state || !driver.session)
        return;
    for (auto &[id, device] : m_device_state->devices) {
        if (device.driver_key != driver.key || device.removing)
            continue;
        device.attached = false;
        device.session_serial = driver.serial;
        device.knobs.clear(); // a new host makes the model afresh from its spec
        protocol::AttachDevice message{};
        device.spec.text.copy(message.spec, sizeof message.spec - 1);
        device.personality.copy(message.personality, sizeof message.personality - 1);
        UniqueFd cable;
        if (device.wire) {
            auto connected = device.wire->connect();
            if (connected)
                cable = connected.release_value();
            else
                device.note = "the cable: " + connected.error().describe();
        }
        int fd = cable.get();
        const uint64_t sequence = driver.session->send_device(
            message, cable.is_valid() ? std::span<const int>(&fd, 1) : std::span<const int>());
        if (sequence == 0) {
            device.note = "AttachDevice could not be sent";
            return;
        }
        m_device_state->queries.push_back(HostQuery{
            driver.serial, sequence, protocol::DeviceAttached::kType,
            std::chrono::steady_clock::now() + kHostReplyTimeout,
            [this, id = id](const shm::ipc::ReceivedMessage *reply) { device_attached(id, reply); }});
        return;
    }
}

// The host's DeviceAttached (nullptr: none came).
void Daemon::device_attached(uint64_t id, const shm::ipc::ReceivedMessage *reply) {
    auto it = m_device_state->devices.find(id);
    if (it == m_device_state->devices.end())
        return;
    AttachedDevice &device = it->second;
    std::optional<protocol::DeviceAttached> attached;
    if (reply != nullptr)
        if (auto decoded = reply->as<protocol::DeviceAttached>(); decoded)
            attached = decoded.value();
    if (attached && attached->status == 0) {
        device.attached = true;
        device.note.clear();
        say(Level::notice, device.identifier, "", "device %llu attached: %s started on it",
            (unsigned long long)id, device.personality.c_str());
        if (device.attach_request) {
            Responder respond = *device.attach_request;
            device.attach_request.reset();
            respond.completed({{"device", device_json(device)}});
        }
        changed(device.identifier);
        return;
    }
    const kern_return_t status = attached ? attached->status : kIOReturnNotResponding;
    std::string why = !reply      ? std::string("the driver's host did not take the device")
                      : !attached ? std::string("a malformed DeviceAttached")
                                  : "the driver's host refused it: " +
                                        devices::printable_text(attached->reason);
    say(Level::error, device.identifier, "", "device %llu: %s", (unsigned long long)id,
        why.c_str());
    device.note = why;
    if (device.attach_request) {
        // A new attachment that failed is undone; a relaunch's keeps the device for the next.
        Responder respond = *device.attach_request;
        device.attach_request.reset();
        fail(respond, status, why);
        detach_device(id, nullptr);
    }
}

DextSession *Daemon::device_session(const AttachedDevice &device) {
    auto it = m_drivers.find(device.driver_key);
    if (it == m_drivers.end() || !it->second.session || it->second.serial != device.session_serial ||
        !it->second.session->pidfd_running() || it->second.session->finished())
        return nullptr;
    return it->second.session.get();
}

// Surprise removal: the model goes away under its driver, which is then stopped; its host exits
// and the driver waits for a device again. `done` gets the device as it was.
void Daemon::detach_device(uint64_t id, std::function<void(const json &)> done) {
    auto it = m_device_state->devices.find(id);
    if (it == m_device_state->devices.end())
        return;
    AttachedDevice &device = it->second;
    device.removing = true;
    const json before = device_json(device);
    const std::string key = device.driver_key;
    say(Level::notice, device.identifier, "", "device %llu (%s) detached: surprise removal",
        (unsigned long long)id, device.spec.text.c_str());
    auto finish = [this, id, key, before, done] {
        forget_device(id);
        if (auto driver = m_drivers.find(key); driver != m_drivers.end() && !driver->second.session)
            start_driver(driver->second); // nothing bound: it waits for a matching device again
        if (done)
            done(before);
    };
    if (DextSession *session = device_session(device)) {
        (void)session->send_device(protocol::DetachDevice{});
        stop_driver(key, finish); // the host stops its driver after the removal and exits
        return;
    }
    finish();
}

void Daemon::forget_device(uint64_t id) {
    auto it = m_device_state->devices.find(id);
    if (it == m_device_state->devices.end())
        return;
    if (it->second.attach_request) {
        Responder respond = *it->second.attach_request;
        it->second.attach_request.reset();
        fail(respond, kIOReturnNoDevice, "the device went away");
    }
    m_device_state->devices.erase(it); // stops the pump, deletes the TAP
}

// A driver is uninstalled (`new_key` empty: its devices go) or replaced by another version,
// which inherits them (matched again when it starts).
void Daemon::rebind_devices(const std::string &old_key, const std::string &new_key) {
    if (!m_device_state)
        return;
    std::vector<uint64_t> gone;
    for (auto &[id, device] : m_device_state->devices) {
        if (device.driver_key != old_key)
            continue;
        if (new_key.empty())
            gone.push_back(id);
        else
            device.driver_key = new_key;
    }
    for (uint64_t id : gone) {
        say(Level::notice, "", "", "device %llu is removed with its driver",
            (unsigned long long)id);
        forget_device(id);
    }
}

bool Daemon::on_device_message(const std::string &key, shm::ipc::ReceivedMessage &message) {
    auto driver = m_drivers.find(key);
    if (driver == m_drivers.end() || !(message.header().flags & shm::ipc::kMessageFlagReply))
        return false; // a host sends device messages only as replies
    const uint64_t serial = driver->second.serial;
    auto &queries = m_device_state->queries;
    auto it = std::find_if(queries.begin(), queries.end(), [&](const HostQuery &q) {
        return q.serial == serial && q.sequence == message.header().sequence;
    });
    if (it == queries.end())
        return true; // a reply after its request gave up
    if (it->reply_type != message.type())
        return false;
    HostQuery query = std::move(*it);
    queries.erase(it);
    query.done(&message);
    return true;
}

// ---- time ------------------------------------------------------------------------------------

std::chrono::steady_clock::time_point Daemon::device_deadline() const {
    auto soonest = std::chrono::steady_clock::time_point::max();
    if (!m_device_state)
        return soonest;
    for (const auto &[serial, pending] : m_device_state->probes)
        soonest = std::min(soonest, pending.probe->deadline());
    for (const HostQuery &query : m_device_state->queries)
        soonest = std::min(soonest, query.deadline);
    return soonest;
}

void Daemon::check_device_deadlines() {
    if (!m_device_state)
        return;
    const auto now = std::chrono::steady_clock::now();
    for (auto it = m_device_state->probes.begin(); it != m_device_state->probes.end();) {
        if (now < it->second.probe->deadline()) {
            ++it;
            continue;
        }
        remove_fd(it->second.probe->fd());
        it->second.probe->time_out();
        PendingProbe pending = std::move(it->second);
        it = m_device_state->probes.erase(it);
        probe_answered(pending);
    }
    // Host queries whose host will not answer: the deadline, or the session has gone.
    auto alive = [this](uint64_t serial) {
        auto key = m_session_keys.find(serial);
        if (key == m_session_keys.end())
            return false;
        auto driver = m_drivers.find(key->second);
        return driver != m_drivers.end() && driver->second.session &&
               driver->second.serial == serial && driver->second.session->pidfd_running();
    };
    std::vector<HostQuery> expired;
    auto &queries = m_device_state->queries;
    for (auto it = queries.begin(); it != queries.end();) {
        if (now >= it->deadline || !alive(it->serial)) {
            expired.push_back(std::move(*it));
            it = queries.erase(it);
        } else {
            ++it;
        }
    }
    for (HostQuery &query : expired)
        query.done(nullptr);
}

// ---- JSON ----------------------------------------------------------------------------------

json Daemon::device_json(const AttachedDevice &device) const {
    json out;
    out["id"] = device.id;
    out["spec"] = device.spec.text;
    out["model"] = device.description.model;
    out["bus"] = device.description.bus;
    out["provider"] = devices::describe_provider(device.description.providers[device.provider]);
    out["driver"] = device.identifier;
    out["personality"] = device.personality;
    out["knobs"] = device.knobs;
    std::string state = device.removing ? "removing" : device.attached ? "attached" : "attaching";
    std::string interface;
    auto driver = m_drivers.find(device.driver_key);
    if (driver != m_drivers.end()) {
        const DextSession *s = driver->second.session.get();
        if (!device.removing && (!s || !s->pidfd_running() || s->finished()))
            state = std::string("driver not running") +
                    (s ? " (" + std::string(s->state_name()) +
                             (s->state_reason().empty() ? "" : ": " + s->state_reason()) + ")"
                       : "");
        if (driver->second.slot->has_interface())
            interface = driver->second.slot->name();
    }
    out["state"] = state;
    out["interface"] = interface;
    if (!device.note.empty())
        out["note"] = device.note;
    json wire = {{"kind", device.tap ? "tap" : "none"}};
    if (device.tap) {
        wire["name"] = device.tap->name();
        wire["ifindex"] = device.tap->ifindex();
    }
    if (device.wire) {
        const devices::DeviceWire::Counters c = device.wire->counters();
        wire["connected"] = device.wire->connected();
        wire["counters"] = {{"to_device", c.to_device},
                            {"to_device_drops", c.to_device_drops},
                            {"from_device", c.from_device},
                            {"refused", c.refused},
                            {"tap_errors", c.tap_errors}};
    }
    out["wire"] = wire;
    return out;
}

} // namespace netdext::daemon
