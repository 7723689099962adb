#!/usr/bin/env bash
# Installs the NetDext build in BUILD_DIR into a fresh prefix, then configures, builds and runs
# the out-of-tree project PROJECT_DIR against it with the C++ compiler CXX.
# Usage: run.sh BUILD_DIR PROJECT_DIR CXX [run-command…]
set -euo pipefail
build_dir=$1 project_dir=$2 cxx=$3
shift 3
work=$(mktemp -d /tmp/netdext-oot.XXXXXX)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cmake -S "$project_dir" -B "$work/build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
      -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$work/build"
if [ $# -gt 0 ]; then
    cd "$work/build" && "$@"
fi
