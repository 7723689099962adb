// netdext-host: the process one dext runs in (DESIGN.md §1, §7). netdextd starts it with the
// control socket at fd 3; it loads the bundle's driver, runs it on its dispatch queues, and
// serves the control protocol (protocol/host_protocol.h) until the daemon stops it.
//
//   netdext-host --bundle PATH.dext [--class NAME] [--boot-args "k=v …"]
//
// Threads: main (ControlLoop: receives), the runner's worker (DriverRunner: Start, driver calls,
// Stop), the doorbell thread of a registered interface (HostFamily), and the driver's own
// dispatch queues. All of them send through the one ControlLink.

#include "control_link.h"
#include "control_loop.h"
#include "driver_runner.h"
#include "host_family.h"

#include <DriverKit/IOReturn.h>
#include <netdext/bundle/bundle.h>
#include <netdext/family_port.h>
#include <netdext/runtime.h>

#include <netdext/version.h>

#include <CLI/CLI.hpp>

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <string>

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
    "did not load or Start failed, 64 bad command line or no control socket at fd 3.";

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
    std::string bundle_path, class_name, boot_args;
    app.add_option("--bundle", bundle_path, "the .dext bundle to run")->required();
    app.add_option("--class", class_name,
                   "the driver class to create (default: the first personality's IOUserClass)");
    app.add_option("--boot-args", boot_args,
                   "what IOParseBootArgNumber reads, e.g. \"ndks-enable=1 ndks-debug\"");
    app.footer(kFooter);
    app.set_version_flag("--version", netdext::version_text("netdext-host"));
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError &error) {
        return app.exit(error) == 0 ? 0 : kExitUsage; // --help is not an error
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
        HostFamily family(link);
        FamilyPort *previous = install_family_port(&family);
        ExitLatch exit(exit_event.release_value());
        {
            DriverRunner runner(link, exit);
            runner.post_start(std::move(*bundle), class_name);
            ControlLoop loop(link, runner, exit);
            status = loop.run();
        } // the runner's worker has finished: the driver is stopped and released
        install_family_port(previous);
    }
    set_log_sink(nullptr); // before the link goes away
    return status;
}
