/*
 * DriverKit/IOKitKeys.h — registry, matching and personality key names.
 *
 * netdext: the DriverKit subset of xnu's iokit/IOKit/IOKitKeys.h, with Apple's string values.
 * A dext's IOKitPersonalities use these keys; netdext-host copies the matched personality into
 * the service's properties (IOService::netdext_set_property), as IOKit does.
 */
#ifndef _DRIVERKIT_IOKITKEYS_H
#define _DRIVERKIT_IOKITKEYS_H

/* properties found in the registry root */
#define kIOKitBuildVersionKey "IOKitBuildVersion"
#define kIOKitDiagnosticsKey "IOKitDiagnostics"
#define kIORegistryPlanesKey "IORegistryPlanes"
#define kIOCatalogueKey "IOCatalogue"
#define kIOPlatformSerialNumberKey "IOPlatformSerialNumber"
#define kIOPlatformUUIDKey "IOPlatformUUID"

/* registry plane names (netdext has the IOService plane: a service's provider chain) */
#define kIOServicePlane "IOService"
#define kIOPowerPlane "IOPower"
#define kIODeviceTreePlane "IODeviceTree"
#define kIOAudioPlane "IOAudio"
#define kIOFireWirePlane "IOFireWire"
#define kIOUSBPlane "IOUSB"

#define kIORegistryEntryIDKey "IORegistryEntryID"
#define kIORegistryEntryPropertyKeysKey "IORegistryEntryPropertyKeys"

#define kIOServiceClass "IOService"
#define kIOResourcesClass "IOResources"

/* driver probing */
#define kIOClassKey "IOClass"
#define kIOProbeScoreKey "IOProbeScore"
#define kIOKitDebugKey "IOKitDebug"

/* properties offered as API, and the sub-dictionary SetProperties writes for a dext */
#define kIOSupportedPropertiesKey "IOSupportedProperties"
#define kIOUserServicePropertiesKey "IOUserServiceProperties"

/* matching */
#define kIOProviderClassKey "IOProviderClass"
#define kIONameMatchKey "IONameMatch"
#define kIOPropertyMatchKey "IOPropertyMatch"
#define kIOPropertyExistsMatchKey "IOPropertyExistsMatch"
#define kIOPathMatchKey "IOPathMatch"
#define kIOLocationMatchKey "IOLocationMatch"
#define kIOParentMatchKey "IOParentMatch"
#define kIOResourceMatchKey "IOResourceMatch"
#define kIOResourceMatchedKey "IOResourceMatched"
#define kIOMatchedServiceCountKey "IOMatchedServiceCountMatch"
#define kIONameMatchedKey "IONameMatched"
#define kIOMatchCategoryKey "IOMatchCategory"
#define kIODefaultMatchCategoryKey "IODefaultMatchCategory"
#define kIOMatchedPersonalityKey "IOMatchedPersonality"
#define kIORematchPersonalityKey "IORematchPersonality"
#define kIORematchCountKey "IORematchCount"
#define kIODEXTMatchCountKey "IODEXTMatchCount"
#define kIOMatchDeferKey "IOMatchDefer"
#define kIOCompatibilityMatchKey "IOCompatibilityMatch"
#define kIOCompatibilityPropertiesKey "IOCompatibilityProperties"

/* DriverKit services and their personalities */
#define kIOUserClassKey "IOUserClass"
#define kIOUserServerNameKey "IOUserServerName"
#define kIOUserServerCDHashKey "IOUserServerCDHash"
#define kIOUserServerOneProcessKey "IOUserServerOneProcess"
#define kCFBundleIdentifierKey "CFBundleIdentifier"
#define kCFBundleIdentifierKernelKey "CFBundleIdentifierKernel"
#define kIOPersonalityPublisherKey "IOPersonalityPublisher"

/* entitlements */
#define kIOServiceDEXTEntitlementsKey "IOServiceDEXTEntitlements"
#define kIODriverKitEntitlementKey "com.apple.developer.driverkit"
#define kIODriverKitUserClientEntitlementsKey "com.apple.developer.driverkit.userclient-access"
#define kIODriverKitUSBTransportEntitlementKey "com.apple.developer.driverkit.transport.usb"
#define kIODriverKitHIDTransportEntitlementKey "com.apple.developer.driverkit.transport.hid"
#define kIODriverKitTransportBuiltinEntitlementKey "com.apple.developer.driverkit.builtin"

/* user clients */
#define kIOUserClientClassKey "IOUserClientClass"
#define kIOUserClientEntitlementsKey "IOUserClientEntitlements"
#define kIOUserClientCrossEndianKey "IOUserClientCrossEndian"
#define kIOUserClientCrossEndianCompatibleKey "IOUserClientCrossEndianCompatible"
#define kIOUserClientSharedInstanceKey "IOUserClientSharedInstance"
#define kIOCFPlugInTypesKey "IOCFPlugInTypes"

/* DMA constraints a provider may publish */
#define kIOMapperIDKey "IOMapperID"
#define kIOMinimumSegmentAlignmentByteCountKey "IOMinimumSegmentAlignmentByteCount"
#define kIOMaximumSegmentAddressableBitCountKey "IOMaximumSegmentAddressableBitCount"

/* notification and interest types */
#define kIOPublishNotification "IOServicePublish"
#define kIOFirstPublishNotification "IOServiceFirstPublish"
#define kIOMatchedNotification "IOServiceMatched"
#define kIOFirstMatchNotification "IOServiceFirstMatch"
#define kIOTerminatedNotification "IOServiceTerminate"
#define kIOWillTerminateNotification "IOServiceWillTerminate"
#define kIOGeneralInterest "IOGeneralInterest"
#define kIOBusyInterest "IOBusyInterest"
#define kIOAppPowerStateInterest "IOAppPowerStateInterest"
#define kIOPriorityPowerStateInterest "IOPriorityPowerStateInterest"

#endif /* _DRIVERKIT_IOKITKEYS_H */
