#include "info_plist.h"

#include <algorithm>
#include <sstream>

namespace netdext::bundle {
namespace {

struct GeneratedKey {
    const char *key;
    const char *setting;
};

// Xcode: the keys generated from the standard build settings.
constexpr GeneratedKey kStandardKeys[] = {
    {"CFBundleDevelopmentRegion", "DEVELOPMENT_LANGUAGE"},
    {"CFBundleExecutable", "EXECUTABLE_NAME"},
    {"CFBundleIdentifier", "PRODUCT_BUNDLE_IDENTIFIER"},
    {"CFBundleName", "PRODUCT_NAME"},
    {"CFBundlePackageType", "PRODUCT_BUNDLE_PACKAGE_TYPE"},
    {"CFBundleShortVersionString", "MARKETING_VERSION"},
    {"CFBundleVersion", "CURRENT_PROJECT_VERSION"},
};

// Xcode: keys removed when their value is empty after expansion.
constexpr const char *kElidedWhenEmpty[] = {
    "CFBundleDevelopmentRegion", "CFBundleExecutable",        "CFBundleGetInfoString",
    "CFBundleIconFile",          "CFBundleIdentifier",        "CFBundleName",
    "CFBundlePackageType",       "CFBundleResourceSpecification",
    "CFBundleShortVersionString", "CFBundleSignature",        "CFBundleTypeIconFile",
    "CFBundleTypeRole",          "CFBundleVersion",           "NSDocumentClass",
    "NSHelpFile",                "NSHumanReadableCopyright",  "NSMainNibFile",
    "NSPrincipalClass",          "NSStickerSharingLevel",     "BuildMachineOSBuild",
    "DTSwiftPlaygroundsBuild",   "DTSwiftPlaygroundsVersion", "DTXcode",
    "DTXcodeBuild",
};

enum class KeyType { string, boolean, word_list, app_only };
struct InfoPlistKey {
    const char *key;
    KeyType type;
};

// Xcode's INFOPLIST_KEY_<key> build settings (the ones Xcode declares), with their value types.
// Those that generate iOS app scene and launch-screen dictionaries do not apply to a dext.
constexpr InfoPlistKey kInfoPlistKeys[] = {
    {"CFBundleDisplayName", KeyType::string},
    {"CLKComplicationPrincipalClass", KeyType::string},
    {"GCSupportsControllerUserInteraction", KeyType::boolean},
    {"GCSupportsGameMode", KeyType::boolean},
    {"ITSAppUsesNonExemptEncryption", KeyType::boolean},
    {"ITSEncryptionExportComplianceCode", KeyType::string},
    {"LSApplicationCategoryType", KeyType::string},
    {"LSBackgroundOnly", KeyType::boolean},
    {"LSSupportsOpeningDocumentsInPlace", KeyType::boolean},
    {"LSUIElement", KeyType::boolean},
    {"MetalCaptureEnabled", KeyType::boolean},
    {"NFCReaderUsageDescription", KeyType::string},
    {"NSAccessoryTrackingUsageDescription", KeyType::string},
    {"NSAppDataUsageDescription", KeyType::string},
    {"NSAppleEventsUsageDescription", KeyType::string},
    {"NSAppleMusicUsageDescription", KeyType::string},
    {"NSBluetoothAlwaysUsageDescription", KeyType::string},
    {"NSBluetoothPeripheralUsageDescription", KeyType::string},
    {"NSBluetoothWhileInUseUsageDescription", KeyType::string},
    {"NSCalendarsFullAccessUsageDescription", KeyType::string},
    {"NSCalendarsUsageDescription", KeyType::string},
    {"NSCalendarsWriteOnlyAccessUsageDescription", KeyType::string},
    {"NSCameraUsageDescription", KeyType::string},
    {"NSContactsUsageDescription", KeyType::string},
    {"NSCriticalMessagingUsageDescription", KeyType::string},
    {"NSDesktopFolderUsageDescription", KeyType::string},
    {"NSDocumentsFolderUsageDescription", KeyType::string},
    {"NSDownloadsFolderUsageDescription", KeyType::string},
    {"NSFaceIDUsageDescription", KeyType::string},
    {"NSFallDetectionUsageDescription", KeyType::string},
    {"NSFileProviderDomainUsageDescription", KeyType::string},
    {"NSFileProviderPresenceUsageDescription", KeyType::string},
    {"NSFinancialDataUsageDescription", KeyType::string},
    {"NSFocusStatusUsageDescription", KeyType::string},
    {"NSGKFriendListUsageDescription", KeyType::string},
    {"NSHandsTrackingUsageDescription", KeyType::string},
    {"NSHealthClinicalHealthRecordsShareUsageDescription", KeyType::string},
    {"NSHealthShareUsageDescription", KeyType::string},
    {"NSHealthUpdateUsageDescription", KeyType::string},
    {"NSHomeKitUsageDescription", KeyType::string},
    {"NSHumanReadableCopyright", KeyType::string},
    {"NSIdentityUsageDescription", KeyType::string},
    {"NSLocalNetworkUsageDescription", KeyType::string},
    {"NSLocationAlwaysAndWhenInUseUsageDescription", KeyType::string},
    {"NSLocationAlwaysUsageDescription", KeyType::string},
    {"NSLocationUsageDescription", KeyType::string},
    {"NSLocationWhenInUseUsageDescription", KeyType::string},
    {"NSMainCameraUsageDescription", KeyType::string},
    {"NSMainNibFile", KeyType::string},
    {"NSMainStoryboardFile", KeyType::string},
    {"NSMicrophoneUsageDescription", KeyType::string},
    {"NSMotionUsageDescription", KeyType::string},
    {"NSNearbyInteractionAllowOnceUsageDescription", KeyType::string},
    {"NSNearbyInteractionUsageDescription", KeyType::string},
    {"NSNetworkVolumesUsageDescription", KeyType::string},
    {"NSPhotoLibraryAddUsageDescription", KeyType::string},
    {"NSPhotoLibraryUsageDescription", KeyType::string},
    {"NSPrincipalClass", KeyType::string},
    {"NSRemindersFullAccessUsageDescription", KeyType::string},
    {"NSRemindersUsageDescription", KeyType::string},
    {"NSRemovableVolumesUsageDescription", KeyType::string},
    {"NSSensorKitPrivacyPolicyURL", KeyType::string},
    {"NSSensorKitUsageDescription", KeyType::string},
    {"NSSiriUsageDescription", KeyType::string},
    {"NSSpeechRecognitionUsageDescription", KeyType::string},
    {"NSStickerSharingLevel", KeyType::string},
    {"NSSupportsLiveActivities", KeyType::boolean},
    {"NSSupportsLiveActivitiesFrequentUpdates", KeyType::boolean},
    {"NSSystemAdministrationUsageDescription", KeyType::string},
    {"NSSystemExtensionUsageDescription", KeyType::string},
    {"NSUserTrackingUsageDescription", KeyType::string},
    {"NSVideoSubscriberAccountUsageDescription", KeyType::string},
    {"NSVoIPUsageDescription", KeyType::string},
    {"NSWorldSensingUsageDescription", KeyType::string},
    {"OSBundleUsageDescription", KeyType::string},
    {"UIApplicationSceneManifest_Generation", KeyType::app_only},
    {"UIApplicationSupportsIndirectInputEvents", KeyType::boolean},
    {"UILaunchScreen_Generation", KeyType::app_only},
    {"UILaunchStoryboardName", KeyType::string},
    {"UIMainStoryboardFile", KeyType::string},
    {"UIRequiredDeviceCapabilities", KeyType::word_list},
    {"UIRequiresFullScreen", KeyType::boolean},
    {"UIStatusBarHidden", KeyType::boolean},
    {"UIStatusBarStyle", KeyType::string},
    {"UISupportedInterfaceOrientations", KeyType::word_list},
    {"UISupportedInterfaceOrientations_iPad", KeyType::app_only},
    {"UISupportedInterfaceOrientations_iPhone", KeyType::app_only},
    {"UISupportsDocumentBrowser", KeyType::boolean},
    {"UIUserInterfaceStyle", KeyType::string},
    {"WKCompanionAppBundleIdentifier", KeyType::string},
    {"WKExtensionDelegateClassName", KeyType::string},
    {"WKRunsIndependentlyOfCompanionApp", KeyType::boolean},
    {"WKSupportsLiveActivityLaunchAttributeTypes", KeyType::word_list},
    {"WKWatchOnly", KeyType::boolean},
};

constexpr const char kKeyPrefix[] = "INFOPLIST_KEY_";

std::vector<std::string> words(const std::string &value) {
    std::istringstream in(value);
    std::vector<std::string> out;
    for (std::string word; in >> word;)
        out.push_back(word);
    return out;
}

// Whether Xcode would generate: the setting if given, else netdext's guess (info_plist.h).
bool generates(const PropertyList &plist, const BuildSettings &settings,
               std::vector<std::string> &warnings) {
    if (const std::string *value = settings.find("GENERATE_INFOPLIST_FILE")) {
        std::vector<std::string> ignored;
        std::string expanded = settings.expand(*value, ignored);
        if (std::optional<bool> yes = setting_as_bool(expanded))
            return *yes;
        warnings.push_back("GENERATE_INFOPLIST_FILE is '" + expanded +
                           "', not YES or NO: treated as NO");
        return false;
    }
    return plist.string_value("CFBundleIdentifier").empty() ||
           plist.string_value("CFBundleExecutable").empty() ||
           !settings.with_prefix(kKeyPrefix).empty();
}

void add_info_plist_keys(PropertyList &generated, const BuildSettings &settings,
                         std::vector<std::string> &warnings) {
    for (const auto &[setting, raw] : settings.with_prefix(kKeyPrefix)) {
        std::string key = setting.substr(sizeof kKeyPrefix - 1);
        const InfoPlistKey *known = std::find_if(
            std::begin(kInfoPlistKeys), std::end(kInfoPlistKeys),
            [&key](const InfoPlistKey &k) { return key == k.key; });
        if (known == std::end(kInfoPlistKeys)) {
            warnings.push_back(setting + " is ignored: Xcode generates no Info.plist key from "
                                         "it (put " + key + " in the Info.plist instead)");
            continue;
        }
        std::string value = settings.value_of(setting, warnings);
        switch (known->type) {
        case KeyType::string:
            generated.set_string(known->key, value);
            break;
        case KeyType::boolean:
            if (std::optional<bool> yes = setting_as_bool(value))
                generated.set_bool(known->key, *yes);
            else
                warnings.push_back(setting + " is '" + value + "', not YES or NO: ignored");
            break;
        case KeyType::word_list:
            generated.set_string_array(known->key, words(value));
            break;
        case KeyType::app_only:
            warnings.push_back(setting + " is ignored: it describes an app, not a driver "
                                         "extension");
            break;
        }
    }
}

} // namespace

void complete_info_plist(PropertyList &plist, const BuildSettings &settings,
                         std::vector<std::string> &warnings) {
    if (generates(plist, settings, warnings)) {
        PropertyList generated = PropertyList::dictionary();
        for (const GeneratedKey &standard : kStandardKeys) {
            if (settings.find(standard.setting) == nullptr)
                continue; // an unassigned setting generates nothing
            std::string value = settings.value_of(standard.setting, warnings);
            if (!value.empty())
                generated.set_string(standard.key, value);
        }
        generated.set_string("CFBundleInfoDictionaryVersion", "6.0");
        add_info_plist_keys(generated, settings, warnings);
        plist.merge_generated(generated);
    }
    for (const char *key : kElidedWhenEmpty)
        if (plist.has_string(key) && plist.string_value(key).empty())
            plist.remove(key);
    std::vector<std::string> ignored;
    std::string product_id = settings.value_of("PRODUCT_BUNDLE_IDENTIFIER", ignored);
    std::string bundle_id = plist.string_value("CFBundleIdentifier");
    if (!product_id.empty() && !bundle_id.empty() && bundle_id != product_id)
        warnings.push_back("CFBundleIdentifier '" + bundle_id +
                           "' differs from PRODUCT_BUNDLE_IDENTIFIER '" + product_id + "'");
}

} // namespace netdext::bundle
