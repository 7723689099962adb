#include "bundle_assembler.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "info_plist.h"
#include "property_list.h"

#include <netdext/file_io.h>

namespace fs = std::filesystem;

namespace netdext::bundle {
namespace {

Result<std::string> read_file(const std::string &path) {
    std::string text;
    if (!netdext::read_file(path, text))
        return Result<std::string>::failure(path + ": error: cannot read: " + std::strerror(errno));
    return text;
}

} // namespace

Result<bool> write_file(const fs::path &path, const std::string &text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush())
        return Result<bool>::failure(path.string() +
                                     ": error: cannot write: " + std::strerror(errno));
    return true;
}

Result<std::string> BundleAssembler::process_plist(const std::string &path, bool is_info_plist,
                                                   std::vector<std::string> &warnings) const {
    Result<std::string> text = read_file(path);
    if (!text.ok())
        return text;
    Result<PropertyList> plist = PropertyList::parse(text.value());
    if (!plist.ok())
        return Result<std::string>::failure(path + ": error: not a valid property list: " +
                                            plist.error());
    if (!plist.value().is_dictionary())
        return Result<std::string>::failure(path + ": error: the top level is not a <dict>");
    std::vector<std::string> found;
    plist.value().expand_values(m_inputs.settings, found);
    if (is_info_plist)
        complete_info_plist(plist.value(), m_inputs.settings, found);
    for (const std::string &warning : found)
        warnings.push_back(path + ": warning: " + warning);
    if (is_info_plist) {
        for (const char *key : {"CFBundleIdentifier", "CFBundleExecutable"}) {
            if (plist.value().string_value(key).empty())
                return Result<std::string>::failure(
                    path + ": error: Info.plist has no " + key +
                    " string (give it one, or let it be generated: GENERATE_INFOPLIST_FILE=YES "
                    "with PRODUCT_BUNDLE_IDENTIFIER and EXECUTABLE_NAME, which "
                    "netdext_add_dext sets)");
        }
        std::string executable = plist.value().string_value("CFBundleExecutable");
        if (executable.find('/') != std::string::npos || executable == "." || executable == "..")
            return Result<std::string>::failure(path + ": error: CFBundleExecutable '" +
                                                executable + "' is not a plain file name");
    }
    return plist.value().to_xml();
}

Result<bool> BundleAssembler::assemble(std::vector<std::string> &warnings) const {
    Result<std::string> info = process_plist(m_inputs.info_plist, true, warnings);
    if (!info.ok())
        return Result<bool>::failure(info.error());
    Result<std::string> entitlements = process_plist(m_inputs.entitlements, false, warnings);
    if (!entitlements.ok())
        return Result<bool>::failure(entitlements.error());
    Result<PropertyList> parsed = PropertyList::parse(info.value());
    if (!parsed.ok())
        return Result<bool>::failure(m_inputs.info_plist + ": error: " + parsed.error());
    std::string executable_name = parsed.value().string_value("CFBundleExecutable");

    return replace_directory(m_inputs.output, [&](const fs::path &staging) {
        Result<bool> written = write_file(staging / "Info.plist", info.value());
        if (!written.ok())
            return written;
        written = write_file(staging / "Entitlements.plist", entitlements.value());
        if (!written.ok())
            return written;
        std::error_code ec;
        fs::copy_file(m_inputs.executable, staging / executable_name,
                      fs::copy_options::overwrite_existing, ec);
        if (ec)
            return Result<bool>::failure(m_inputs.executable +
                                         ": error: cannot copy into the bundle: " + ec.message());
        fs::permissions(staging / executable_name, fs::perms(0755), ec);
        return Result<bool>(true);
    });
}

Result<bool> replace_directory(const fs::path &target,
                               const std::function<Result<bool>(const fs::path &)> &fill) {
    fs::path staging = target;
    staging += ".tmp-" + std::to_string(getpid());
    std::error_code ec;
    fs::remove_all(staging, ec);
    fs::create_directories(staging, ec);
    if (ec)
        return Result<bool>::failure(staging.string() + ": error: cannot create: " + ec.message());
    Result<bool> filled = fill(staging);
    if (filled.ok()) {
        fs::remove_all(target, ec);
        if (!ec)
            fs::rename(staging, target, ec);
        if (ec)
            filled = Result<bool>::failure(target.string() + ": error: cannot replace: " +
                                           ec.message());
    }
    if (!filled.ok())
        fs::remove_all(staging, ec);
    return filled;
    return true;
}

} // namespace netdext::bundle
