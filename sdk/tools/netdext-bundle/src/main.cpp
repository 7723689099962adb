/*
 * netdext-bundle — assembles a .dext bundle at build time (called by netdext_add_dext), or an
 * app bundle around an app's executable (--app, called by netdext_add_app).
 *
 *     netdext-bundle --info-plist Info.plist --entitlements X.entitlements
 *                    --executable build/X.so --output build/X.dext
 *                    [--settings FILE] [--var KEY=VALUE]…
 *     netdext-bundle --app --info-plist Info.plist --entitlements X.entitlements
 *                    --output build/X.app [--extension build/Y.dext]… [--resource FILE]…
 *                    [--settings FILE] [--var KEY=VALUE]…        (src/app_assembler.h)
 *
 * Build settings are expanded in plist values as Xcode does, and the Info.plist's standard keys
 * are generated from them (src/info_plist.h). Warnings (`file: warning: KEY.PATH: …`, e.g. an
 * undefined setting, which expands to "") go to standard error.
 * Exit status 0 on success, 1 with a `file: error: …` message otherwise.
 */
#include <iostream>
#include <string>
#include <vector>

#include <netdext/version.h>

#include <CLI/CLI.hpp>

#include "app_assembler.h"
#include "bundle_assembler.h"

#include <netdext/file_io.h>

#ifndef NETDEXT_VERSION
#define NETDEXT_VERSION "0"
#endif

int main(int argc, char **argv) {
    CLI::App app{"netdext-bundle: assembles a DriverKit .dext bundle"};
    netdext::bundle::BundleInputs inputs;
    std::vector<std::string> variables;
    app.add_option("--info-plist", inputs.info_plist, "Info.plist template")->required();
    app.add_option("--entitlements", inputs.entitlements, "entitlements template")->required();
    bool app_bundle = false;
    std::vector<std::string> extensions, resources;
    app.add_flag("--app", app_bundle,
                 "complete NAME.app around Contents/MacOS/<CFBundleExecutable> instead of a .dext");
    auto *executable = app.add_option("--executable", inputs.executable,
                                      "the driver's shared object (a .dext)");
    app.add_option("--output", inputs.output, "the bundle directory to write")->required();
    app.add_option("--extension", extensions,
                   "a built .dext to copy into Contents/Library/SystemExtensions (--app)")
        ->check(CLI::ExistingDirectory);
    app.add_option("--resource", resources, "a file to copy into Contents/Resources (--app)")
        ->check(CLI::ExistingFile);
    app.add_option("--var", variables, "a build setting, KEY=VALUE")->allow_extra_args(false);
    std::string settings_file;
    app.add_option("--settings", settings_file,
                   "a file of build settings, one KEY=VALUE a line (# comments; --var wins)")
        ->check(CLI::ExistingFile);
    app.set_version_flag("--version", netdext::version_text("netdext-bundle"));
    CLI11_PARSE(app, argc, argv);

    if (!settings_file.empty()) {
        std::string text;
        if (!netdext::read_file(settings_file, text)) {
            std::cerr << settings_file << ": error: cannot read\n";
            return 1;
        }
        size_t line_number = 0;
        for (size_t start = 0; start < text.size();) {
            size_t end = text.find('\n', start);
            std::string line = text.substr(start, end == std::string::npos ? std::string::npos
                                                                            : end - start);
            start = end == std::string::npos ? text.size() : end + 1;
            ++line_number;
            if (line.empty() || line[0] == '#')
                continue;
            netdext::bundle::Result<bool> defined = inputs.settings.define(line);
            if (!defined.ok()) {
                std::cerr << settings_file << ":" << line_number
                          << ": error: " << defined.error() << "\n";
                return 1;
            }
        }
    }
    for (const std::string &variable : variables) {
        netdext::bundle::Result<bool> defined = inputs.settings.define(variable);
        if (!defined.ok()) {
            std::cerr << "netdext-bundle: error: --var " << defined.error() << "\n";
            return 1;
        }
    }
    if (!app_bundle && executable->count() == 0) {
        std::cerr << "netdext-bundle: error: --executable is required for a .dext\n";
        return 1;
    }
    if (!app_bundle && (!extensions.empty() || !resources.empty())) {
        std::cerr << "netdext-bundle: error: --extension and --resource belong to --app\n";
        return 1;
    }
    std::vector<std::string> warnings;
    netdext::bundle::Result<bool> assembled =
        app_bundle ? netdext::bundle::AppAssembler({std::move(inputs), extensions, resources})
                         .assemble(warnings)
                   : netdext::bundle::BundleAssembler(std::move(inputs)).assemble(warnings);
    for (const std::string &warning : warnings)
        std::cerr << warning << "\n";
    if (!assembled.ok()) {
        std::cerr << assembled.error() << "\n";
        return 1;
    }
    return 0;
}
