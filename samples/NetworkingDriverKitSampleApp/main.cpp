// NetworkingDriverKitSampleApp — the seed's installer app: it carries the NetworkingDriverKitSample
// dext in Contents/Library/SystemExtensions and installs it through the SystemExtensions API.
// Its window ("Driver Manager") is a page served on 127.0.0.1; --activate, --deactivate and
// --status do the same on a terminal (docs/apps.md).

#include "DriverLoader.h"
#include "WebWindow.h"

#include <SystemExtensions/SystemExtensions.h>
#include <netdext/sysext/interfaces.h>
#include <netdext/version.h>

#include <CLI/CLI.hpp>

#include <signal.h>
#include <stdlib.h>

#include <cstdio>
#include <future>
#include <iostream>
#include <thread>

#ifndef SAMPLE_DEXT_IDENTIFIER
#error "SAMPLE_DEXT_IDENTIFIER: the dext's bundle ID, from CMake"
#endif

namespace {

constexpr const char *kDextIdentifier = SAMPLE_DEXT_IDENTIFIER;

enum Exit { ok = 0, refused = 1, timed_out = 2, unreachable = 3 };

// --status: one properties request, as an app would make it, and the interface from netdextd.
class StatusDelegate : public OSSystemExtensionRequestDelegate {
public:
    std::promise<int> done;
    OSSystemExtensionRequest::ReplacementAction
    actionForReplacingExtension(OSSystemExtensionRequest &, const OSSystemExtensionProperties &,
                                const OSSystemExtensionProperties &) override {
        return OSSystemExtensionRequest::ReplacementAction::cancel; // never asked for properties
    }
    void requestNeedsUserApproval(OSSystemExtensionRequest &) override {}
    void didFinishWithResult(OSSystemExtensionRequest &,
                             OSSystemExtensionRequest::Result) override {}
    void didFailWithError(OSSystemExtensionRequest &, const NSError &error) override {
        std::cerr << "NetworkingDriverKitSampleApp: " << error.localizedDescription() << "\n";
        done.set_value(error.domain() == NSCocoaErrorDomain ? unreachable : refused);
    }
    void foundProperties(OSSystemExtensionRequest &,
                         const std::vector<OSSystemExtensionProperties> &found) override {
        if (found.empty())
            std::cout << kDextIdentifier << ": not installed\n";
        for (const auto &p : found)
            std::cout << p.bundleIdentifier() << " " << p.bundleShortVersion() << " ("
                      << p.bundleVersion() << "): " << p.stateText() << "\n";
        std::string error;
        if (auto drivers = netdext::sysext::driver_status(kDextIdentifier, error))
            for (const auto &driver : *drivers)
                for (const auto &i : driver.interfaces)
                    std::cout << "  interface " << i.name << ": link "
                              << (i.carrier ? "active" : "inactive") << ", MTU " << i.mtu << "\n";
        done.set_value(ok);
    }
};

int status() {
    auto delegate = std::make_shared<StatusDelegate>();
    auto answer = delegate->done.get_future();
    auto request = OSSystemExtensionRequest::propertiesRequestForExtension(
        kDextIdentifier, netdext::sysext::DispatchQueue::create("status"));
    request->setDelegate(delegate);
    OSSystemExtensionManager::shared().submitRequest(request);
    return answer.get();
}

// --activate / --deactivate: the window's logic without the window; each change on a line.
int headless(bool activate, bool keep_installed, double timeout_seconds) {
    DriverLoader::Options options;
    options.identifier = kDextIdentifier;
    options.ask_replacement = false;
    options.replacement = keep_installed ? OSSystemExtensionRequest::ReplacementAction::cancel
                                         : OSSystemExtensionRequest::ReplacementAction::replace;
    options.poll = std::chrono::milliseconds(500);
    auto loader = DriverLoader::create(options);
    std::string printed;
    loader->set_listener([&printed](const DriverSnapshot &s) {
        std::string line = std::string(state_label(s.state)) + ": " + s.text;
        if (s.question)
            line = "Replacing: the installed " + s.question->installed + " with " +
                   s.question->offered;
        if (line != printed && !s.last_request.empty())
            std::cout << kDextIdentifier << ": " << line << std::endl;
        printed = line;
    });
    const auto until = std::chrono::steady_clock::now() +
                       std::chrono::milliseconds(int64_t(timeout_seconds * 1000));
    auto time_left = [&] {
        return timeout_seconds <= 0 || std::chrono::steady_clock::now() < until;
    };
    loader->start();
    DriverSnapshot s = loader->snapshot(); // what is installed decides what may be done
    while (!s.observed && time_left())
        s = loader->wait_for_change(s.version, std::chrono::milliseconds(200));
    if (!s.unreachable.empty()) {
        std::cerr << "NetworkingDriverKitSampleApp: " << s.unreachable << "\n";
        loader->stop();
        return unreachable;
    }
    activate ? loader->install() : loader->deactivate();
    while (time_left() && (s.last_request.empty() || s.last_outcome == "pending"))
        s = loader->wait_for_change(s.version, std::chrono::milliseconds(200));
    if (s.last_outcome == "completed" && activate) {
        // The interface comes once the driver has registered it.
        const auto interface_until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (s.interfaces.empty() && std::chrono::steady_clock::now() < interface_until)
            s = loader->wait_for_change(s.version, std::chrono::milliseconds(200));
        for (const auto &i : s.interfaces)
            std::cout << kDextIdentifier << ": interface " << i.name << ", link "
                      << (i.carrier ? "active" : "inactive") << std::endl;
    }
    loader->stop();
    if (s.last_outcome == "completed")
        return ok;
    if (s.last_request.empty() || s.last_outcome == "pending") {
        std::cerr << "NetworkingDriverKitSampleApp: "
                  << (s.last_request.empty()
                          ? "nothing to " + std::string(activate ? "activate" : "deactivate") +
                                " in the state \"" + state_label(s.state) + "\""
                          : "no answer within the timeout")
                  << "\n";
        return s.last_request.empty() ? refused : timed_out;
    }
    const std::string why = activate ? s.error : s.notice;
    std::cerr << "NetworkingDriverKitSampleApp: " << why << "\n";
    return why.find("netdextd cannot be reached") == 0 ? unreachable : refused;
}

int window(int port) {
    // SIGINT and SIGTERM end the window; a thread of its own waits for them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    const std::string bundle = netdext::sysext::main_bundle_path();
    if (bundle.empty()) {
        std::cerr << "NetworkingDriverKitSampleApp: run me from my app bundle "
                     "(NetworkingDriverKitSampleApp.app/Contents/MacOS/)\n";
        return refused;
    }
    DriverLoader::Options options;
    options.identifier = kDextIdentifier;
    auto loader = DriverLoader::create(options);
    std::string error;
    auto web = WebWindow::create(loader, bundle + "/Contents/Resources", port, error);
    if (!web) {
        std::cerr << "NetworkingDriverKitSampleApp: " << error << "\n";
        return refused;
    }
    loader->start();
    std::thread waiter([&] {
        int signal_number = 0;
        sigwait(&stop_signals, &signal_number);
        web->stop();
    });
    std::cout << "Driver Manager: http://127.0.0.1:" << web->port() << "/" << std::endl;
    const bool served = web->run();
    if (!served) { // ended by itself: let the waiter go
        kill(getpid(), SIGTERM);
    }
    waiter.join();
    loader->stop();
    return served ? ok : refused;
}

} // namespace

