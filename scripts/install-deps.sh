#!/usr/bin/env bash
# Installs the Debian 12 packages netdext needs — only those missing, with one apt-get update.
# Idempotent and non-interactive (tshark would otherwise ask about capture permissions).
set -euo pipefail

packages=(
    build-essential cmake ninja-build pkg-config git ccache  # ccache: scripts/test.sh
    clang libclang-rt-dev libblocksruntime-dev        # Clang with -fblocks, sanitizers, libFuzzer
    libgtest-dev libgmock-dev libbenchmark-dev         # tests and benchmarks
    libcli11-dev nlohmann-json3-dev                    # command lines, --json
    libplist-dev libsodium-dev libseccomp-dev          # bundles, signatures, sandboxing
    libelf-dev                                         # the sandbox: libraries a driver needs
    libmnl-dev libpcap-dev                             # rtnetlink, capture files
    liburing-dev                                       # batched TAP reads and writes
    libsystemd-dev                                     # sd_notify, the journal (netdextd)
    iproute2 tshark python3                            # namespaces/TAPs in tests, pcap decoding
    ethtool                                            # what ethtool shows of en<N> (tests)
    iputils-ping iperf3                                # traffic through simulated devices' drivers
    libcpp-httplib-dev                                 # the sample app's window (a local web page)
    python3-selenium chromium chromium-driver          # its end-to-end test in a real browser
)

missing=()
for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#packages[@]} packages present"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    sudo=sudo
else
    sudo=
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
