#!/usr/bin/env bash
# The installed package runs from any prefix: installs BUILD_DIR into a fresh prefix, then checks
# that every tool answers --version and --help without LD_LIBRARY_PATH (install RPATH), that
# --help runs nothing, that netdextd finds netdext-host in libexec/netdext, and that the systemd
# unit is valid.
# Usage: run.sh BUILD_DIR
set -euo pipefail
build_dir=$1
work=$(mktemp -d /tmp/netdext-install.XXXXXX)
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
cmake --install "$build_dir" --prefix "$prefix" >/dev/null
unset LD_LIBRARY_PATH
fail() { echo "install test: $*" >&2; exit 1; }

tools=(bin/netdextd bin/netdextctl bin/netdext-sim bin/netdext-iig bin/netdext-bundle
       libexec/netdext/netdext-host)
for tool in "${tools[@]}"; do
    [ -x "$prefix/$tool" ] || fail "$tool is not installed"
    name=$(basename "$tool")
    out=$("$prefix/$tool" --version) || fail "$tool --version failed"
    [[ "$out" == "$name "* ]] || fail "$tool --version printed '$out'"
    # --help prints and exits 0, in an empty directory that stays empty.
    mkdir "$work/help-$name"
    (cd "$work/help-$name" && "$prefix/$tool" --help >/dev/null) || fail "$tool --help failed"
    [ -z "$(ls -A "$work/help-$name")" ] || fail "$tool --help left files behind"
done
[ ! -e "$prefix/bin/netdext-host" ] || fail "netdext-host belongs in libexec/netdext, not bin"

# netdextd finds its host (else it would say "cannot find netdext-host" first).
out=$("$prefix/bin/netdextd" --run "$work/none.dext" --socket "$work/s" --config /dev/null 2>&1) &&
    fail "netdextd accepted a missing bundle"
[[ "$out" == *"none.dext: No such file or directory"* ]] || fail "netdextd said: $out"

unit="$prefix/lib/systemd/system/netdextd.service"
[ -f "$unit" ] || fail "netdextd.service is not installed"
grep -q "^ExecStart=$prefix/bin/netdextd " "$unit" || fail "ExecStart does not name the prefix"
[ -f "$prefix/lib/sysusers.d/netdext.conf" ] || fail "the sysusers.d file is not installed"
if command -v systemd-analyze >/dev/null; then
    SYSTEMD_LOG_LEVEL=notice systemd-analyze verify "$unit" || fail "systemd-analyze verify"
fi
echo "install test: ${#tools[@]} tools run from $prefix"
