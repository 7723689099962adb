// Private helpers of libdriverkit (not installed).
#pragma once

#include <netdext/runtime.h>

#include <mutex>
#include <string>
#include <vector>

namespace netdext {

// The names of every registered class (OSMetaClass::find's registry), sorted, without repeats.
std::vector<std::string> registered_class_names();

// Logs a fault with the message and aborts: for broken invariants and API misuse that would
// otherwise corrupt memory.
[[noreturn]] void fatal(const char *format, ...) __attribute__((format(printf, 1, 2)));

// Allocates and init()s a T (+1); nullptr (the object released) when init() fails.
template <class T> T *new_object() {
    T *object = new T;
    if (!object->init()) {
        object->release();
        return nullptr;
    }
    return object;
}

// Stores `value` (retained) in `slot` under `mutex` and releases what was there, outside the
// lock (the release may free an object whose free() takes other locks). `value` may be null.
template <class T> void replace_retained(std::mutex &mutex, T *&slot, T *value) {
    if (value != nullptr)
        value->retain();
    T *old;
    {
        std::lock_guard lock(mutex);
        old = slot;
        slot = value;
    }
    if (old != nullptr)
        old->release();
}

} // namespace netdext
