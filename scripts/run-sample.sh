#!/usr/bin/env bash
# The main job: build the SDK and the seed's sample driver, then run the sample.
# Until the daemon is in place this runs the sample in the driver test bench (netdext-sim): 11 s of
# virtual time with the interface up, the delivered frames written to sample-rx.pcap and decoded.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$root/build/gcc" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++ >/dev/null
cmake --build "$root/build/gcc" --target netdext-sim NetworkingDriverKitSample

dext="$root/build/gcc/samples/NetworkingDriverKitSample/NetworkingDriverKitSample.dext"
"$root/build/gcc/testing/netdext-sim" "$dext" --run 11s --rx-pcap "$root/build/sample-rx.pcap"
echo
echo "Frames the driver delivered (build/sample-rx.pcap):"
tshark -r "$root/build/sample-rx.pcap" -o ip.check_checksum:TRUE 2>/dev/null
