/*
 * app_assembler.h — completes NAME.app/ around an app's executable (netdext-bundle --app, called
 * by netdext_add_app), in the layout of a Mac app (DESIGN.md §10, docs/apps.md):
 *
 *     NAME.app/Contents/Info.plist              build settings expanded, standard keys generated as
 *                                               Xcode does (info_plist.h), validated, XML
 *     NAME.app/Contents/Entitlements.plist      the app's entitlements (com.apple.developer.
 *                                               system-extension.install to activate extensions)
 *     NAME.app/Contents/MacOS/<CFBundleExecutable>  the executable, already linked there
 *     NAME.app/Contents/Library/SystemExtensions/<CFBundleIdentifier>.dext  each extension, copied;
 *                                               the file name is the dext's own bundle ID, as
 *                                               macOS requires
 *     NAME.app/Contents/Resources/…             resource files, copied
 *
 * Library/SystemExtensions and Resources are rebuilt beside the old ones and swapped in, so a
 * failed run never leaves a half-copied extension. Errors read `file: error: …`.
 */
#ifndef NETDEXT_BUNDLE_APP_ASSEMBLER_H
#define NETDEXT_BUNDLE_APP_ASSEMBLER_H

#include <string>
#include <vector>

#include "bundle_assembler.h"

namespace netdext::bundle {

struct AppInputs {
    BundleInputs bundle;                 /* info_plist, entitlements, output (NAME.app), settings */
    std::vector<std::string> extensions; /* .dext directories */
    std::vector<std::string> resources;  /* files for Contents/Resources */
};

class AppAssembler {
public:
    explicit AppAssembler(AppInputs inputs) : m_inputs(std::move(inputs)) {}
    Result<bool> assemble(std::vector<std::string> &warnings) const;

private:
    AppInputs m_inputs;
};

} // namespace netdext::bundle

#endif
