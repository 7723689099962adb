// Replays fuzz inputs through LLVMFuzzerTestOneInput for toolchains without libFuzzer (GCC):
//   <target>_replay FILE_OR_DIRECTORY...
// Every file, and a few prefixes of each (truncated input is the commonest malformed kind).
// Exits non-zero if no input was found; a crash in the target is the failure signal otherwise.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace {

bool replay(const std::filesystem::path &path) {
    std::ifstream file(path, std::ios::binary);
    if (!file)
        return false;
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)),
                               std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
    for (size_t cut = 0; cut < bytes.size(); cut += 1 + bytes.size() / 16)
        LLVMFuzzerTestOneInput(bytes.data(), cut);
    return true;
}

} // namespace

int main(int argc, char **argv) {
    size_t replayed = 0;
    for (int i = 1; i < argc; ++i) {
        std::filesystem::path path(argv[i]);
        if (std::filesystem::is_directory(path)) {
            for (const auto &entry : std::filesystem::recursive_directory_iterator(path))
                if (entry.is_regular_file())
                    replayed += replay(entry.path());
        } else {
            replayed += replay(path);
        }
    }
    std::printf("replayed %zu inputs\n", replayed);
    return replayed > 0 ? 0 : 1;
}
