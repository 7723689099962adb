#!/usr/bin/env bash
# Follows docs/first-driver.md from scratch in a clean directory: installs the netdext build in
# BUILD_DIR into a fresh prefix, creates a driver with netdext-new-driver, builds it against the
# installed SDK with the C++ compiler CXX, runs its tests and runs it in netdext-sim.
# Usage: run.sh BUILD_DIR CXX
set -euo pipefail
build_dir=$1 cxx=$2
work=$(mktemp -d /tmp/netdext-first-driver.XXXXXX)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
export PATH="$work/prefix/bin:$PATH"
cd "$work"

# 1. Create the project (docs/first-driver.md, "Create a driver").
netdext-new-driver MyFirstNic --bundle-id com.example.MyFirstNic

# 2. Build it against the installed SDK, then run its tests ("Build and test").
cmake -S MyFirstNic -B MyFirstNic/build -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
      -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build MyFirstNic/build
test -x MyFirstNic/build/MyFirstNic.dext/MyFirstNic
grep -q '<string>com.example.MyFirstNic</string>' MyFirstNic/build/MyFirstNic.dext/Info.plist
ctest --test-dir MyFirstNic/build --output-on-failure

# 3. Run it in virtual time ("Run it in netdext-sim"); exit status 0 = started, no misuse.
netdext-sim MyFirstNic/build/MyFirstNic.dext --run 2s

# The installed include tree has the SDK's .iig files and case variants of the framework folders
# (sources written on macOS's case-insensitive file systems include them so).
cat > includes.cpp <<'CPP'
#include <NetworkingDriverKit/IOUserNetworkEthernet.iig>
#include <NetworkingDriverkit/IOUserNetworkPacket.h>
#include <driverkit/IOLib.h>
int main() { return sizeof(IOUserNetworkEthernet) > 0 ? 0 : 1; }
CPP
flags=(-std=c++20 -fsyntax-only -I"$work/prefix/include/netdext")
if "$cxx" --version | grep -q clang; then flags+=(-fblocks); fi
"$cxx" "${flags[@]}" includes.cpp

# A second project in the same place is refused, and a bad name is explained.
if netdext-new-driver MyFirstNic 2>/dev/null; then echo "an existing project was overwritten"; exit 1; fi
if netdext-new-driver 9lives 2>/dev/null; then echo "a bad class name was accepted"; exit 1; fi
echo "first-driver: the guide works from scratch"
