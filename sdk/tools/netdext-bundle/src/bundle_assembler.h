/*
 * bundle_assembler.h — writes NAME.dext/ from a driver's shared object and its plists.
 *
 * The bundle (DESIGN.md §6):
 *     NAME.dext/Info.plist           build settings expanded, standard keys generated as Xcode
 *                                    does (info_plist.h), validated, written as XML
 *     NAME.dext/<CFBundleExecutable> the driver's shared object (mode 0755)
 *     NAME.dext/Entitlements.plist   build settings expanded, validated, written as XML
 * The bundle is built next to the target in a temporary directory and then replaces the old one,
 * so a failed run leaves no half-written bundle. Errors read `file[:line]: error: …`.
 */
#ifndef NETDEXT_BUNDLE_BUNDLE_ASSEMBLER_H
#define NETDEXT_BUNDLE_BUNDLE_ASSEMBLER_H

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "build_settings.h"

namespace netdext::bundle {

struct BundleInputs {
    std::string info_plist;   /* path of the Info.plist template */
    std::string entitlements; /* path of the .entitlements template */
    std::string executable;   /* path of the driver's shared object */
    std::string output;       /* the NAME.dext directory to create */
    BuildSettings settings;
};

/* Writes `text` to `path` (replacing it); the error reads `path: error: cannot write: …`. */
Result<bool> write_file(const std::filesystem::path &path, const std::string &text);

/*
 * Fills a new directory beside `target` with `fill`, then puts it in place of `target`; on
 * failure the new directory is removed and `target` is left as it was.
 */
Result<bool> replace_directory(const std::filesystem::path &target,
                               const std::function<Result<bool>(const std::filesystem::path &)> &fill);

class BundleAssembler {
public:
    explicit BundleAssembler(BundleInputs inputs) : m_inputs(std::move(inputs)) {}

    /*
     * Writes the bundle; on failure returns the message to print. Warnings (`file: warning: …`)
     * are appended to `warnings` either way.
     */
    Result<bool> assemble(std::vector<std::string> &warnings) const;

    /*
     * Reads a plist template (XML or binary), expands the build settings in its values, completes
     * an Info.plist as Xcode does (info_plist.h) and validates it; returns its XML form.
     */
    Result<std::string> process_plist(const std::string &path, bool is_info_plist,
                                      std::vector<std::string> &warnings) const;

private:
    BundleInputs m_inputs;
};

} // namespace netdext::bundle

#endif
