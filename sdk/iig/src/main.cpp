/*
 * netdext-iig — the interface generator: MyNic.iig → MyNic.h + MyNic.iig.cpp.
 *
 *     netdext-iig INPUT.iig --header OUT.h --impl OUT.iig.cpp [-I DIR…] [-D NAME[=VALUE]…]
 *
 * -I and -D are accepted for command-line compatibility with Apple's iig and are not needed:
 * netdext-iig never reads the base class's .iig (method IDs are hashes of method names, see
 * netdext/method_id.h) and settles only __IIG conditionals (see conditionals.h).
 * Errors are printed as `file:line:col: error: message`; the exit status is then 1.
 */
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "generator.h"

#include <netdext/file_io.h>

#ifndef NETDEXT_VERSION
#define NETDEXT_VERSION "0"
#endif

namespace {

namespace fs = std::filesystem;

/* Writes through a temporary file and a rename, so a failed run never leaves half a file. */
bool write_file(const std::string &path, const std::string &text) {
    std::string temporary = path + ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out)
            return false;
        out << text;
        if (!out.flush())
            return false;
    }
    std::error_code ec;
    fs::rename(temporary, path, ec);
    return !ec;
}

} // namespace

int main(int argc, char **argv) {
    CLI::App app{"netdext-iig: generates a DriverKit class's header and dispatch code from its "
                 ".iig"};
    std::string input;
    std::string header;
    std::string impl;
    std::vector<std::string> include_dirs;
    std::vector<std::string> defines;
    app.add_option("input", input, "the .iig file")->required();
    app.add_option("--header", header, "the header to write (e.g. MyNic.h)")->required();
    app.add_option("--impl", impl, "the implementation to write (e.g. MyNic.iig.cpp)")->required();
    app.add_option("-I", include_dirs, "include directory (accepted, unused)")
        ->allow_extra_args(false);
    app.add_option("-D", defines, "macro definition (accepted, unused)")->allow_extra_args(false);
    app.set_version_flag("--version", std::string("netdext-iig ") + NETDEXT_VERSION);
    CLI11_PARSE(app, argc, argv);

    std::string source;
    if (!netdext::read_file(input, source)) {
        std::cerr << input << ": error: cannot read: " << std::strerror(errno) << "\n";
        return 1;
    }
    netdext::iig::GeneratorOptions options;
    options.input_name = fs::path(input).filename().string();
    options.header_name = fs::path(header).filename().string();
    options.version = NETDEXT_VERSION;
    netdext::iig::Result<netdext::iig::GeneratedFiles> generated =
        netdext::iig::generate(source, options);
    if (!generated) {
        std::cerr << netdext::iig::format_diagnostic(input, generated.error()) << "\n";
        return 1;
    }
    for (const netdext::iig::Diagnostic &warning : generated.value().warnings)
        std::cerr << netdext::iig::format_diagnostic(input, warning, "warning") << "\n";
    if (!write_file(header, generated.value().header)) {
        std::cerr << header << ": error: cannot write: " << std::strerror(errno) << "\n";
        return 1;
    }
    if (!write_file(impl, generated.value().implementation)) {
        std::cerr << impl << ": error: cannot write: " << std::strerror(errno) << "\n";
        return 1;
    }
    return 0;
}
