/*
 * netdext-iig — the interface generator: MyNic.iig → MyNic.h + MyNic.iig.cpp.
 *
 *     netdext-iig INPUT.iig --header OUT.h --impl OUT.iig.cpp
 *                 [-I DIR…] [-D NAME[=VALUE]…] [-imacros FILE…]
 *
 * As Apple's clang-based iig, it evaluates the .iig's #if / #ifdef / #elif with __IIG = 1, the
 * -D macros, the macros of -imacros files and of the headers the .iig includes (found in its
 * own directory and the -I directories): a class in a false branch gets no code
 * (conditionals.h). It never needs a base class's .iig for anything else (method IDs are hashes
 * of method names, see netdext/method_id.h).
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
    std::vector<std::string> imacros;
    app.add_option("input", input, "the .iig file")->required();
    app.add_option("--header", header, "the header to write (e.g. MyNic.h)")->required();
    app.add_option("--impl", impl, "the implementation to write (e.g. MyNic.iig.cpp)")->required();
    app.add_option("-I", include_dirs, "where #include and __has_include look for headers")
        ->allow_extra_args(false);
    app.add_option("-D", defines, "a macro for #if: NAME (= 1) or NAME=VALUE")
        ->allow_extra_args(false);
    app.add_option("--imacros", imacros,
                   "(also -imacros) a header whose macros #if sees; its text is not used")
        ->allow_extra_args(false);
    app.set_version_flag("--version", std::string("netdext-iig ") + NETDEXT_VERSION);
    // Compilers spell it -imacros; CLI11 takes only one letter after a single dash.
    std::vector<std::string> arguments(argv, argv + argc);
    for (std::string &argument : arguments)
        if (argument == "-imacros")
            argument = "--imacros";
    std::vector<char *> argument_pointers;
    for (std::string &argument : arguments)
        argument_pointers.push_back(argument.data());
    CLI11_PARSE(app, argc, argument_pointers.data());

    std::string source;
    if (!netdext::read_file(input, source)) {
        std::cerr << input << ": error: cannot read: " << std::strerror(errno) << "\n";
        return 1;
    }
    netdext::iig::GeneratorOptions options;
    options.input_name = fs::path(input).filename().string();
    options.header_name = fs::path(header).filename().string();
    options.version = NETDEXT_VERSION;
    options.input_dir = fs::path(input).parent_path().string();
    if (options.input_dir.empty())
        options.input_dir = ".";
    options.include_dirs = include_dirs;
    options.defines = defines;
    options.imacros = imacros;
    for (const std::string &file : imacros) {
        if (!fs::is_regular_file(file)) {
            std::cerr << file << ": error: -imacros: no such file\n";
            return 1;
        }
    }
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
