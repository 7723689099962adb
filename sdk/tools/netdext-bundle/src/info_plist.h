/*
 * info_plist.h — what Xcode does to a driver extension's Info.plist after expanding its build
 * settings (Xcode's Info.plist processing, for the keys a .dext uses).
 *
 * With GENERATE_INFOPLIST_FILE = YES, Xcode generates these keys from build settings, each only
 * when the setting is non-empty, and merges them into the project's Info.plist:
 *     CFBundleDevelopmentRegion      DEVELOPMENT_LANGUAGE
 *     CFBundleExecutable             EXECUTABLE_NAME
 *     CFBundleIdentifier             PRODUCT_BUNDLE_IDENTIFIER
 *     CFBundleInfoDictionaryVersion  "6.0" (always)
 *     CFBundleName                   PRODUCT_NAME
 *     CFBundlePackageType            PRODUCT_BUNDLE_PACKAGE_TYPE (DEXT for a driver extension)
 *     CFBundleShortVersionString     MARKETING_VERSION
 *     CFBundleVersion                CURRENT_PROJECT_VERSION
 *     <Key>                          INFOPLIST_KEY_<Key>, for the keys Xcode declares such a
 *                                    setting for (OSBundleUsageDescription, CFBundleDisplayName,
 *                                    NSHumanReadableCopyright, …; booleans from YES/NO, lists
 *                                    from space-separated words). Others are ignored, with a
 *                                    warning, as Xcode ignores them.
 * Merge: a generated value replaces the file's, arrays are appended without duplicates.
 * netdext: when GENERATE_INFOPLIST_FILE is not set, it is YES if the file lacks
 * CFBundleIdentifier or CFBundleExecutable or an INFOPLIST_KEY_ setting is given (a project that
 * relies on generation), otherwise NO (a complete Info.plist is kept as written).
 *
 * Then, generated or not, as Xcode does: the standard keys whose value expanded to "" are
 * removed (CFBundleIdentifier, CFBundleVersion, …; others such as OSBundleUsageDescription keep
 * ""), and a CFBundleIdentifier that differs from PRODUCT_BUNDLE_IDENTIFIER is warned about.
 */
#ifndef NETDEXT_BUNDLE_INFO_PLIST_H
#define NETDEXT_BUNDLE_INFO_PLIST_H

#include <string>
#include <vector>

#include "build_settings.h"
#include "property_list.h"

namespace netdext::bundle {

/* Completes an Info.plist whose values are already expanded; appends warnings (sentences). */
void complete_info_plist(PropertyList &plist, const BuildSettings &settings,
                         std::vector<std::string> &warnings);

} // namespace netdext::bundle

#endif
