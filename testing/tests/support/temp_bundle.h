// Fixture bundles for the bench's load_bundle tests: a temporary directory that is removed with
// the object, and helpers that write an Info.plist and an "executable" into NAME.dext.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace bench_fixture {

class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;
    const std::filesystem::path &path() const { return m_path; }

private:
    std::filesystem::path m_path;
};

// An Info.plist for bundle `bundle_id` whose executable is `executable` and whose one
// personality's IOUserClass is `user_class` (no IOKitPersonalities if it is empty).
std::string info_plist(const std::string &bundle_id, const std::string &executable,
                       const std::string &user_class);

// An Entitlements.plist granting each of `keys` (true).
std::string entitlements_plist(const std::vector<std::string> &keys);
// The entitlements of a network dext (driverkit, family.networking).
std::string nic_entitlements_plist();

void write_file(const std::filesystem::path &path, const std::string &contents);

// A shared object that is certainly loadable here: the DriverKit runtime library this test runs
// with (so dlopen succeeds and registers no new class).
std::string loadable_library();

} // namespace bench_fixture
