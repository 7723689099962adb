// netdext-host: the process one dext runs in (DESIGN.md §1, §7). netdextd starts it with the
// control socket at fd 3; it loads the bundle's driver, runs it on its dispatch queues, and
// serves the control protocol (protocol/host_protocol.h) until the daemon stops it.
//
//   netdext-host --bundle PATH.dext [--class NAME] [--boot-args "k=v …"] [--wait-for-device]
//                [--address-space-limit BYTES] [--no-seccomp | --seccomp-report]
//   netdext-host --describe-device MODEL[,knob=value…]      (netdextd's device probe)
//
// Before it reads the bundle it installs the seccomp allow-list (daemon/sandbox/seccomp_policy.cpp)
// and, when asked, limits the address space the driver may add (docs/sandbox.md): the driver's
// static constructors already run confined.
//
// Threads: main (ControlLoop: receives), the runner's worker (DriverRunner: Start, driver calls,
// Stop), the doorbell thread of a registered interface (HostFamily), and the driver's own
// dispatch queues. All of them send through the one ControlLink.

#include "control_link.h"
#include "control_loop.h"
#include "device_host.h"
#include "driver_runner.h"
#include "host_family.h"

#include <DriverKit/IOReturn.h>
#include <netdext/bundle/bundle.h>
#include <netdext/family_port.h>
#include <netdext/runtime.h>

#include <seccomp_policy.h>
#include <netdext/version.h>

#include <CLI/CLI.hpp>

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

// LeakSanitizer's exit-time check stops the world with ptrace from a cloned helper: both are
// outside the seccomp allow-list, so a host under the filter skips it (sanitizer builds only; the
// host's leaks are still checked by host_tests, which run it with --no-seccomp).
namespace {
bool g_seccomp_installed = false;
}
extern "C" int __lsan_is_turned_off() { return g_seccomp_installed ? 1 : 0; }

namespace {

using namespace netdext;
using namespace netdext::host;

constexpr const char *kDescription =
    "netdext-host: the process a NetworkingDriverKit dext runs in.\n"
    "\n"
    "It loads the bundle's driver (dlopen of its executable), creates the personality's\n"
    "IOUserClass and runs Start, the network stack's calls and Stop on the driver's dispatch\n"
    "queues, talking to netdextd over the control socket it inherits at fd 3 (pools, rings and\n"
    "doorbells arrive there as memfds and eventfds). It is started by netdextd, not by hand; to\n"
    "try a driver without the daemon use netdext-sim.";

constexpr const char *kFooter =
    "Exit status: 0 stopped by netdextd (or netdextd went away), 1 protocol error, 2 the driver\n"
    "did not load or Start failed (--describe-device: the device could not be created),\n"
    "64 bad command line or no control socket at fd 3,\n"
    "65 the seccomp filter or the address-space limit could not be applied.";

constexpr int kExitSandbox = 65;

// The process's address space now (VmSize), before any driver code is mapped.
uint64_t address_space_bytes() {
    std::ifstream statm("/proc/self/statm");
    uint64_t pages = 0;
    statm >> pages;
    return pages * uint64_t(sysconf(_SC_PAGESIZE));
}

// RLIMIT_AS = what the host has mapped so far + what the driver may add. Measured from here so
// the figure means the same in sanitizer builds, whose shadow memory reserves terabytes.
bool limit_address_space(uint64_t driver_bytes) {
    uint64_t now = address_space_bytes();
    if (now == 0)
        return false;
    struct rlimit limit{now + driver_bytes, now + driver_bytes};
    return setrlimit(RLIMIT_AS, &limit) == 0;
}

// Forwards every log line to the daemon as a Log message; to standard error when it cannot.
void forward_logs(ControlLink &link) {
    set_log_sink([&link](const LogRecord &record) {
        protocol::Log message{};
        message.level = uint8_t(record.level);
        copy_string(message.text, record.message);
        if (link.send(message))
            return;
        std::string line = log_identity() + ": " + record.message + "\n";
        (void)!::write(STDERR_FILENO, line.data(), line.size());
    });
}

} // namespace

