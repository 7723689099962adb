#!/usr/bin/env bash
# The main job: the seed's sample driver as a live Linux interface driven by the kernel stack.
#
# Installs what is missing, builds, then in a private network namespace: starts netdextd with the
# sample; shows `ip link` with en0 and MAC 10:22:33:44:55:66; gives en0 17.192.170.17/24 and a
# static neighbour for 17.192.170.19; brings it up; waits for two bursts of the driver's echo
# requests; shows that the stack received them (`ip -s link`) and answered each with an echo reply
# that reached the driver's TX queue; then removes everything it made. Needs root.
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
cmake --build "$build" --target netdextd netdext-host NetworkingDriverKitSample

ns="netdext-sample-$$"
work=$(mktemp -d /tmp/netdext-sample.XXXXXX)
chmod 755 "$work"
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
counter() { # name → the daemon's counter for en0
    python3 - "$work/status.json" "$1" <<'PY' 2>/dev/null || echo 0
import json, sys
d = json.load(open(sys.argv[1]))["dexts"][0]
print(d.get("interface", {}).get("counters", {}).get(sys.argv[2], 0))
PY
}
at_least() { [ "$(counter "$1")" -ge "$2" ]; }

ip netns add "$ns"
ip -n "$ns" link set lo up
# Exact counts: no IPv6 chatter on the new interface.
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1

echo "== starting netdextd with the sample in namespace $ns"
ip netns exec "$ns" "$build/daemon/netdextd/netdextd" \
    --run "$build/samples/NetworkingDriverKitSample/NetworkingDriverKitSample.dext" \
    --host "$build/host/netdext-host" --status-file "$work/status.json" --capture "$work" \
    2> >(sed 's/^/  | /' >&2) &
daemon_pid=$!
wait_for 20 ip -n "$ns" link show en0 || { echo "en0 did not appear" >&2; exit 1; }

echo "== ip link"
ip -n "$ns" link show en0
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
echo
echo "== what the driver received on its TX queue (decoded):"
tshark -r "$work/en0-tx-submission.pcap" -o ip.check_checksum:TRUE 2>/dev/null | head -16
echo
echo "== stopping netdextd; the namespace and en0 are removed"
