#include "temp_bundle.h"

#include <netdext/runtime.h>

#include <dlfcn.h>
#include <stdlib.h>

#include <fstream>
#include <stdexcept>

namespace bench_fixture {

TempDir::TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "netdext-bench-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr)
        throw std::runtime_error("mkdtemp failed");
    m_path = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(m_path, ignored);
}

std::string info_plist(const std::string &bundle_id, const std::string &executable,
                       const std::string &user_class) {
    std::string personalities;
    if (!user_class.empty())
        personalities = "  <key>IOKitPersonalities</key>\n  <dict>\n"
                        "    <key>Probe</key>\n    <dict>\n"
                        "      <key>IOClass</key><string>IOUserNetworkEthernet</string>\n"
                        "      <key>IOProviderClass</key><string>IOUserResources</string>\n"
                        "      <key>IOResourceMatch</key><string>IOKit</string>\n"
                        "      <key>IOUserClass</key><string>" +
                        user_class +
                        "</string>\n"
                        "      <key>IOUserServerName</key><string>" +
                        bundle_id +
                        "</string>\n"
                        "    </dict>\n  </dict>\n";
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
           "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
           "<plist version=\"1.0\">\n<dict>\n"
           "  <key>CFBundleIdentifier</key><string>" +
           bundle_id +
           "</string>\n"
           "  <key>CFBundleExecutable</key><string>" +
           executable + "</string>\n" + personalities + "</dict>\n</plist>\n";
}

std::string entitlements_plist(const std::vector<std::string> &keys) {
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n<dict>\n";
    for (const std::string &key : keys)
        out += "  <key>" + key + "</key><true/>\n";
    return out + "</dict>\n</plist>\n";
}

std::string nic_entitlements_plist() {
    return entitlements_plist({"com.apple.developer.driverkit",
                               "com.apple.developer.driverkit.family.networking"});
}

void write_file(const std::filesystem::path &path, const std::string &contents) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << contents;
    if (!out)
        throw std::runtime_error("cannot write " + path.string());
}

std::string loadable_library() {
    Dl_info info{};
    if (dladdr(reinterpret_cast<void *>(&netdext::runtime_stats), &info) == 0 ||
        info.dli_fname == nullptr)
        throw std::runtime_error("dladdr failed");
    return std::filesystem::canonical(info.dli_fname).string();
}

} // namespace bench_fixture
