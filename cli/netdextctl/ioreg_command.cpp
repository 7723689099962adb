// netdextctl ioreg: netdextd's I/O Registry as macOS's ioreg prints it (docs/registry.md). The
// daemon sends the whole tree in the registry's typed JSON; ioreg's flags are applied here with
// the same formatter the test bench and netdext-sim use.

#include "commands.h"

#include <netdext/registry/ioreg.h>
#include <netdext/registry/wire.h>

#include <cstdio>
#include <iostream>

namespace netdext::ctl {

namespace {
constexpr int kUsage = 2;
}

IoregCommand add_ioreg_command(CLI::App &app) {
    IoregCommand ioreg;
    ioreg.command = app.add_subcommand(
        "ioreg", "The I/O Registry of the running drivers, as ioreg prints it (-l -c -n -k -r -t "
                 "-d -w -x -i -a --json; `netdextctl ioreg -h` lists them)");
    ioreg.command->prefix_command(); // every argument is ioreg's
    ioreg.command->set_help_flag();  // -h / --help are handled below, with ioreg's own list
    return ioreg;
}

int run_ioreg_command(const IoregCommand &ioreg, const RequestFn &request) {
    const std::vector<std::string> arguments = ioreg.command->remaining();
    for (const std::string &argument : arguments)
        if (argument == "-h" || argument == "--help") {
            std::cout << registry::usage_text("netdextctl ioreg")
                      << "Readable by any user. -a writes an XML property list; --json the "
                         "registry's typed JSON.\n";
            return 0;
        }
    registry::IoregOptions options;
    std::string error;
    if (!registry::parse_ioreg_arguments(arguments, options, error)) {
        std::fprintf(stderr, "netdextctl ioreg: %s\n%s", error.c_str(),
                     registry::usage_text("netdextctl ioreg").c_str());
        return kUsage;
    }
    int code = 0;
    auto answer = request({{"request", "ioreg"}}, code);
    if (!answer)
        return code;
    registry::WireError wire;
    auto root = registry::entry_from_json(answer->value("registry", nlohmann::json()).dump(), wire);
    if (!root) {
        std::fprintf(stderr, "netdextctl ioreg: netdextd sent a registry that does not read: %s\n",
                     wire.message.c_str());
        return 1;
    }
    std::cout << registry::format(*root, options);
    return 0;
}

} // namespace netdext::ctl
