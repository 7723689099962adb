/*
 * Runs the fuzz target over files and directories given on the command line (the seed corpus),
 * for toolchains without libFuzzer. Exit status 0 when every input was processed.
 */
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace fs = std::filesystem;

static void run_file(const fs::path &path, size_t &count) {
    std::ifstream in(path, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size());
    // Every prefix too: truncated input is the most common malformed .iig.
    for (size_t cut = 0; cut < bytes.size(); cut += 1 + bytes.size() / 64)
        LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(bytes.data()), cut);
    ++count;
}

int main(int argc, char **argv) {
    size_t count = 0;
    for (int i = 1; i < argc; ++i) {
        fs::path arg(argv[i]);
        if (fs::is_directory(arg)) {
            for (const fs::directory_entry &entry : fs::recursive_directory_iterator(arg)) {
                if (entry.is_regular_file())
                    run_file(entry.path(), count);
            }
        } else {
            run_file(arg, count);
        }
    }
    std::printf("replayed %zu inputs\n", count);
    return count > 0 ? 0 : 1;
}
