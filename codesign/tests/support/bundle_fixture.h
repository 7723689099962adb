// Throwaway bundles and identities for the code-signing tests: a temporary directory with a
// NAME.dext that looks like what netdext_add_dext() assembles (Info.plist, an executable,
// Entitlements.plist, a resource in a subdirectory), removed with the fixture.
#pragma once

#include <netdext/codesign/signature.h>

#include <filesystem>
#include <string>

namespace codesign_fixture {

class TempBundle {
public:
    TempBundle();
    ~TempBundle();
    TempBundle(const TempBundle &) = delete;
    TempBundle &operator=(const TempBundle &) = delete;

    const std::filesystem::path &dir() const { return m_dir; }  // the temporary directory
    std::string bundle() const { return (m_dir / "Sample.dext").string(); }
    std::string path(const std::string &relative) const { return bundle() + "/" + relative; }
    void write(const std::string &relative, const std::string &contents) const;
    std::string read(const std::string &relative) const;

private:
    std::filesystem::path m_dir;
};

std::string entitlements_plist(const std::string &entries);
std::string plist_true(const char *key);
netdext::codesign::Identity identity(const std::string &team = "A123456789");

} // namespace codesign_fixture
