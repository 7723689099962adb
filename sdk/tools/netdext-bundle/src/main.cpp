/*
 * netdext-bundle — assembles a .dext bundle at build time (called by netdext_add_dext).
 *
 *     netdext-bundle --info-plist Info.plist --entitlements X.entitlements
 *                    --executable build/X.so --output build/X.dext [--var KEY=VALUE]…
 *
 * Exit status 0 on success, 1 with a `file[:line]: error: …` message otherwise.
 */
#include <iostream>
#include <string>
#include <vector>

#include <netdext/version.h>

#include <CLI/CLI.hpp>

#include "bundle_assembler.h"

int main(int argc, char **argv) {
    CLI::App app{"netdext-bundle: assembles a DriverKit .dext bundle"};
    netdext::bundle::BundleInputs inputs;
    std::vector<std::string> variables;
    app.add_option("--info-plist", inputs.info_plist, "Info.plist template")->required();
    app.add_option("--entitlements", inputs.entitlements, "entitlements template")->required();
    app.add_option("--executable", inputs.executable, "the driver's shared object")->required();
    app.add_option("--output", inputs.output, "the bundle directory to write")->required();
    app.add_option("--var", variables, "a build setting, KEY=VALUE")->allow_extra_args(false);
    app.set_version_flag("--version", netdext::version_text("netdext-bundle"));
    CLI11_PARSE(app, argc, argv);

    for (const std::string &variable : variables) {
        netdext::bundle::Result<bool> defined = inputs.settings.define(variable);
        if (!defined.ok()) {
            std::cerr << "netdext-bundle: error: --var " << defined.error() << "\n";
            return 1;
        }
    }
    netdext::bundle::Result<bool> assembled =
        netdext::bundle::BundleAssembler(std::move(inputs)).assemble();
    if (!assembled.ok()) {
        std::cerr << assembled.error() << "\n";
        return 1;
    }
    return 0;
}