int main(int argc, char **argv) {
    CLI::App app{"NetworkingDriverKitSampleApp — the Driver Manager: installs the "
                 "NetworkingDriverKitSample driver, which this app carries, as a system extension "
                 "through netdextd. Without a mode it serves its window on 127.0.0.1 and prints "
                 "the address.",
                 "NetworkingDriverKitSampleApp"};
    bool activate = false, deactivate = false, show_status = false, keep_installed = false;
    int port = 0;
    double timeout = 0;
    std::string socket;
    auto *modes = app.add_option_group("mode", "instead of the window (headless machines)");
    modes->add_flag("--activate", activate,
                    "Install the driver and wait until it is activated or refused");
    modes->add_flag("--deactivate", deactivate, "Remove the driver and wait until it is gone");
    modes->add_flag("--status", show_status, "Print what is installed and its interface");
    modes->require_option(0, 1);
    app.add_option("--port", port, "The window's port on 127.0.0.1 (0: any free one)")
        ->check(CLI::Range(0, 65535))
        ->capture_default_str();
    app.add_option("--socket", socket,
                   "netdextd's control socket (default: $NETDEXT_SOCKET, else "
                   "/run/netdext/netdextd.sock)");
    app.add_flag("--keep-installed", keep_installed,
                 "--activate: keep another installed version instead of replacing it");
    app.add_option("--timeout", timeout,
                   "--activate/--deactivate: give up after this many seconds (0: wait as long as "
                   "the approval takes)")
        ->check(CLI::NonNegativeNumber);
    app.set_version_flag("--version", netdext::version_text("NetworkingDriverKitSampleApp"));
    app.footer("Exit status: 0 done; 1 refused (the reason is printed); 2 --timeout passed; "
               "3 netdextd cannot be reached.");
    CLI11_PARSE(app, argc, argv);
    if (!socket.empty())
        setenv("NETDEXT_SOCKET", socket.c_str(), 1); // what OSSystemExtensionManager reads
    if (show_status)
        return status();
    if (activate || deactivate)
        return headless(activate, keep_installed, timeout);
    return window(port);
}
