#!/usr/bin/env bash
# netdext-sim runs the sample for 11 s of virtual time; tshark must decode the capture as three
# bursts of 8 ICMP echo requests at exactly t = 1 s, 6 s and 11 s, with valid IP and ICMP
# checksums.
# Usage: sim_pcap_test.sh NETDEXT_SIM SAMPLE.dext
set -euo pipefail
sim=$1 dext=$2
work=$(mktemp -d /tmp/netdext-sim-test.XXXXXX)
trap 'rm -rf "$work"' EXIT

"$sim" "$dext" --run 11s --rx-pcap "$work/x.pcap" > "$work/summary.txt"
grep -q "24 delivered to the stack" "$work/summary.txt" || { cat "$work/summary.txt"; exit 1; }

# time, ICMP type, IP checksum status, ICMP checksum status (1 = good)
tshark -r "$work/x.pcap" -o ip.check_checksum:TRUE \
       -T fields -e frame.time_epoch -e icmp.type -e ip.checksum.status -e icmp.checksum.status \
       2>/dev/null | sort | uniq -c | awk '{$1=$1; print}' > "$work/decoded.txt"
cat > "$work/expected.txt" <<'EXPECTED'
8 1.000000000 8 1 1
8 11.000000000 8 1 1
8 6.000000000 8 1 1
EXPECTED
if ! diff -u "$work/expected.txt" "$work/decoded.txt"; then
    echo "sim_pcap_test: the capture does not decode as expected" >&2
    exit 1
fi

# JSON summary and the exit status for a driver that refuses to start.
"$sim" "$dext" --run 999ms --json | grep -q '"rx_delivered": 0'
"$sim" "$dext" --run 1s --json | grep -q '"rx_delivered": 8'
set +e
"$sim" "$dext" --boot-args "ndks-enable=0" --run 1s > "$work/disabled.txt" 2>&1
status=$?
set -e
[ "$status" -eq 2 ] || { echo "expected exit status 2 for ndks-enable=0, got $status" >&2; exit 1; }
"$sim" /nonexistent.dext > /dev/null 2>&1 && { echo "expected failure for a missing bundle" >&2; exit 1; }
echo "sim_pcap_test: ok"
