#!/usr/bin/env bash
# The main job: the seed's sample driver installed as a system extension and running as a live
# Linux interface driven by the kernel stack.
#
# Installs what is missing, builds, then in a private network namespace: starts netdextd with its
# own state directory and control socket; trusts the team that signed the sample; activates it
# with developer mode off (the request needs the user's approval), approves it, and shows `netdextctl list` with
# [activated enabled] and `ip link` with en0 (MAC 10:22:33:44:55:66); gives en0 17.192.170.17/24
# and a static neighbour for 17.192.170.19; brings it up; waits for two bursts of the driver's
# echo requests; shows that the stack received them (`ip -s link`) and answered each with an echo
# reply that reached the driver's TX queue; then `netdextctl uninstall <team> <bundle ID>` and shows
# that en0 is gone; removes everything it made. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [ "$(id -u)" -ne 0 ]; then
    echo "run-sample.sh: needs root (it creates a network namespace and a TAP); try sudo" >&2
    exit 1
fi
"$root/scripts/install-deps.sh"
build="$root/build/release"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++ >/dev/null
cmake --build "$build" --target netdextd netdextctl netdext-host NetworkingDriverKitSample

ns="netdext-sample-$$"
work=$(mktemp -d /tmp/netdext-sample.XXXXXX)
chmod 755 "$work"
sample="$build/samples/NetworkingDriverKitSample/NetworkingDriverKitSample.dext"
id=com.example.netdext.NetworkingDriverKitSample
daemon_pid=
cleanup() {
    if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
        kill -TERM "$daemon_pid"
        for _ in $(seq 100); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$daemon_pid" 2>/dev/null || true
    fi
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Polls a condition every 0.1 s until it holds or the deadline (seconds) passes.
wait_for() { # deadline, command…
    local deadline=$1
    shift
    for _ in $(seq $((deadline * 10))); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    return 1
}
ctl() { "$build/cli/netdextctl/netdextctl" --socket "$work/netdextd.sock" "$@"; }
show() { echo "\$ netdextctl $*"; ctl "$@" | sed 's/^/  /'; }
counter() { # name → the daemon's counter for en0
    ctl status --json | python3 -c '
import json, sys
d = json.load(sys.stdin)["dexts"][0]
print(d.get("interface", {}).get("counters", {}).get(sys.argv[1], 0))' "$1" 2>/dev/null || echo 0
}
at_least() { [ "$(counter "$1")" -ge "$2" ]; }
listed() { ctl list | grep -qF "[$1]"; }

ip netns add "$ns"
ip -n "$ns" link set lo up
# Exact counts: no IPv6 chatter on the new interface.
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1

echo "== starting netdextd in namespace $ns (state directory and socket in $work)"
ip netns exec "$ns" "$build/daemon/netdextd/netdextd" --state-dir "$work/state" \
    --socket "$work/netdextd.sock" --host "$build/host/netdext-host" --capture "$work" \
    --config /dev/null --log stderr 2> >(sed 's/^/  | /' >&2) &
daemon_pid=$!
wait_for 20 ctl version || { echo "netdextd did not start" >&2; exit 1; }
show developer

# The build signs the sample with a throwaway team identity (samples/…/CMakeLists.txt); an
# administrator trusts that team's public key once, as a Mac trusts Apple-issued certificates.
identity="$build/samples/NetworkingDriverKitSample/throwaway.identity.pub"
if [ -f "$identity" ]; then
    echo "== trusting the team that signed the sample"
    show trust add "$identity"
else
    echo "== the sample is unsigned in this build: developer mode runs it as team -"
    show developer on
fi

echo "== activating the sample (as its installer app would); it waits for the user's approval"
ctl activate "$sample" | sed -u 's/^/  /' &
activation=$!
wait_for 20 listed "activated waiting for user" || { echo "no activation" >&2; exit 1; }
show list
echo "== approving it (System Settings' Allow)"
show approve "$id"
wait "$activation"
wait_for 20 ip -n "$ns" link show en0 || { echo "en0 did not appear" >&2; exit 1; }
show list

echo "== ip -d link, ethtool, and the I/O Registry"
ip -n "$ns" -d link show en0
ip netns exec "$ns" ethtool en0 | grep -E "Speed|Duplex"
show ioreg
echo "== configuring en0: 17.192.170.17/24, neighbour 17.192.170.19 at 10:22:33:44:55:77, up"
ip -n "$ns" addr add 17.192.170.17/24 dev en0
ip -n "$ns" neigh add 17.192.170.19 lladdr 10:22:33:44:55:77 dev en0 nud permanent
ip -n "$ns" link set en0 up

echo "== waiting for two bursts of echo requests (at +1 s and +6 s)"
wait_for 30 at_least tap_written_frames 16
wait_for 10 at_least tx_completed 16

echo "== ip -s link show en0"
ip -n "$ns" -s link show en0
echo
echo "netdextd: $(counter tap_written_frames) echo requests delivered by the driver to the stack;" \
     "$(counter tap_read_frames) frames sent by the stack, $(counter tx_completed) completed by" \
     "the driver"
[ "$(counter tap_written_frames)" -ge 16 ] && [ "$(counter tx_completed)" -ge 16 ] ||
    { echo "run-sample.sh: the echo exchange did not complete" >&2; exit 1; }

echo
echo "== uninstalling the sample"
team=$(ctl list | awk -F'\t' -v id="$id" 'index($4, id " (") == 1 { print $3 }')
show uninstall "$team" "$id"
show list
if ip -n "$ns" link show en0 >/dev/null 2>&1; then
    echo "run-sample.sh: en0 is still there" >&2
    exit 1
fi
echo "ip link: en0 is gone"
echo
echo "== what the driver received on its TX queue (decoded):"
tshark -r "$work/en0-tx-submission.pcap" -o ip.check_checksum:TRUE 2>/dev/null | head -16
echo
echo "== stopping netdextd; the namespace is removed"
