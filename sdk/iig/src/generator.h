/*
 * generator.h — netdext-iig as a library: .iig text in, generated header and .iig.cpp out.
 *
 * Used by the command-line tool, the golden tests and the fuzz target. generate() never throws
 * and never crashes on any input; malformed input yields the first Diagnostic.
 */
#ifndef NETDEXT_IIG_GENERATOR_H
#define NETDEXT_IIG_GENERATOR_H

#include <string>
#include <string_view>
#include <vector>

#include "diagnostic.h"

namespace netdext::iig {

struct GeneratorOptions {
    std::string input_name;  /* shown in the banner: the .iig's file name */
    std::string header_name; /* how the .iig.cpp includes the header: its file name */
    std::string version;     /* shown in the banner as iig(netdext-<version>) */
    /* The preprocessor, as for Apple's iig (conditionals.h); all empty: no file is read. */
    std::string input_dir;                 /* the .iig's directory, for #include "…" */
    std::vector<std::string> include_dirs; /* -I */
    std::vector<std::string> defines;      /* -D NAME or NAME=VALUE */
    std::vector<std::string> imacros;      /* -imacros FILE: macros only, before -D */
};

struct GeneratedFiles {
    std::string header;
    std::string implementation;
    std::vector<Diagnostic> warnings;
};

Result<GeneratedFiles> generate(std::string_view source, const GeneratorOptions &options);

} // namespace netdext::iig

#endif
