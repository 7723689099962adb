// BundleDir: files that are not regular, symlinks that leave the bundle, size limits checked
// before reading, and copies that refuse what they must not copy. None of these may hang or read
// without bound (Info.plist -> /dev/zero, a FIFO).

#include <gtest/gtest.h>

#include <netdext/bundle/bundle.h>
#include <netdext/bundle/bundle_fs.h>

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace fs = std::filesystem;
using netdext::bundle::BundleDir;
using netdext::bundle::BundleLimits;

namespace {

struct BundleFs : public ::testing::Test {
    fs::path root;
    fs::path dext;
    BundleFs() {
        std::string pattern = (fs::temp_directory_path() / "netdext-bundlefs-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr)
            throw std::runtime_error("mkdtemp");
        root = pattern;
        dext = root / "X.dext";
        fs::create_directories(dext);
    }
    ~BundleFs() override {
        std::error_code ignored;
        fs::remove_all(root, ignored);
    }
    void write(const fs::path &path, const std::string &text) {
        fs::create_directories(path.parent_path());
        std::ofstream(path, std::ios::binary) << text;
    }
    BundleDir open() {
        std::string error;
        auto dir = BundleDir::open(dext.string(), error);
        if (!dir)
            throw std::runtime_error(error);
        return std::move(*dir);
    }
    std::string read_error(const std::string &relative, uint64_t limit = 1024) {
        std::string out, error;
        EXPECT_FALSE(open().read(relative, limit, out, error)) << "read " << out.size();
        return error;
    }
};

} // namespace

TEST_F(BundleFs, ReadsARegularFile) {
    write(dext / "Info.plist", "hello");
    std::string out, error;
    ASSERT_TRUE(open().read("Info.plist", 1024, out, error)) << error;
    EXPECT_EQ(out, "hello");
}

TEST_F(BundleFs, ASymlinkToADeviceIsRefusedUnread) {
    fs::create_symlink("/dev/zero", dext / "Info.plist");
    EXPECT_EQ(read_error("Info.plist"), "a symlink that leaves the bundle");
}

TEST_F(BundleFs, ARelativeSymlinkOutOfTheBundleIsRefused) {
    write(root / "outside", "secret");
    fs::create_symlink("../outside", dext / "Info.plist");
    EXPECT_EQ(read_error("Info.plist"), "a symlink that leaves the bundle");
}

TEST_F(BundleFs, ASymlinkInsideTheBundleIsFollowed) {
    write(dext / "Resources/Real.plist", "inside");
    fs::create_symlink("Resources/Real.plist", dext / "Info.plist");
    std::string out, error;
    ASSERT_TRUE(open().read("Info.plist", 1024, out, error)) << error;
    EXPECT_EQ(out, "inside");
}

TEST_F(BundleFs, AFifoIsRefusedWithoutBlocking) {
    ASSERT_EQ(mkfifo((dext / "Info.plist").c_str(), 0644), 0);
    EXPECT_EQ(read_error("Info.plist"), "a FIFO, not a regular file");
}

TEST_F(BundleFs, ADirectoryIsNotAFile) {
    fs::create_directories(dext / "Info.plist");
    EXPECT_EQ(read_error("Info.plist"), "a directory, not a regular file");
}

TEST_F(BundleFs, TheSizeLimitIsCheckedBeforeReading) {
    write(dext / "Info.plist", "");
    fs::resize_file(dext / "Info.plist", uint64_t(1) << 40); // sparse: a terabyte, never read
    EXPECT_EQ(read_error("Info.plist", 1 << 20), "larger than 1048576 bytes");
}

TEST_F(BundleFs, AMissingFileSaysSo) {
    std::string out, error;
    bool missing = false;
    EXPECT_FALSE(open().read("Nope", 10, out, error, &missing));
    EXPECT_TRUE(missing);
}

TEST_F(BundleFs, CopyKeepsFilesModesAndInnerSymlinks) {
    write(dext / "Info.plist", "plist");
    write(dext / "Driver", "elf");
    fs::permissions(dext / "Driver", fs::perms(0755));
    write(dext / "Resources/a.txt", "a");
    fs::create_symlink("Resources/a.txt", dext / "link");
    std::string error;
    fs::path copy = root / "copy.dext";
    ASSERT_TRUE(open().copy_to(copy.string(), BundleLimits{}, error)) << error;
    std::ifstream in(copy / "Info.plist");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, "plist");
    EXPECT_EQ(fs::status(copy / "Driver").permissions() & fs::perms::owner_exec,
              fs::perms::owner_exec);
    EXPECT_TRUE(fs::is_symlink(copy / "link"));
    EXPECT_TRUE(fs::exists(copy / "Resources/a.txt"));
}

