// netdextctl: the command line for netdextd's system extensions, in systemextensionsctl's words.
//
//   netdextctl activate PATH [IDENTIFIER] [--no-replace] [--no-wait]
//   netdextctl approve IDENTIFIER            netdextctl developer [on|off]
//   netdextctl deactivate IDENTIFIER         netdextctl uninstall TEAMID IDENTIFIER
//   netdextctl list [CATEGORY] [--json]      netdextctl status [IDENTIFIER] [--json]
//   netdextctl restart IDENTIFIER            netdextctl reset
//   netdextctl boot-args ["k=v …"] [--extension IDENTIFIER]
//   netdextctl log [IDENTIFIER] [--follow] [--lines N]      netdextctl watch
//   netdextctl ioreg [-l -c C -n N -k K -r -t -d D -w W -x -i -a --json]   (commands.h)
//   netdextctl trust add FILE [--expires DATE] | remove TEAMID [FINGERPRINT] | list [--json]
//   netdextctl device attach|detach|set|list …     (simulated devices: device_commands.h)
//
// Every failure is one line on standard error and a non-zero exit status: 1 the request failed,
// 3 netdextd cannot be reached; usage errors are CLI11's.

#include "commands.h"
#include "device_commands.h"

#include <netdext/control/client.h>
#include <netdext/control/list_format.h>
#include <netdext/version.h>

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

