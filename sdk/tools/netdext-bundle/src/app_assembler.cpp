#include "app_assembler.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <unistd.h>

#include "property_list.h"

#include <netdext/file_io.h>

namespace fs = std::filesystem;

namespace netdext::bundle {
namespace {

/* The CFBundleIdentifier of a built .dext. */
Result<std::string> dext_identifier(const std::string &dext) {
    std::string text;
    const std::string info = dext + "/Info.plist";
    if (!netdext::read_file(info, text))
        return Result<std::string>::failure(info + ": error: cannot read (is " + dext +
                                            " a built .dext?)");
    Result<PropertyList> plist = PropertyList::parse(text);
    if (!plist.ok() || plist.value().string_value("CFBundleIdentifier").empty())
        return Result<std::string>::failure(info + ": error: no CFBundleIdentifier");
    return plist.value().string_value("CFBundleIdentifier");
}

} // namespace

Result<bool> AppAssembler::assemble(std::vector<std::string> &warnings) const {
    const BundleInputs &in = m_inputs.bundle;
    BundleAssembler plists(in);
    Result<std::string> info = plists.process_plist(in.info_plist, true, warnings);
    if (!info.ok())
        return Result<bool>::failure(info.error());
    Result<std::string> entitlements = plists.process_plist(in.entitlements, false, warnings);
    if (!entitlements.ok())
        return Result<bool>::failure(entitlements.error());
    Result<PropertyList> parsed = PropertyList::parse(info.value());
    if (!parsed.ok())
        return Result<bool>::failure(in.info_plist + ": error: " + parsed.error());
    const std::string type = parsed.value().string_value("CFBundlePackageType");
    if (!type.empty() && type != "APPL")
        warnings.push_back(in.info_plist + ": warning: CFBundlePackageType is \"" + type +
                           "\"; an app's is \"APPL\"");

    const fs::path contents = fs::path(in.output) / "Contents";
    const fs::path executable =
        contents / "MacOS" / parsed.value().string_value("CFBundleExecutable");
    if (!fs::is_regular_file(executable))
        return Result<bool>::failure(in.info_plist + ": error: CFBundleExecutable names " +
                                     executable.string() +
                                     ", which does not exist (link the "
                                     "app's executable into Contents/MacOS first)");
    Result<bool> written = write_file(contents / "Info.plist", info.value());
    if (written.ok())
        written = write_file(contents / "Entitlements.plist", entitlements.value());
    if (!written.ok())
        return written;

    written = replace_directory(contents / "Library/SystemExtensions", [&](const fs::path &to) {
        std::set<std::string> seen;
        for (const std::string &dext : m_inputs.extensions) {
            Result<std::string> id = dext_identifier(dext);
            if (!id.ok())
                return Result<bool>::failure(id.error());
            if (!seen.insert(id.value()).second)
                return Result<bool>::failure(dext +
                                             ": error: a second extension with the "
                                             "identifier " +
                                             id.value());
            std::error_code ec;
            fs::copy(dext, to / (id.value() + ".dext"),
                     fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
            if (ec)
                return Result<bool>::failure(dext +
                                             ": error: cannot copy into the app: " + ec.message());
        }
        return Result<bool>(true);
    });
    if (!written.ok())
        return written;
    return replace_directory(contents / "Resources", [&](const fs::path &to) {
        for (const std::string &resource : m_inputs.resources) {
            std::error_code ec;
            const fs::path name = fs::path(resource).filename();
            if (fs::exists(to / name))
                return Result<bool>::failure(resource + ": error: a second resource named " +
                                             name.string());
            fs::copy_file(resource, to / name, ec);
            if (ec)
                return Result<bool>::failure(resource +
                                             ": error: cannot copy into the app: " + ec.message());
        }
        return Result<bool>(true);
    });
}

} // namespace netdext::bundle
