#!/usr/bin/env bash
# netdext-sim with simulated devices: both hardware samples carry frames both ways between the
# stack (--tx-pcap/--rx-pcap) and the device's cable (--wire-in/--wire-out); a sample whose
# personality does not match the device (or whose transport entitlement does not cover it) is
# not started (exit 4); timed events flap the link and remove the device; bad input is refused.
# Usage: sim_devices_test.sh NETDEXT_SIM USB_SAMPLE.dext PCI_SAMPLE.dext
set -euo pipefail
sim=$1 usb=$2 pci=$3
work=$(mktemp -d /tmp/netdext-sim-devices.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "sim_devices_test: $*" >&2; exit 1; }

# Five frames from a peer to 02:00:00:00:00:01 (the devices' default address), three from the
# stack to the peer; EtherType 0x88b5, 46 bytes of payload.
payload=$(printf '%02x ' $(seq 1 46))
for i in 1 2 3 4 5; do
    echo "0000 02 00 00 00 00 01 02 00 00 00 00 99 88 b5 $payload"
done > "$work/in.txt"
for i in 1 2 3; do
    echo "0000 02 00 00 00 00 99 02 00 00 00 00 01 88 b5 $payload"
done > "$work/tx.txt"
text2pcap -q "$work/in.txt" "$work/in.pcap"
text2pcap -q "$work/tx.txt" "$work/tx.pcap"

count() { capinfos -c -M "$1" | awk '/Number of packets/ {print $NF}'; }
# `has FILE TEXT`: the (pretty-printed) JSON summary contains TEXT.
has() { grep -qF -- "$2" "$1"; }

for case in "usb:$usb:cdc-ecm" "pci:$pci:e1000"; do
    IFS=: read -r name dext model <<< "$case"
    "$sim" "$dext" --device "$model" --run 2s --json \
        --wire-in "$work/in.pcap" --wire-out "$work/$name-out.pcap" \
        --tx-pcap "$work/tx.pcap" --rx-pcap "$work/$name-rx.pcap" > "$work/$name.json" \
        || fail "$name: netdext-sim failed: $(cat "$work/$name.json")"
    has "$work/$name.json" '"rx_delivered": 5,' || fail "$name: rx_delivered"
    has "$work/$name.json" '"out": 3' || fail "$name: wire out"
    has "$work/$name.json" '"matched": true' || fail "$name: matched"
    [ "$(count "$work/$name-rx.pcap")" = 5 ] || fail "$name: rx pcap"
    [ "$(count "$work/$name-out.pcap")" = 3 ] || fail "$name: wire-out pcap"
done

expect_status() {
    local want=$1; shift
    set +e; "$@" > "$work/out.txt" 2>&1; local status=$?; set -e
    [ "$status" -eq "$want" ] || fail "expected exit $want, got $status: $* :: $(cat "$work/out.txt")"
}
# Not matched, not entitled: not started.
expect_status 4 "$sim" "$usb" --device e1000 --run 100ms
grep -q "IOProviderClass IOUSBHostInterface is not IOPCIDevice" "$work/out.txt" || fail "usb/e1000 log"
expect_status 4 "$sim" "$pci" --device cdc-ecm --run 100ms
expect_status 4 "$sim" "$usb" --device cdc-ecm,vid=0x1234 --run 100ms
grep -q "transport entitlement" "$work/out.txt" || fail "entitlement message"

# Timed events: a link flap, then a surprise removal the driver survives.
"$sim" "$pci" --device e1000 --run 3s --json --event 1s:link=down > "$work/flap.json"
has "$work/flap.json" '"link_status": "0x1"' || fail "link down not reported"
"$sim" "$usb" --device cdc-ecm --run 3s --json --event 1s:link=down --event 2s:link=up > "$work/flap2.json"
has "$work/flap2.json" '"link_status": "0x3"' || fail "link up not reported"
"$sim" "$pci" --device e1000 --run 2s --json --event 1s:remove > "$work/remove.json" \
    || fail "removal: $(cat "$work/remove.json")"
grep -q "DetachDevice(e1000)" "$work/remove.json" || fail "no DetachDevice call"

# Bad input.
expect_status 1 "$sim" "$usb" --device nosuch
grep -q 'no device model named "nosuch"' "$work/out.txt" || fail "unknown model message"
expect_status 1 "$sim" "$usb" --device cdc-ecm,stal=0x82
expect_status 1 "$sim" "$usb" --device cdc-ecm --event 1s:nosuch=1 --run 2s
expect_status 1 "$sim" "$usb" --wire-in "$work/in.pcap"
expect_status 1 "$sim" "$usb" --device cdc-ecm --event soon:link=down
"$sim" --list-devices | grep -q "^e1000 (pci)" || fail "--list-devices"
echo "sim_devices_test: ok"
