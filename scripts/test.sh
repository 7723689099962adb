#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is missing, builds with GCC
# in the optimised Release configuration (so it cannot stop compiling: -O2/-O3 find warnings -O0
# does not, and the tests run on optimised code) and with Clang (Debug, ASan + UBSan, -fblocks),
# and runs every test with ctest in both builds (docs/testing.md says what runs where).
#
# Tests labelled `root` (network namespaces, TAPs, netdextd) need root. They can never vanish
# quietly: under CI (CI=true in the environment; .ci/run sets it) a run that is not root fails at
# once, and a run in which any root-labelled test was skipped fails at the end. Outside CI the
# summary line says how many root-labelled tests did not run, and why.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
ci=${CI:-false}

if [ "$ci" = true ] && [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: CI=true but not running as root: the tests labelled 'root' cannot run" >&2
    exit 1
fi

"$root/scripts/install-deps.sh"

jobs=$(nproc)
ctest_args=(--output-on-failure --timeout 600 -j "$jobs")
not_root=false
if [ "$(id -u)" -ne 0 ]; then
    not_root=true
    echo "test.sh: not root — tests labelled 'root' are skipped"
    ctest_args+=(-LE root)
fi

# A compiler cache (ccache, from install-deps.sh): a rerun, also from another clone of the
# repository, compiles only what changed. Paths under the checkout are hashed relative to it, so
# the clone's location does not matter; a launcher given in the environment wins.
if command -v ccache >/dev/null; then
    export CMAKE_C_COMPILER_LAUNCHER=${CMAKE_C_COMPILER_LAUNCHER:-ccache}
    export CMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER:-ccache}
    export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
fi

build() { # name, cmake args…
    local name=$1
    shift
    cmake -S "$root" -B "$root/build/$name" -G Ninja "$@" >/dev/null
    cmake --build "$root/build/$name" -j "$jobs"
}

# Root-labelled tests of a build that did not run: excluded (not root) or skipped (GTEST_SKIP,
# reported by ctest through SKIP_REGULAR_EXPRESSION). Prints "<count> <names…>".
root_tests_not_run() { # build dir, junit file
    local dir=$1 junit=$2
    local names skipped
    names=$(cd "$dir" && ctest -N -L root | sed -n 's/^ *Test *#[0-9]*: //p' | sort)
    if [ "$not_root" = true ]; then
        skipped=$names
    else
        skipped=$(awk '/<testcase /{ match($0, /name="[^"]*"/); name = substr($0, RSTART + 6, RLENGTH - 7) }
                       /<skipped/{ print name }' "$junit" | sort | comm -12 - <(echo "$names"))
    fi
    echo "$(echo -n "$skipped" | grep -c . || true) $(echo "$skipped" | head -5 | tr '\n' ' ')"
}

started=$(date +%s)
echo "== GCC build (Release) =="
build gcc -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++
echo "== Clang build (ASan + UBSan, -fblocks) =="
build clang-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
      -DNETDEXT_SANITIZE=ON

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
summary=()
for name in gcc clang-asan; do
    echo "== ctest: $name =="
    junit="$root/build/$name/ctest-results.xml"
    (cd "$root/build/$name" && ctest "${ctest_args[@]}" --output-junit "$junit") || status=1
    read -r count examples < <(root_tests_not_run "$root/build/$name" "$junit")
    if [ "$count" -gt 0 ]; then
        why=skipped
        [ "$not_root" = true ] && why="skipped: not root"
        summary+=("$name: $count root-labelled tests $why (${examples% })")
        if [ "$ci" = true ]; then
            echo "test.sh: CI=true and $count root-labelled tests did not run in $name" >&2
            status=1
        fi
    fi
done
echo "== every tool answers --version (GCC Release build) =="
for tool in daemon/netdextd/netdextd cli/netdextctl/netdextctl host/netdext-host \
            testing/netdext-sim sdk/iig/netdext-iig sdk/tools/netdext-bundle/netdext-bundle \
            codesign/netdext-codesign; do
    "$root/build/gcc/$tool" --version >/dev/null || { echo "test.sh: $tool --version failed"; status=1; }
done
line="test.sh: finished in $(( $(date +%s) - started )) s, status $status"
for entry in ${summary[@]+"${summary[@]}"}; do
    line+="; $entry"
done
echo "$line"
exit $status
