/*
 * netdext/method_id.h — how netdext names a dispatchable method.
 *
 * A method's ID is the 64-bit FNV-1a hash of its name. An override reuses the ID of the method it
 * overrides simply by having the same name, so netdext-iig never needs to read the base class's
 * .iig. (Apple's iig hashes differently; IDs only need to be stable within one process.)
 */
#ifndef _NETDEXT_METHOD_ID_H
#define _NETDEXT_METHOD_ID_H

#include <stdint.h>

namespace netdext {

constexpr uint64_t method_id(const char *name) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *name != '\0'; ++name) {
        h ^= static_cast<unsigned char>(*name);
        h *= 0x100000001b3ull;
    }
    return h;
}

} // namespace netdext

#endif
