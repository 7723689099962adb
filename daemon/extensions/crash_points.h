// Crash injection for the consistency tests: NETDEXT_CRASH_AT=<point> makes netdextd call
// _exit(kCrashExitCode) when it reaches that point, as if it had been SIGKILLed there (no
// destructor runs, nothing is flushed, the drivers die with it through PR_SET_PDEATHSIG).
//
// Points (in the order a request passes them):
//   db-written              the new database is written and fsynced, not yet renamed over the old
//   activate-staged         a new extension is copied into the state directory, not recorded
//   activate-committed      it is recorded, its driver not started
//   approve-committed       the approval is recorded, the driver not started
//   replace-staged          the new version is copied, nothing recorded
//   replace-committed       old = terminating for upgrade, new = enabled recorded; old still runs
//   replace-old-stopped     the old driver has exited; its files and record are still there
//   uninstall-committed     terminating for uninstall recorded; the driver still runs
//   uninstall-stopped       the driver has exited; files and record still there
//   uninstall-files-removed the files are gone; the record is not
// A restarted netdextd finishes or discards what was interrupted (ExtensionSet::recover).
#pragma once

namespace netdext::extensions {

inline constexpr int kCrashExitCode = 86;
inline constexpr const char *kCrashEnvironment = "NETDEXT_CRASH_AT";

// _exit(kCrashExitCode) if NETDEXT_CRASH_AT names `point`; otherwise nothing.
void crash_point(const char *point);

} // namespace netdext::extensions
