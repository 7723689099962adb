// The shared libraries an executable or a driver needs, resolved as the dynamic loader will
// resolve them, so the sandbox's filesystem view can hold exactly those files (docs/sandbox.md).
//
// Reads PT_INTERP, DT_NEEDED, DT_RPATH and DT_RUNPATH with libelf (elfutils) and resolves each
// name the way ld.so does: the object's DT_RUNPATH (else the DT_RPATH chain of its loaders), then
// the directories of /etc/ld.so.conf, then the default directories. `$ORIGIN` is expanded. A
// needed name with a '/' in it, a file that is not a readable ELF shared object of the same class
// and machine, or a name that cannot be found is an error: the driver would not load anyway, and
// the view never holds files that are not libraries.
//
// The files come from untrusted bundles: libelf does the parsing, every string is bounded, and
// the closure is capped (kMaxLibraries).
#pragma once

#include <netdext/result.h>

#include <string>
#include <vector>

namespace netdext::sandbox {

inline constexpr size_t kMaxLibraries = 256;

struct ElfClosure {
    std::string interpreter;            // PT_INTERP of the first object ("" for a library)
    std::vector<std::string> libraries; // every needed library, as the path ld.so will open
    std::string missing;                // the first name that could not be resolved, if any
};

// The closure of `objects` (an executable and/or libraries). `search_dirs` replaces the
// ld.so.conf + default directories (tests); empty means the system's.
Result<ElfClosure> resolve_elf_closure(const std::vector<std::string> &objects,
                                       const std::vector<std::string> &search_dirs = {});

// /etc/ld.so.conf (with its include lines) followed by the multiarch and default directories.
std::vector<std::string> system_library_dirs();

} // namespace netdext::sandbox
