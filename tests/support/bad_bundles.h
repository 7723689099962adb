// Bad bundles, one per kind of mistake, each made from a copy of a good .dext, with the
// OSSystemExtensionErrorCode activation must fail with. Shared by the validation unit tests and
// the daemon's integration test (which also checks the one-line message and that nothing is
// recorded).
#pragma once

#include "dext_variant.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace netdext::testing {

struct BadBundle {
    const char *name;
    int code;          // OSSystemExtensionErrorCode
    const char *words; // a piece of the reason
    // Makes the bundle under `root` from the good dext `good`; returns (path, identifier).
    std::function<std::pair<std::string, std::string>(const std::filesystem::path &root,
                                                      const std::filesystem::path &good)>
        make;
};

inline std::vector<BadBundle> bad_bundles() {
    namespace fs = std::filesystem;
    using Made = std::pair<std::string, std::string>;
    auto variant = [](const fs::path &root, const fs::path &good, const char *name) {
        return DextVariant(good, root / name / "Bad.dext");
    };
    auto app_with = [](const fs::path &root, const char *name) {
        fs::path extensions = root / name / "Bad.app/Contents/Library/SystemExtensions";
        fs::create_directories(extensions);
        return extensions;
    };
    return {
        {"missing path", 4, "No such file or directory",
         [](const fs::path &root, const fs::path &) { return Made{(root / "nowhere.dext").string(), ""}; }},
        {"a regular file", 4, "not a .dext bundle",
         [](const fs::path &root, const fs::path &) {
             std::ofstream(root / "file.dext") << "x";
             return Made{(root / "file.dext").string(), ""};
         }},
        {"no Info.plist", 9, "Info.plist: cannot read",
         [=](const fs::path &root, const fs::path &good) {
             auto v = variant(root, good, "noinfo");
             fs::remove(v.path() / "Info.plist");
             return Made{v.str(), ""};
         }},
        {"Info.plist not a plist", 9, "not a valid property list",
         [=](const fs::path &root, const fs::path &good) {
             return Made{variant(root, good, "garbage").write("Info.plist", "<<garbage").str(), ""};
         }},
        {"Info.plist -> /dev/zero", 9, "a symlink that leaves the bundle",
         [=](const fs::path &root, const fs::path &good) {
             auto v = variant(root, good, "devzero");
             fs::remove(v.path() / "Info.plist");
             fs::create_symlink("/dev/zero", v.path() / "Info.plist");
             return Made{v.str(), ""};
         }},
        {"Info.plist a FIFO", 9, "a FIFO, not a regular file",
         [=](const fs::path &root, const fs::path &good) {
             auto v = variant(root, good, "fifo");
             fs::remove(v.path() / "Info.plist");
             mkfifo((v.path() / "Info.plist").c_str(), 0644);
             return Made{v.str(), ""};
         }},
        {"Info.plist of 2 MiB", 9, "larger than 1048576 bytes",
         [=](const fs::path &root, const fs::path &good) {
             auto v = variant(root, good, "huge");
             fs::resize_file(v.path() / "Info.plist", 2u << 20);
             return Made{v.str(), ""};
         }},
        {"no CFBundleIdentifier", 5, "CFBundleIdentifier is missing",
         [=](const fs::path &root, const fs::path &good) {
             return Made{variant(root, good, "noid").remove("CFBundleIdentifier").str(), ""};
         }},
        {"CFBundleIdentifier with a slash", 9, "is not a reverse-DNS identifier",
         [=](const fs::path &root, const fs::path &good) {
             return Made{variant(root, good, "slash").set("CFBundleIdentifier", "com.example/../x").str(), ""};
         }},
        {"CFBundleVersion not a kext version", 9,
         "Property 'CFBundleVersion' must be a valid kext version",
         [=](const fs::path &root, const fs::path &good) {
             return Made{variant(root, good, "version").set("CFBundleVersion", "1.x").str(), ""};
         }},
        {"no OSBundleUsageDescription", 9, "OSBundleUsageDescription is missing",
         [=](const fs::path &root, const fs::path &good) {
             return Made{variant(root, good, "usage").remove("OSBundleUsageDescription").str(), ""};
         }},
        {"CFBundlePackageType APPL", 7, "installs driver extensions",
         [=](const fs::path &root, const fs::path &good) {
             return Made{variant(root, good, "package").set("CFBundlePackageType", "APPL").str(), ""};
         }},
        {"no IOKitPersonalities", 9, "no IOKitPersonalities",
         [=](const fs::path &root, const fs::path &good) {
             return Made{variant(root, good, "nopers").remove("IOKitPersonalities").str(), ""};
         }},
        {"executable missing", 9, "the bundle's executable is missing",
         [=](const fs::path &root, const fs::path &good) {
             return Made{variant(root, good, "noexe").set("CFBundleExecutable", "Nothing").str(), ""};
         }},
        {"executable not ELF", 9, "Exec format error",
         [=](const fs::path &root, const fs::path &good) {
             auto v = variant(root, good, "notelf");
             v.set("CFBundleExecutable", "Script").write("Script", "#!/bin/sh\necho hi\n");
             return Made{v.str(), ""};
         }},
        {"executable outside the bundle", 9, "a symlink that leaves the bundle",
         [=](const fs::path &root, const fs::path &good) {
             auto v = variant(root, good, "outside");
             v.set("CFBundleExecutable", "Elsewhere");
             fs::create_symlink("/bin/true", v.path() / "Elsewhere");
             return Made{v.str(), ""};
         }},
        {"malformed Entitlements.plist", 9, "Entitlements.plist: not a valid property list",
         [=](const fs::path &root, const fs::path &good) {
             return Made{variant(root, good, "badent").write("Entitlements.plist", "nope").str(), ""};
         }},
        {"no driverkit entitlement", 2, "lacks the entitlement com.apple.developer.driverkit",
         [=](const fs::path &root, const fs::path &good) {
             return Made{variant(root, good, "noent").entitlement("com.apple.developer.driverkit", false).str(), ""};
         }},
        {"app without extensions", 4, "Extension not found in App bundle",
         [=](const fs::path &root, const fs::path &) {
             app_with(root, "emptyapp");
             return Made{(root / "emptyapp/Bad.app").string(), ""};
         }},
        {"app: file name is not the identifier", 4,
         "Unable to find any matched extension with identifier",
         [=](const fs::path &root, const fs::path &good) {
             fs::path dir = app_with(root, "misnamed");
             DextVariant(good, dir / "Driver.dext").identifier("com.example.netdext.Misnamed");
             return Made{(root / "misnamed/Bad.app").string(), ""};
         }},
        {"app: two extensions with one identifier", 6, "holds two extensions with the identifier",
         [=](const fs::path &root, const fs::path &good) {
             fs::path dir = app_with(root, "twice");
             DextVariant(good, dir / "com.example.netdext.Twice.dext").identifier("com.example.netdext.Twice");
             DextVariant(good, dir / "Copy.dext").identifier("com.example.netdext.Twice");
             return Made{(root / "twice/Bad.app").string(), "com.example.netdext.Twice"};
         }},
        {"dext inside an app, outside SystemExtensions", 3, "but not in its Contents/Library/SystemExtensions",
         [=](const fs::path &root, const fs::path &good) {
             DextVariant v(good, root / "wrongplace/Bad.app/Contents/Resources/X.dext");
             return Made{v.str(), ""};
         }},
        {"app holding several, none named", 4, "holds several extensions",
         [=](const fs::path &root, const fs::path &good) {
             fs::path dir = app_with(root, "several");
             DextVariant(good, dir / "com.example.netdext.One.dext").identifier("com.example.netdext.One");
             DextVariant(good, dir / "com.example.netdext.Two.dext").identifier("com.example.netdext.Two");
             return Made{(root / "several/Bad.app").string(), ""};
         }},
    };
}

} // namespace netdext::testing
