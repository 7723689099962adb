// netdextctl's commands beyond systemextensionsctl's (main.cpp has those): each adds its
// subcommand to the command line and runs it through the caller's request function (which
// connects, sends, waits for the final answer and prints a failure).
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>

namespace netdext::ctl {

// Sends `message` and returns the final answer, or nullopt with the exit status in `code`.
using RequestFn = std::function<std::optional<nlohmann::json>(nlohmann::json message, int &code)>;

// netdextctl ioreg [ioreg's flags] — the I/O Registry, formatted here (ioreg_command.cpp).
struct IoregCommand {
    CLI::App *command = nullptr;
};
IoregCommand add_ioreg_command(CLI::App &app);
int run_ioreg_command(const IoregCommand &ioreg, const RequestFn &request);

// netdextctl trust add FILE [--expires DATE] | remove TEAMID [FINGERPRINT] | list [--json]
struct TrustCommand {
    CLI::App *command = nullptr, *add = nullptr, *remove = nullptr, *list = nullptr;
    std::string file, expires, team, fingerprint;
    bool json = false;
};
TrustCommand add_trust_command(CLI::App &app);
int run_trust_command(const TrustCommand &trust, const RequestFn &request);

} // namespace netdext::ctl
