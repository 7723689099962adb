/*
 * DriverKit/OSContainer.h — the base of every value a property table or collection can hold
 * (OSString, OSNumber, OSBoolean, OSData and the collections).
 *
 * netdext: as DriverKit, containers are plain reference-counted objects with no locking; a driver
 * that shares one between queues serialises access itself. IOService::SearchProperty returns one.
 */
#ifndef _DRIVERKIT_OSCONTAINER_H
#define _DRIVERKIT_OSCONTAINER_H

#include <DriverKit/OSObject.h>

class OSContainer;
class OSCollection;
class OSString;
class OSNumber;
class OSBoolean;
class OSData;
class OSArray;
class OSDictionary;
class OSSet;
class OSOrderedSet;
class OSSerialization;

/* DriverKit spells some parameters with the Ptr typedefs; here they are plain pointers. */
typedef OSObject *OSObjectPtr;
typedef OSContainer *OSContainerPtr;
typedef OSCollection *OSCollectionPtr;
typedef OSString *OSStringPtr;
typedef OSNumber *OSNumberPtr;
typedef OSBoolean *OSBooleanPtr;
typedef OSData *OSDataPtr;
typedef OSArray *OSArrayPtr;
typedef OSDictionary *OSDictionaryPtr;
typedef OSSet *OSSetPtr;
typedef OSOrderedSet *OSOrderedSetPtr;
typedef OSSerialization *OSSerializationPtr;

class OSContainer : public OSObject {
public:
    NETDEXT_CLASS_MEMBERS(OSContainer, OSObject)
};

extern OSMetaClass *gOSContainerMetaClass;

#endif /* _DRIVERKIT_OSCONTAINER_H */