int main(int argc, char **argv) {
    CLI::App app(kDescription, "netdext-host");
    std::string bundle_path, class_name, boot_args, describe_spec;
    uint64_t address_space_limit = 0, registry_id_base = 0;
    bool no_seccomp = false, seccomp_report = false, wait_for_device = false;
    app.add_option("--bundle", bundle_path, "the .dext bundle to run");
    app.add_option("--class", class_name,
                   "the driver class to create (default: the first personality's IOUserClass)");
    app.add_option("--boot-args", boot_args,
                   "what IOParseBootArgNumber reads, e.g. \"ndks-enable=1 ndks-debug\"");
    app.add_option("--address-space-limit", address_space_limit,
                   "address space (bytes) the driver may map beyond the host's own (RLIMIT_AS); "
                   "0: no limit");
    app.add_option("--registry-id-base", registry_id_base,
                   "the first I/O Registry ID this process's services take (netdextd gives each "
                   "host its own block); 0: the runtime's default, 0x100000100");
    app.add_flag("--no-seccomp", no_seccomp,
                 "do not install the seccomp allow-list (netdextd --no-seccomp, for debugging)");
    app.add_flag("--seccomp-report", seccomp_report,
                 "report calls outside the allow-list on standard error and fail them with "
                 "ENOSYS instead of killing the host (netdextd --seccomp-report, to measure what "
                 "a driver needs)");
    app.add_flag("--wait-for-device", wait_for_device,
                 "start the driver only when netdextd attaches a simulated device (AttachDevice), "
                 "on the provider it matched (docs/devices.md)");
    app.add_option("--describe-device", describe_spec,
                   "create the device model MODEL[,knob=value…], send netdextd its providers as "
                   "matching sees them (DeviceDescription) and exit; no bundle is loaded");
    app.footer(kFooter);
    app.set_version_flag("--version", netdext::version_text("netdext-host"));
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError &error) {
        return app.exit(error) == 0 ? 0 : kExitUsage; // --help is not an error
    }

    if (bundle_path.empty() == describe_spec.empty()) {
        std::fprintf(stderr, "netdext-host: give --bundle PATH.dext or --describe-device SPEC "
                             "(see --help)\n");
        return kExitUsage;
    }

    // A closed standard error must not kill the driver (the channel sends with MSG_NOSIGNAL).
    ::signal(SIGPIPE, SIG_IGN);

    auto channel =
        shm::ipc::Channel::adopt(shm::UniqueFd(protocol::kHostControlFd), protocol::kProtocol);
    if (!channel) {
        std::fprintf(stderr,
                     "netdext-host: fd %d is not the control socket (%s).\n"
                     "netdext-host is started by netdextd with an AF_UNIX SOCK_SEQPACKET socket "
                     "at fd %d; it is not meant to be run by hand (see --help).\n",
                     protocol::kHostControlFd, channel.error().describe().c_str(),
                     protocol::kHostControlFd);
        return kExitUsage;
    }
    ControlLink link(channel.release_value());

    // From here on the process is confined: nothing below, and nothing of the driver's, may make
    // a system call outside the allow-list.
    if (address_space_limit != 0 && !limit_address_space(address_space_limit)) {
        std::perror("netdext-host: RLIMIT_AS");
        return kExitSandbox;
    }
    if (!no_seccomp) {
        sandbox::SeccompOptions seccomp;
        seccomp.report_denied = seccomp_report;
        if (auto installed = sandbox::install_seccomp_filter(seccomp); !installed) {
            std::fprintf(stderr, "netdext-host: seccomp: %s\n",
                         installed.error().describe().c_str());
            return kExitSandbox;
        }
        g_seccomp_installed = true;
    }

    if (!describe_spec.empty())
        return DeviceHost::describe(link, describe_spec);

    bundle::LoadError load_error;
    std::optional<bundle::Bundle> bundle = bundle::read_bundle(bundle_path, load_error);
    if (bundle && bundle->personalities.empty()) {
        load_error.message = bundle_path + ": Info.plist has no IOKitPersonalities";
        bundle.reset();
    }
    if (bundle && class_name.empty())
        class_name = bundle->personalities.front().user_class;

    protocol::Hello hello{};
    hello.protocol_version = protocol::kProtocolVersion;
    hello.pid = uint32_t(::getpid());
    copy_string(hello.bundle_id, bundle ? bundle->bundle_id : std::string());
    copy_string(hello.class_name, class_name);
    if (auto sent = link.send(hello); !sent) {
        std::fprintf(stderr, "netdext-host: sending Hello: %s\n", sent.error().describe().c_str());
        return kExitProtocolError;
    }
    set_log_identity(bundle ? bundle->bundle_id : std::string("netdext-host"));
    forward_logs(link);

    int status = kExitStartFailed;
    if (!bundle) {
        log_linef(LogLevel::error, "netdext-host: %s", load_error.message.c_str());
        (void)link.send(protocol::StartResult{kIOReturnNotFound, 0});
    } else if (auto exit_event = shm::EventFd::create(); !exit_event) {
        log_linef(LogLevel::error, "netdext-host: eventfd: %s",
                  exit_event.error().describe().c_str());
        (void)link.send(protocol::StartResult{kIOReturnNoResources, 0});
    } else {
        set_boot_args(boot_args); // only what netdextd passed, never the environment's
        if (registry_id_base != 0)
            set_registry_id_base(registry_id_base);
        HostFamily family(link);
        FamilyPort *previous = install_family_port(&family);
        ExitLatch exit(exit_event.release_value());
        {
            std::unique_ptr<DeviceHost> devices; // outlives the runner: it owns the provider
            DriverRunner runner(link, exit, [&family](uint32_t interface_id) {
                return family.copy_driver(interface_id);
            });
            if (wait_for_device)
                devices = std::make_unique<DeviceHost>(link, runner, std::move(*bundle));
            else
                runner.post_start(std::move(*bundle), class_name);
            ControlLoop loop(link, runner, exit, devices.get());
            status = loop.run();
        } // the runner's worker has finished: the driver is stopped and released
        install_family_port(previous);
    }
    set_log_sink(nullptr); // before the link goes away
    return status;
}
