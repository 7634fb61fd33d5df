#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang, ASan and UBSan in
# build-fuzz/ and runs each for SECONDS (default 60), one after another.
# Each target starts from its checked-in corpus (tests/fuzz/corpus/<name>/,
# read only); inputs it finds go to build-fuzz/corpus/<name>/, a crash to
# build-fuzz/artifacts/. Prints executions per second and corpus size per
# target; exits 1 if any target found something.
#   scripts/fuzz.sh [SECONDS] [TARGET...]     e.g. scripts/fuzz.sh 600 safetensors
# A crash input belongs in tests/fuzz/corpus/<name>/ once the bug is fixed,
# so ctest replays it from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for f in tests/fuzz/*_fuzz.cc; do
    name=$(basename "$f" _fuzz.cc)
    targets+=("$name")
  done
fi

# Only the fuzz targets and the sources they exercise are compiled; -O1
# with asserts on, as libFuzzer's documentation suggests.
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DRECD_FUZZ=ON -DRECD_BUILD_TESTS=OFF \
  -DRECD_BUILD_BENCHMARKS=OFF -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O1 >/dev/null
cmake --build build-fuzz -j2 --target "${targets[@]/%/_fuzz}"

mkdir -p build-fuzz/artifacts build-fuzz/logs
export UBSAN_OPTIONS=print_stacktrace=1
failed=()
printf '%-20s %10s %10s %12s %8s\n' target seconds exec/s executions corpus
for t in "${targets[@]}"; do
  work=build-fuzz/corpus/$t
  log=build-fuzz/logs/$t.log
  mkdir -p "$work"
  status=0
  ./build-fuzz/tests/fuzz/"${t}"_fuzz -max_total_time="$seconds" -timeout=10 \
    -print_final_stats=1 -artifact_prefix=build-fuzz/artifacts/"$t"- \
    "$work" tests/fuzz/corpus/"$t" >"$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  # Inputs in the last status line ("corp: N/size"): seeds plus what was found.
  corpus=$(grep -o 'corp: [0-9]*/[0-9A-Za-z]*' "$log" | tail -1 | cut -d' ' -f2)
  printf '%-20s %10s %10s %12s %8s\n' "$t" "$seconds" "${rate:-?}" "${execs:-?}" "${corpus:-?}"
  if [ "$status" -ne 0 ]; then
    failed+=("$t")
    echo "  $t: finding (exit $status); see $log and build-fuzz/artifacts/$t-*" >&2
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: findings in ${failed[*]}" >&2
  exit 1
fi
