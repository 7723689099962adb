/*
 * DriverKit/IOMemoryMap.h — a mapping of an IOMemoryDescriptor into the driver's address space.
 *
 * netdext: created by IOMemoryDescriptor::CreateMapping. The address is where the described bytes
 * already are in this process (nothing is remapped); the map retains its descriptor, so the
 * address stays valid until the map is released. GetOffset is the offset into the descriptor
 * that CreateMapping was given.
 */
#ifndef _DRIVERKIT_IOMEMORYMAP_H
#define _DRIVERKIT_IOMEMORYMAP_H

#include <DriverKit/OSObject.h>

class IOMemoryDescriptor;

/* DriverKit private: what _CopyState reports. */
struct _IOMemoryMapPrivateState {
    uint64_t length;
    uint64_t offset;
    uint64_t options;
    uint64_t address;
};

struct IOMemoryMap_IVars;

class IOMemoryMap : public OSObject {
public:
    NETDEXT_CLASS_MEMBERS(IOMemoryMap, OSObject)

    bool init() override;
    void free() override;

    uint64_t GetAddress();
    uint64_t GetLength();
    uint64_t GetOffset();

    /* DriverKit private. */
    kern_return_t _CopyState(_IOMemoryMapPrivateState *state);

    /* netdext: the mapped descriptor (+0; the map holds a reference). */
    IOMemoryDescriptor *netdext_memory() const;
    /* netdext: what CreateMapping builds; retains `memory`. */
    static kern_return_t netdext_create(IOMemoryDescriptor *memory, uint64_t options,
                                        uint64_t address, uint64_t offset, uint64_t length,
                                        IOMemoryMap **map);

private:
    IOMemoryMap_IVars *ivars = nullptr;
};

extern OSMetaClass *gIOMemoryMapMetaClass;

#endif /* _DRIVERKIT_IOMEMORYMAP_H */
