#!/usr/bin/env bash
# Builds the test suites with AddressSanitizer and UBSan (build-asan/,
# RECD_SANITIZE=ON; test binaries only: no tools, no benchmarks) and runs
# them. CI runs it after scripts/test.sh. Any sanitizer report fails its
# test: ASan aborts, and UBSan is built not to recover.
#
# -O1 rather than Release's -O3: the build is what costs here (from scratch
# it is most of the CI budget), and -O1 compiles faster while keeping Eigen
# fast enough for the tests.
# Left out (EXCLUDE): the tests that train on the full Amazon Beauty data,
# minutes each under ASan (they run in the normal build), and the Python
# peer, which needs the daemon binary. Extra arguments go to ctest
# (e.g. -R RecdServerTest).
set -euo pipefail
cd "$(dirname "$0")/.."
EXCLUDE='Beauty|python_peer'

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" \
  -DRECD_SANITIZE=ON -DRECD_BUILD_TESTS=ON -DRECD_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build-asan -j2 --target recd_tests
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
ctest --test-dir build-asan --output-on-failure -j2 -E "$EXCLUDE" "$@"
