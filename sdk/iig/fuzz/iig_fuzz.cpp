/*
 * Fuzz target for netdext-iig's parser and writers: generate() must never crash, hang or
 * overflow on any input, and what it returns must be well-formed (a diagnostic with a location
 * and a message, or output that starts with the banner).
 *
 * With Clang this is built with -fsanitize=fuzzer (libFuzzer provides main); with GCC,
 * replay_main.cpp runs it over the seed corpus.
 */
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "generator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string_view source(reinterpret_cast<const char *>(data), size);
    // No input directory, -I or -imacros: the fuzzer never reads a file.
    netdext::iig::GeneratorOptions options;
    options.input_name = "fuzz.iig";
    options.header_name = "fuzz.h";
    options.version = "fuzz";
    netdext::iig::Result<netdext::iig::GeneratedFiles> generated =
        netdext::iig::generate(source, options);
    if (generated.ok()) {
        if (generated.value().header.rfind("/* iig(netdext-fuzz)", 0) != 0 ||
            generated.value().implementation.rfind("/* iig(netdext-fuzz)", 0) != 0)
            std::abort();
    } else {
        const netdext::iig::Diagnostic &d = generated.error();
        if (d.location.line == 0 || d.location.column == 0 || d.message.empty())
            std::abort();
    }
    return 0;
}
