#!/usr/bin/env bash
# Reads beside writes: RecommendItems latency at half the read-only
# saturation rate, without and then with 10% RecordEvents in the same
# open-loop stream (same total rate), so the writes' cost to reads shows as
# a ratio measured in one run.
#
#   benchmarks/mixed_load.sh [CONFIG] [ITEMS_FILE] [SECONDS]
#
# ITEMS_FILE lists item ids for the events (default: the demo bundle's).
# Env as in overload.sh (RECD_CPUS, CLIENT_CPUS, RECD_BENCH_ARGS, DEADLINE_MS).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${RECD_BUILD_DIR:-$root/build}
config=${1:-$root/config/recd.yaml}
items=${2:-$root/models/demo/1/items.txt}
seconds=${3:-20}
deadline_ms=${DEADLINE_MS:-100}
port=${RECD_BENCH_PORT:-50085}
out=${RECD_BENCH_OUT:-/tmp/recd-mixed}
mkdir -p "$out"

source "$root/benchmarks/lib.sh"
start_recd "$config" "$port"
client_cmd "$port"
client+=(--timeout-ms "$deadline_ms" --items-file "$items")

"${client[@]}" ${RECD_BENCH_ARGS:-} --concurrency "${SAT_CONCURRENCY:-4}" --duration 10 --warmup 2 >"$out/saturation.json"
half=$(half_of_saturation saturation)
"${client[@]}" ${RECD_BENCH_ARGS:-} --open-loop --qps "$half" --duration "$seconds" --warmup 2 >"$out/reads.json"
"${client[@]}" ${RECD_BENCH_ARGS:-} --open-loop --qps "$half" --duration "$seconds" --warmup 2 \
  --event-fraction 0.1 >"$out/mixed.json"

python3 - "$out" "$half" <<'PY'
import json, sys
out, half = sys.argv[1], sys.argv[2]
r, m = (json.load(open(f"{out}/{n}.json")) for n in ("reads", "mixed"))
print(f"half load {half} QPS read-only: RecommendItems p50 {r['read_p50_ms']:.2f} ms p99 {r['read_p99_ms']:.2f} ms, "
      f"errors {r['errors']}")
print(f"same rate with 10% RecordEvents: RecommendItems p50 {m['read_p50_ms']:.2f} ms p99 {m['read_p99_ms']:.2f} ms "
      f"(= {m['read_p99_ms'] / max(r['read_p99_ms'], 1e-9):.2f}x); RecordEvents p50 {m['write_p50_ms']:.2f} ms "
      f"p99 {m['write_p99_ms']:.2f} ms; errors {m['errors']}")
PY