TEST_F(BundleFs, CopyRefusesAFifoAnywhereAndLeavesNothing) {
    write(dext / "Info.plist", "plist");
    fs::create_directories(dext / "Resources");
    ASSERT_EQ(mkfifo((dext / "Resources/pipe").c_str(), 0644), 0);
    std::string error;
    fs::path copy = root / "copy.dext";
    EXPECT_FALSE(open().copy_to(copy.string(), BundleLimits{}, error));
    EXPECT_EQ(error, "Resources/pipe: a FIFO, not a regular file");
    EXPECT_FALSE(fs::exists(copy));
}

TEST_F(BundleFs, CopyRefusesASocket) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un address {};
    address.sun_family = AF_UNIX;
    std::string path = (dext / "sock").string();
    ASSERT_LT(path.size(), sizeof address.sun_path);
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address), 0);
    close(fd);
    std::string error;
    EXPECT_FALSE(open().copy_to((root / "copy").string(), BundleLimits{}, error));
    EXPECT_EQ(error, "sock: a socket, not a regular file");
}

TEST_F(BundleFs, CopyRefusesASymlinkLeavingTheBundle) {
    fs::create_symlink("/etc/passwd", dext / "Driver");
    std::string error;
    EXPECT_FALSE(open().copy_to((root / "copy").string(), BundleLimits{}, error));
    EXPECT_EQ(error, "Driver: a symlink that leaves the bundle");
}

TEST_F(BundleFs, CopyEnforcesTheLimits) {
    write(dext / "a", std::string(100, 'a'));
    write(dext / "b", std::string(100, 'b'));
    BundleLimits small;
    small.total_bytes = 150;
    std::string error;
    EXPECT_FALSE(open().copy_to((root / "copy1").string(), small, error));
    EXPECT_EQ(error, "the bundle is larger than 150 bytes");
    BundleLimits few;
    few.files = 1;
    EXPECT_FALSE(open().copy_to((root / "copy2").string(), few, error));
    EXPECT_EQ(error, "more than 1 files");
    fs::create_directories(dext / "d1/d2/d3");
    BundleLimits shallow;
    shallow.depth = 1;
    EXPECT_FALSE(open().copy_to((root / "copy3").string(), shallow, error));
    EXPECT_NE(error.find("nested deeper than 1"), std::string::npos) << error;
}

TEST_F(BundleFs, ReadBundleRefusesAnInfoPlistThatIsAFifo) {
    ASSERT_EQ(mkfifo((dext / "Info.plist").c_str(), 0644), 0);
    netdext::bundle::LoadError error;
    EXPECT_FALSE(netdext::bundle::read_bundle(dext.string(), error));
    EXPECT_EQ(error.kind, netdext::bundle::LoadError::Kind::unsafe_file);
    EXPECT_NE(error.message.find("Info.plist: a FIFO, not a regular file"), std::string::npos)
        << error.message;
}

TEST_F(BundleFs, ReadBundleFollowsAnExecutableSymlinkButBundleDirDoesNot) {
    // The test bench links drivers into bundles; netdextd's validation goes through BundleDir.
    write(dext / "Info.plist",
          "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>CFBundleIdentifier</key>"
          "<string>com.example.X</string><key>CFBundleExecutable</key><string>X</string></dict>"
          "</plist>");
    write(root / "X", "elf");
    fs::create_symlink("../X", dext / "X");
    netdext::bundle::LoadError error;
    EXPECT_TRUE(netdext::bundle::read_bundle(dext.string(), error)) << error.message;
    std::string why;
    EXPECT_FALSE(open().regular_file("X", 1024, why));
    EXPECT_EQ(why, "a symlink that leaves the bundle");
    fs::remove(root / "X");
    mkfifo((root / "X").c_str(), 0644); // followed, but never opened: stat says FIFO
    EXPECT_FALSE(netdext::bundle::read_bundle(dext.string(), error));
    EXPECT_NE(error.message.find("the bundle's executable is not a regular file"), std::string::npos);
}

TEST_F(BundleFs, RemoveTreeDoesNotFollowSymlinks) {
    write(root / "keep/precious", "x");
    write(dext / "file", "y");
    fs::create_symlink(root / "keep", dext / "link");
    std::string error;
    ASSERT_TRUE(netdext::bundle::remove_tree(dext.string(), error)) << error;
    EXPECT_FALSE(fs::exists(dext));
    EXPECT_TRUE(fs::exists(root / "keep/precious"));
}
