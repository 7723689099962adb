// What netdextd decides about each dext's sandbox (docs/sandbox.md): the layers, the uid range
// extensions draw their credentials from, and the resource limits. The daemon fills one
// SandboxSettings from its command line; every launch copies it, and a per-extension override of
// `limits` replaces the defaults for that extension only.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

namespace netdext::sandbox {

class UidPool;
class CgroupParent;

// Resource limits of one extension. cgroup v2 enforces them where its controllers are delegated
// to netdextd; otherwise (and in addition) rlimits do, as noted per field.
struct SandboxLimits {
    // cgroup memory.max (resident memory, page cache included); rlimit fallback: RLIMIT_AS of
    // the host is set to its address space before the driver loads plus this much.
    uint64_t memory_bytes = uint64_t(512) << 20;
    // cgroup pids.max; rlimit fallback: RLIMIT_NPROC of the extension's own uid (threads count).
    uint32_t max_tasks = 64;
    // cgroup cpu.weight (1–10000, 100 is the kernel's default); no rlimit equivalent.
    uint32_t cpu_weight = 100;
    // RLIMIT_NOFILE (always).
    uint32_t open_files = 256;
    // Size of the private /tmp (tmpfs).
    uint64_t tmp_bytes = uint64_t(16) << 20;
    // The driver's own output (stdout/stderr): lines per second, and the burst allowed at once.
    uint32_t log_lines_per_second = 50;
    uint32_t log_burst = 200;
};

struct SandboxSettings {
    bool enabled = true; // netdextd --no-sandbox turns every layer off
    bool seccomp = true; // netdextd --no-seccomp turns only the filter off (debugging)
    // netdextd --seccomp-report: calls outside the list fail with ENOSYS and are logged instead
    // of killing the host (measuring what a driver needs; never for production).
    bool seccomp_report = false;
    SandboxLimits limits;
    // Shared by every launch of one daemon: the uid leases and the cgroup the extensions' cgroups
    // are made in (null: no uid range configured / no cgroup v2).
    std::shared_ptr<UidPool> uids;
    std::shared_ptr<CgroupParent> cgroups;
};

} // namespace netdext::sandbox
