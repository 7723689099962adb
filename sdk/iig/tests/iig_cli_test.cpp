/* The netdext-iig command line: exit status, diagnostics on stderr, files written. */
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;

namespace {

struct RunResult {
    int status = -1;
    std::string output; /* stdout and stderr */
};

RunResult run(const std::string &arguments) {
    RunResult result;
    std::string command = std::string(NETDEXT_IIG_EXECUTABLE) + " " + arguments + " 2>&1";
    FILE *pipe = popen(command.c_str(), "r");
    if (pipe == nullptr)
        return result;
    std::array<char, 4096> buffer;
    size_t n;
    while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
        result.output.append(buffer.data(), n);
    int status = pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

class IigCli : public testing::Test {
protected:
    void SetUp() override {
        m_dir = fs::temp_directory_path() /
                ("netdext-iig-cli-" + std::to_string(getpid()) + "-" +
                 testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(m_dir);
    }
    void TearDown() override { fs::remove_all(m_dir); }
    fs::path write(const std::string &name, const std::string &text) {
        fs::path path = m_dir / name;
        std::ofstream(path) << text;
        return path;
    }
    fs::path m_dir;
};

TEST_F(IigCli, GeneratesBothFiles) {
    fs::path input = write("Good.iig", "#include <DriverKit/IOService.iig>\n"
                                       "class Good : public IOService\n{\npublic:\n"
                                       "    virtual kern_return_t Start(IOService * p) override;\n"
                                       "};\n");
    RunResult r = run(input.string() + " --header " + (m_dir / "Good.h").string() + " --impl " +
                      (m_dir / "Good.iig.cpp").string() + " -I /usr/include -DFOO=1");
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_TRUE(fs::exists(m_dir / "Good.h"));
    EXPECT_TRUE(fs::exists(m_dir / "Good.iig.cpp"));
    EXPECT_FALSE(fs::exists(m_dir / "Good.h.tmp"));
}

TEST_F(IigCli, MalformedInputGetsFileLineColumnAndStatusOne) {
    fs::path input = write("Bad.iig", "class Bad : public IOService\n{\npublic:\n"
                                      "    virtual kern_return_t Start(IOService * p;\n};\n");
    RunResult r = run(input.string() + " --header " + (m_dir / "Bad.h").string() + " --impl " +
                      (m_dir / "Bad.iig.cpp").string());
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.output.rfind(input.string() + ":4:32: error: ", 0), 0u) << r.output;
    EXPECT_FALSE(fs::exists(m_dir / "Bad.h"));
}

TEST_F(IigCli, MissingInputIsAnError) {
    RunResult r = run((m_dir / "None.iig").string() + " --header " + (m_dir / "N.h").string() +
                      " --impl " + (m_dir / "N.iig.cpp").string());
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.output.find("cannot read"), std::string::npos) << r.output;
}

TEST_F(IigCli, MissingArgumentsAreAnError) {
    RunResult r = run("");
    EXPECT_NE(r.status, 0);
}

} // namespace