namespace {

using netdext::control::Client;
using nlohmann::json;

constexpr int kFailed = 1;
constexpr int kUnreachable = 3;
constexpr auto kForever = std::chrono::hours(24 * 365);

struct Context {
    std::string socket;
    bool json_output = false;
};

int say_error(const std::string &text) {
    std::fprintf(stderr, "netdextctl: %s\n", text.c_str());
    return kFailed;
}

// Connects, sends, waits for the final answer; prints a failure. nullopt means "exit with `code`".
std::optional<json> request(const Context &ctx, json message, int &code,
                            const std::function<void(const json &)> &on_event = {},
                            std::chrono::milliseconds deadline = std::chrono::seconds(60)) {
    std::string error;
    auto client = Client::connect(ctx.socket, error);
    if (!client) {
        say_error(error);
        code = kUnreachable;
        return std::nullopt;
    }
    const std::string verb = message.value("request", std::string());
    auto answer = client->call(std::move(message), error, on_event, deadline);
    if (!answer) {
        code = say_error(verb + ": " + error);
        return std::nullopt;
    }
    if ((*answer)["event"] == "failed") {
        code = say_error(verb + " failed: " + netdext::control::describe_error(*answer));
        return std::nullopt;
    }
    code = 0;
    return answer;
}

std::string title(const json &extension) {
    const json &v = extension["version"];
    return extension.value("identifier", std::string()) + " (" +
           v.value("CFBundleShortVersionString", std::string()) + "/" +
           v.value("CFBundleVersion", std::string()) + ") [" +
           extension.value("state_text", std::string()) + "]";
}

int activate(const Context &ctx, const std::string &path, const std::string &identifier,
             bool no_replace, bool no_wait) {
    std::error_code ec;
    std::string absolute = std::filesystem::absolute(path, ec).lexically_normal().string();
    json message = {{"request", "activate"},
                    {"path", ec ? path : absolute},
                    {"replacement", no_replace ? "cancel" : "replace"}};
    if (!identifier.empty())
        message["identifier"] = identifier;
    std::string error;
    auto client = Client::connect(ctx.socket, error);
    if (!client) {
        say_error(error);
        return kUnreachable;
    }
    const uint64_t id = client->send(message, error);
    if (id == 0)
        return say_error(error);
    // As an OSSystemExtensionRequestDelegate sees it: needs user approval, then completed or
    // failed.
    for (;;) {
        auto event = client->receive(kForever, error);
        if (!event)
            return say_error("activate: " + error);
        if ((*event)["id"] != id)
            continue;
        const std::string name = (*event)["event"];
        const json extension = event->value("extension", json::object());
        const std::string subject = extension.value("identifier", path);
        if (ctx.json_output)
            std::cout << event->dump() << std::endl;
        if (name == "needs_user_approval") {
            if (!ctx.json_output)
                std::cout << "activation request for " << subject
                          << ": needs user approval (an administrator runs: netdextctl approve "
                          << subject << ")" << std::endl;
            if (no_wait)
                return 0;
        } else if (name == "completed") {
            if (!ctx.json_output)
                std::cout << "activation request for " << subject << ": completed — "
                          << title(extension)
                          << (event->contains("note") ? " (" + (*event)["note"].get<std::string>() + ")"
                                                      : std::string())
                          << std::endl;
            return 0;
        } else if (name == "failed") {
            const json &e = (*event)["error"];
            if (no_replace && e.value("code", 0) == 11) { // RequestCanceled: what was asked for
                if (!ctx.json_output)
                    std::cout << "activation request: " << e.value("reason", std::string())
                              << std::endl;
                return 0;
            }
            return say_error("activation request for " + path + " failed: " +
                             netdext::control::describe_error(*event));
        }
    }
}

int print_status(const json &status) {
    for (const json &d : status["dexts"]) {
        std::cout << d.value("bundle_id", std::string()) << ": " << d.value("state", std::string());
        if (d.value("host_pid", -1) > 0 && d.value("host_running", false))
            std::cout << ", pid " << d["host_pid"].get<int>();
        if (!d.value("reason", std::string()).empty())
            std::cout << " (" << d["reason"].get<std::string>() << ")";
        if (d.value("crashes", 0) > 0)
            std::cout << ", crashed " << d["crashes"].get<int>() << " time(s)";
        std::cout << "\n";
        const json supervision = d.value("supervision", json::object());
        if (supervision.value("quarantined", false))
            std::cout << "  quarantined: " << supervision.value("quarantine_reason", std::string())
                      << " (netdextctl restart " << d.value("bundle_id", std::string())
                      << " releases it)\n";
        else if (supervision.contains("relaunch_in_ms"))
            std::cout << "  relaunching in " << supervision["relaunch_in_ms"].get<int64_t>()
                      << " ms (last: " << supervision.value("last_reason", std::string()) << ")\n";
        if (d.contains("interface")) {
            const json &i = d["interface"];
            const json &c = i["counters"];
            std::cout << "  " << i.value("name", std::string()) << ": carrier "
                      << (i.value("carrier", false) ? "up" : "down") << ", mtu "
                      << i.value("mtu", 0) << " (max " << i.value("max_mtu", 0) << ")"
                      << ", received " << c.value("tap_written_frames", 0) << " frames, sent "
                      << c.value("tap_read_frames", 0) << " frames, invalid from the driver "
                      << c.value("drop_index_out_of_range", 0) + c.value("drop_not_owned_by_driver", 0) +
                             c.value("drop_wrong_queue", 0) + c.value("drop_buffer_mismatch", 0) +
                             c.value("drop_zero_length_rx", 0) +
                             c.value("drop_offset_length_out_of_bounds", 0) +
                             c.value("drop_bad_offload_metadata", 0) +
                             c.value("drop_rx_checksum_wrong", 0)
                      << "\n";
            for (const json &q : i.value("queues", json::array()))
                std::cout << "    " << q.value("queue", std::string()) << ": "
                          << q.value("packets", 0) << " packets in " << q.value("batches", 0)
                          << " batches, capacity " << q.value("capacity", 0)
                          << (q.value("enabled", false) ? "" : ", disabled") << "\n";
        }
    }
    if (status["dexts"].empty())
        std::cout << "no driver is running\n";
    return 0;
}

int stream(const Context &ctx, json message) {
    std::string error;
    auto client = Client::connect(ctx.socket, error);
    if (!client) {
        say_error(error);
        return kUnreachable;
    }
    const uint64_t id = client->send(message, error);
    for (;;) {
        auto event = client->receive(kForever, error);
        if (!event)
            return say_error(message.value("request", std::string()) + ": " + error);
        if ((*event)["id"] != id)
            continue;
        if ((*event)["event"] == "failed")
            return say_error(netdext::control::describe_error(*event));
        if (ctx.json_output)
            std::cout << event->dump() << std::endl;
        else if ((*event)["event"] == "log")
            std::cout << (*event)["line"].value("text", std::string()) << std::endl;
        else if ((*event)["event"] == "changed")
            for (const json &e : (*event)["extensions"])
                std::cout << title(e) << std::endl;
        if (event->value("final", false))
            return 0;
    }
}

} // namespace

