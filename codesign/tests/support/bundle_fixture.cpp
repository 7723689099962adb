// Throwaway bundles for the code-signing tests (bundle_fixture.h).

#include "bundle_fixture.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace codesign_fixture {

TempBundle::TempBundle() {
    std::string pattern = (std::filesystem::temp_directory_path() / "netdext-codesign-XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr)
        throw std::runtime_error("mkdtemp failed");
    m_dir = pattern;
    std::filesystem::create_directories(m_dir / "Sample.dext" / "Resources");
    write("Info.plist",
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict>"
          "<key>CFBundleIdentifier</key><string>com.example.Sample</string>"
          "<key>CFBundleExecutable</key><string>Sample</string>"
          "<key>CFBundlePackageType</key><string>DEXT</string></dict></plist>\n");
    write("Sample", std::string("\x7f" "ELF\x02\x01\x01", 7) + std::string(4096, 'x'));
    write("Entitlements.plist", entitlements_plist(plist_true("com.apple.developer.driverkit") +
                                                   plist_true("com.apple.developer.driverkit."
                                                              "family.networking")));
    write("Resources/readme.txt", "a resource\n");
}

TempBundle::~TempBundle() {
    std::error_code ignored;
    std::filesystem::remove_all(m_dir, ignored);
}

void TempBundle::write(const std::string &relative, const std::string &contents) const {
    std::ofstream out(path(relative), std::ios::binary | std::ios::trunc);
    out << contents;
    ASSERT_TRUE(out.good()) << relative;
}

std::string TempBundle::read(const std::string &relative) const {
    std::ifstream in(path(relative), std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::string entitlements_plist(const std::string &entries) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict>" + entries +
           "</dict></plist>\n";
}

std::string plist_true(const char *key) {
    return std::string("<key>") + key + "</key><true/>";
}

netdext::codesign::Identity identity(const std::string &team) {
    std::string error;
    auto made = netdext::codesign::Identity::generate(team, "Example Corp (" + team + ")", error);
    if (!made)
        throw std::runtime_error(error);
    return *made;
}

} // namespace codesign_fixture
