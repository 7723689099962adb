#!/bin/sh
# ctest's guard for the root-labelled tests: under CI (CI=true) they must run, so a CI run that is
# not root fails here, also when ctest is run directly with `-LE root` (scripts/test.sh further
# fails a CI run in which any root-labelled test was skipped). Outside CI it passes and says so.
if [ "$(id -u)" = 0 ]; then
    echo "root: the tests labelled 'root' can run"
    exit 0
fi
if [ "${CI:-}" = true ]; then
    echo "CI=true but not root: the tests labelled 'root' cannot run" >&2
    exit 1
fi
echo "not root (and not CI): the tests labelled 'root' will be skipped"
exit 0