int main(int argc, char **argv) {
    CLI::App app{"netdextctl — manage netdext system extensions (NetworkingDriverKit .dext "
                 "drivers) through netdextd, as systemextensionsctl does on macOS.",
                 "netdextctl"};
    app.set_version_flag("--version", netdext::version_text("netdextctl"));
    Context ctx;
    ctx.socket = netdext::control::default_socket_path();
    app.add_option("--socket", ctx.socket, "netdextd's control socket ($NETDEXT_SOCKET)")
        ->capture_default_str();
    app.require_subcommand(1);
    app.footer("Exit status: 0 done, 1 the request failed (one line on standard error says why), "
               "3 netdextd cannot be reached.");

    std::string path, identifier, team, category, boot_args, extension;
    bool no_replace = false, no_wait = false, follow = false;
    size_t lines = 50;
    std::vector<std::string> developer;

    auto *activate_cmd = app.add_subcommand(
        "activate", "Install and enable a .dext, or the extension in an app bundle's "
                    "Contents/Library/SystemExtensions (OSSystemExtensionRequest activation)");
    activate_cmd->add_option("path", path, "The .dext or .app bundle")->required();
    activate_cmd->add_option("identifier", identifier,
                             "Which extension of an app holding several (its bundle ID)");
    activate_cmd->add_flag("--no-replace", no_replace,
                           "Keep an installed other version instead of replacing it");
    activate_cmd->add_flag("--no-wait", no_wait,
                           "Return once the request needs approval instead of waiting for it");
    activate_cmd->add_flag("--json", ctx.json_output, "Print each event as JSON");
    auto *approve_cmd = app.add_subcommand(
        "approve", "Allow an extension waiting for the user (System Settings' Allow; root only)");
    approve_cmd->add_option("identifier", identifier, "Bundle ID")->required();
    auto *deactivate_cmd =
        app.add_subcommand("deactivate", "Stop an extension and remove it (deactivation request)");
    deactivate_cmd->add_option("identifier", identifier, "Bundle ID")->required();
    auto *uninstall_cmd = app.add_subcommand(
        "uninstall", "Stop an extension and remove its interface and files");
    uninstall_cmd->add_option("teamID", team, "Team ID (- for unsigned)")->required();
    uninstall_cmd->add_option("identifier", identifier, "Bundle ID")->required();
    auto *reset_cmd =
        app.add_subcommand("reset", "Remove every extension (developer mode only)");
    auto *developer_cmd =
        app.add_subcommand("developer", "Show or set developer mode (skips approval)");
    developer_cmd->add_option("mode", developer, "on or off")
        ->check(CLI::IsMember({"on", "off"}))
        ->expected(0, 1);
    auto *list_cmd = app.add_subcommand("list", "List extensions as systemextensionsctl does");
    list_cmd->add_option("category", category,
                         "Only this category (com.apple.system_extension.driver_extension)");
    list_cmd->add_flag("--json", ctx.json_output, "Print JSON");
    auto *status_cmd =
        app.add_subcommand("status", "Running drivers: process, interface, counters");
    status_cmd->add_option("identifier", identifier, "Only this bundle ID");
    status_cmd->add_flag("--json", ctx.json_output, "Print JSON");
    auto *properties_cmd = app.add_subcommand(
        "properties", "An extension's OSSystemExtensionProperties, as JSON");
    properties_cmd->add_option("identifier", identifier, "Bundle ID")->required();
    auto *restart_cmd = app.add_subcommand(
        "restart", "Stop an extension's driver and start it again (its interface stays); "
                   "releases a quarantined one");
    restart_cmd->add_option("identifier", identifier, "Bundle ID")->required();
    auto *boot_args_cmd = app.add_subcommand(
        "boot-args", "Show or set what drivers read with IOParseBootArgNumber (at their next start)");
    boot_args_cmd->add_option("args", boot_args, "e.g. \"ndks-debug=1 -v\" (\"\" clears)");
    boot_args_cmd->add_option("--extension", extension,
                              "Set this extension's own boot-args (read after the system-wide)");
    auto *log_cmd = app.add_subcommand("log", "netdextd's recent log lines");
    log_cmd->add_option("identifier", identifier, "Only this bundle ID");
    log_cmd->add_flag("-f,--follow", follow, "Keep printing new lines");
    log_cmd->add_option("-n,--lines", lines, "How many recent lines")->capture_default_str();
    log_cmd->add_flag("--json", ctx.json_output, "Print JSON");
    auto *watch_cmd = app.add_subcommand("watch", "Print every change of an extension's state");
    watch_cmd->add_flag("--json", ctx.json_output, "Print JSON");
    auto *version_cmd = app.add_subcommand("version", "netdextctl's and netdextd's versions");
    const netdext::ctl::IoregCommand ioreg_cmd = netdext::ctl::add_ioreg_command(app);
    const netdext::ctl::TrustCommand trust_cmd = netdext::ctl::add_trust_command(app);
    netdext::cli::DeviceArguments device_args;
    auto *device_cmd = netdext::cli::add_device_commands(app, device_args);

    CLI11_PARSE(app, argc, argv);

    int code = 0;
    const netdext::ctl::RequestFn send = [&ctx](json message, int &status) {
        return request(ctx, std::move(message), status);
    };
    if (ioreg_cmd.command->parsed())
        return netdext::ctl::run_ioreg_command(ioreg_cmd, send);
    if (trust_cmd.command->parsed())
        return netdext::ctl::run_trust_command(trust_cmd, send);
    if (device_cmd->parsed())
        return netdext::cli::run_device_command(*device_cmd, device_args,
                                                [&ctx](json message, int &status) {
                                                    return request(ctx, std::move(message), status);
                                                });
    if (activate_cmd->parsed())
        return activate(ctx, path, identifier, no_replace, no_wait);
    if (approve_cmd->parsed()) {
        if (auto done = request(ctx, {{"request", "approve"}, {"identifier", identifier}}, code))
            std::cout << "approved " << title((*done)["extension"]) << std::endl;
        return code;
    }
    if (deactivate_cmd->parsed() || uninstall_cmd->parsed()) {
        json message = {{"request", uninstall_cmd->parsed() ? "uninstall" : "deactivate"},
                        {"identifier", identifier}};
        if (uninstall_cmd->parsed())
            message["team_id"] = team;
        if (request(ctx, message, code))
            std::cout << "uninstalled " << identifier << std::endl;
        return code;
    }
    if (reset_cmd->parsed()) {
        if (auto done = request(ctx, {{"request", "reset"}}, code)) {
            for (const json &id : (*done)["removed"])
                std::cout << "uninstalled " << id.get<std::string>() << std::endl;
            std::cout << "reset: " << (*done)["removed"].size() << " extension(s) removed"
                      << std::endl;
        }
        return code;
    }
    if (developer_cmd->parsed()) {
        json message = {{"request", "developer"}};
        if (!developer.empty())
            message["enable"] = developer[0] == "on";
        if (auto done = request(ctx, message, code))
            std::cout << "Developer mode is " << ((*done)["developer_mode"] ? "on" : "off")
                      << std::endl;
        return code;
    }
    if (list_cmd->parsed()) {
        if (auto done = request(ctx, {{"request", "list"}}, code)) {
            if (ctx.json_output)
                std::cout << done->dump(2) << std::endl;
            else
                std::cout << netdext::control::format_list(*done, category);
        }
        return code;
    }
    if (status_cmd->parsed()) {
        json message = {{"request", "status"}};
        if (!identifier.empty())
            message["identifier"] = identifier;
        if (auto done = request(ctx, message, code)) {
            if (ctx.json_output)
                std::cout << done->dump(2) << std::endl;
            else
                print_status(*done);
        }
        return code;
    }
    if (properties_cmd->parsed()) {
        if (auto done = request(ctx, {{"request", "properties"}, {"identifier", identifier}}, code))
            std::cout << (*done)["properties"].dump(2) << std::endl;
        return code;
    }
    if (restart_cmd->parsed()) {
        if (request(ctx, {{"request", "restart"}, {"identifier", identifier}}, code))
            std::cout << "restarted " << identifier << std::endl;
        return code;
    }
    if (boot_args_cmd->parsed()) {
        json message = {{"request", "boot_args"}};
        if (boot_args_cmd->count("args") > 0)
            message["set"] = boot_args;
        if (!extension.empty())
            message["identifier"] = extension;
        if (!extension.empty() && !message.contains("set"))
            return say_error("boot-args --extension needs the arguments to set");
        if (auto done = request(ctx, message, code)) {
            std::cout << "boot-args: \"" << (*done)["boot_args"].get<std::string>() << "\"\n";
            for (auto &[id, args] : (*done)["extensions"].items())
                std::cout << id << ": \"" << args.get<std::string>() << "\"\n";
            if (message.contains("set"))
                std::cout << "(" << (*done)["note"].get<std::string>() << ")\n";
        }
        return code;
    }
    if (log_cmd->parsed()) {
        json message = {{"request", "log"}, {"lines", lines}, {"follow", follow}};
        if (!identifier.empty())
            message["identifier"] = identifier;
        return stream(ctx, message);
    }
    if (watch_cmd->parsed())
        return stream(ctx, {{"request", "watch"}});
    if (version_cmd->parsed()) {
        std::cout << netdext::version_text("netdextctl") << std::endl;
        if (auto done = request(ctx, {{"request", "version"}}, code))
            std::cout << "netdextd " << (*done)["version"].get<std::string>() << " (protocol "
                      << (*done)["protocol"].get<int>() << ", pid " << (*done)["pid"].get<int>()
                      << ")" << std::endl;
        return code;
    }
    return 0;
}
