#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is missing, builds with GCC
# and with Clang (ASan + UBSan, -fblocks), and runs every test with ctest in both builds; then
# builds the optimised GCC configuration (Release, without the tests) so it cannot stop compiling
# (-O2 finds warnings -O0 does not), and runs the sample in it through netdext-sim.
# Tests that need root (network namespaces, TAPs) run when invoked as root and are skipped otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

"$root/scripts/install-deps.sh"

jobs=$(nproc)
ctest_args=(--output-on-failure --timeout 600 -j "$jobs")
if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: not root — tests labelled 'root' are skipped"
    ctest_args+=(-LE root)
fi

build() { # name, cmake args…
    local name=$1
    shift
    cmake -S "$root" -B "$root/build/$name" -G Ninja "$@" >/dev/null
    cmake --build "$root/build/$name" -j "$jobs"
}

started=$(date +%s)
echo "== GCC build =="
build gcc -DCMAKE_BUILD_TYPE= -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++
echo "== Clang build (ASan + UBSan, -fblocks) =="
build clang-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
      -DNETDEXT_SANITIZE=ON

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
echo "== ctest: GCC =="
(cd "$root/build/gcc" && ctest "${ctest_args[@]}") || status=1
echo "== ctest: Clang ASan+UBSan =="
(cd "$root/build/clang-asan" && ctest "${ctest_args[@]}") || status=1
echo "== GCC Release build (no tests) and a smoke run of the sample =="
if build gcc-release -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++ \
         -DNETDEXT_BUILD_TESTS=OFF -DNETDEXT_BUILD_BENCH=OFF; then
    release="$root/build/gcc-release"
    for tool in daemon/netdextd/netdextd cli/netdextctl/netdextctl host/netdext-host \
                testing/netdext-sim sdk/iig/netdext-iig sdk/tools/netdext-bundle/netdext-bundle; do
        "$release/$tool" --version >/dev/null || { echo "Release: $tool --version failed"; status=1; }
    done
    "$root/samples/NetworkingDriverKitSample/tests/sim_pcap_test.sh" "$release/testing/netdext-sim" \
        "$release/samples/NetworkingDriverKitSample/NetworkingDriverKitSample.dext" ||
        { echo "Release: the sample does not run in netdext-sim"; status=1; }
else
    echo "Release build failed"
    status=1
fi
echo "test.sh: finished in $(( $(date +%s) - started )) s, status $status"
exit $status
