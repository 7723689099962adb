/*
 * Golden-file tests of netdext-iig's output.
 *
 *   golden/NAME.iig          → must generate golden/NAME.h.golden and golden/NAME.iig.cpp.golden
 *   golden/errors/NAME.iig   → must fail with the one-line diagnostic in golden/errors/NAME.err
 *
 * After an intended change of the generated code, regenerate the expected files with
 *
 *     NETDEXT_UPDATE_GOLDENS=1 ./iig_tests --gtest_filter='Golden*'
 *
 * (or `NETDEXT_UPDATE_GOLDENS=1 ctest -R Golden`) and review the diff before committing. In that
 * mode the golden tests report SKIPPED, never PASSED: they compared nothing.
 */
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "generator.h"

namespace fs = std::filesystem;
using netdext::iig::GeneratorOptions;

namespace {

const fs::path kGoldenDir = NETDEXT_IIG_GOLDEN_DIR;

std::string read_file(const fs::path &path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

void write_file(const fs::path &path, const std::string &text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

bool updating() {
    const char *value = std::getenv("NETDEXT_UPDATE_GOLDENS");
    return value != nullptr && *value != '\0' && std::string(value) != "0";
}

std::vector<std::string> inputs(const fs::path &dir) {
    std::vector<std::string> names;
    for (const fs::directory_entry &entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() == ".iig")
            names.push_back(entry.path().stem().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

GeneratorOptions options_for(const std::string &name) {
    // A fixed version, so that the goldens do not change with the project version.
    GeneratorOptions options;
    options.input_name = name + ".iig";
    options.header_name = name + ".h";
    options.version = "golden";
    return options;
}

/* Compares, or rewrites in update mode; reports the first differing line on failure. Update mode
 * checks nothing, so it skips the test rather than report a pass. */
void expect_matches(const fs::path &expected_path, const std::string &actual) {
    if (updating()) {
        write_file(expected_path, actual);
        GTEST_SKIP() << "NETDEXT_UPDATE_GOLDENS: rewrote " << expected_path.filename()
                     << " (nothing was compared); review the diff and run again without it";
    }
    ASSERT_TRUE(fs::exists(expected_path))
        << expected_path << " is missing; run with NETDEXT_UPDATE_GOLDENS=1 to create it";
    std::string expected = read_file(expected_path);
    if (expected == actual)
        return;
    std::istringstream e(expected), a(actual);
    std::string el, al;
    int line = 1;
    while (true) {
        bool more_e = static_cast<bool>(std::getline(e, el));
        bool more_a = static_cast<bool>(std::getline(a, al));
        if (!more_e && !more_a)
            break;
        if (el != al || more_e != more_a) {
            ADD_FAILURE() << expected_path.filename() << " differs at line " << line
                          << "\n  expected: " << (more_e ? el : "<end of file>")
                          << "\n  actual:   " << (more_a ? al : "<end of file>")
                          << "\n(NETDEXT_UPDATE_GOLDENS=1 regenerates the golden files)";
            return;
        }
        ++line;
    }
    ADD_FAILURE() << expected_path.filename() << " differs (line endings?)";
}

class GoldenOutput : public testing::TestWithParam<std::string> {};
class GoldenError : public testing::TestWithParam<std::string> {};

TEST_P(GoldenOutput, MatchesExpectedFiles) {
    const std::string name = GetParam();
    std::string source = read_file(kGoldenDir / (name + ".iig"));
    auto generated = netdext::iig::generate(source, options_for(name));
    ASSERT_TRUE(generated.ok()) << netdext::iig::format_diagnostic(name + ".iig",
                                                                   generated.error());
    expect_matches(kGoldenDir / (name + ".h.golden"), generated.value().header);
    expect_matches(kGoldenDir / (name + ".iig.cpp.golden"), generated.value().implementation);
    // Generation is deterministic.
    auto again = netdext::iig::generate(source, options_for(name));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again.value().header, generated.value().header);
}

TEST_P(GoldenError, FailsWithExpectedDiagnostic) {
    const std::string name = GetParam();
    std::string source = read_file(kGoldenDir / "errors" / (name + ".iig"));
    auto generated = netdext::iig::generate(source, options_for(name));
    ASSERT_FALSE(generated.ok()) << name << ".iig was expected to fail";
    std::string diagnostic =
        netdext::iig::format_diagnostic(name + ".iig", generated.error()) + "\n";
    expect_matches(kGoldenDir / "errors" / (name + ".err"), diagnostic);
}

std::string param_name(const testing::TestParamInfo<std::string> &info) {
    return info.param;
}

INSTANTIATE_TEST_SUITE_P(Golden, GoldenOutput, testing::ValuesIn(inputs(kGoldenDir)), param_name);
INSTANTIATE_TEST_SUITE_P(Golden, GoldenError, testing::ValuesIn(inputs(kGoldenDir / "errors")),
                         param_name);

TEST(GoldenCorpus, HasInputs) {
    EXPECT_GE(inputs(kGoldenDir).size(), 4u);
    EXPECT_GE(inputs(kGoldenDir / "errors").size(), 10u);
}

} // namespace
