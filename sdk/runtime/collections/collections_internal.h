// Private helpers shared by the container classes and IOService's property table (not installed).
#pragma once

#include <DriverKit/OSCollections.h>

#include "internal.h" // new_object

#include <cstdint>
#include <cstdlib>

namespace netdext {

// What a property read across the dext/kernel boundary gives (DriverKit serialises it): a new
// graph (+1) in which every collection and OSData is copied and the immutable leaves (OSString,
// OSNumber, OSBoolean) are shared. nullptr for a null input or no memory. Objects that are not
// containers are shared too (retained).
OSObject *deep_copy(const OSObject *object);

// ensureCapacity for a collection stored as one realloc'd array of `Slot`: grows geometrically
// (at least 8) so that appending stays linear, never below `wanted`, capped at UINT32_MAX.
// Returns the capacity afterwards (unchanged when the memory is not there).
template <class Slot> uint32_t grow_slots(Slot *&slots, uint32_t &capacity, uint32_t wanted) {
    if (wanted <= capacity)
        return capacity;
    uint64_t target = capacity < 4 ? 8 : uint64_t{capacity} * 2;
    if (target < wanted)
        target = wanted;
    if (target > UINT32_MAX)
        target = UINT32_MAX;
    void *grown = std::realloc(slots, target * sizeof(Slot));
    if (grown == nullptr)
        return capacity;
    slots = static_cast<Slot *>(grown);
    capacity = static_cast<uint32_t>(target);
    return capacity;
}

} // namespace netdext
