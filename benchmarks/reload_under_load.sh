#!/usr/bin/env bash
# Model swaps under load: recd serves half its saturation rate (open loop)
# for BASELINE_S seconds with no swap, then for SWAP_S seconds while a new
# bundle version is published every INTERVAL_S seconds (a copy of the
# newest version, renamed into place as recd-train publishes). Prints
# p50/p99 and errors of both phases, the swaps recd reported, and the
# daemon's RSS after each swap.
#
#   benchmarks/reload_under_load.sh CONFIG MODELS_ROOT [SWAP_S] [INTERVAL_S] [BASELINE_S]
#
# MODELS_ROOT is CONFIG's models.path, a directory of numbered versions. Env as in
# overload.sh (RECD_CPUS, CLIENT_CPUS, RECD_BENCH_ARGS, DEADLINE_MS).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${RECD_BUILD_DIR:-$root/build}
config=${1:?usage: reload_under_load.sh CONFIG MODELS_ROOT [SWAP_S] [INTERVAL_S] [BASELINE_S]}
models=${2:?usage: reload_under_load.sh CONFIG MODELS_ROOT [SWAP_S] [INTERVAL_S] [BASELINE_S]}
swap_s=${3:-180}
interval_s=${4:-10}
baseline_s=${5:-60}
deadline_ms=${DEADLINE_MS:-100}
port=${RECD_BENCH_PORT:-50083}
out=${RECD_BENCH_OUT:-/tmp/recd-reload}
mkdir -p "$out"
newest() { ls "$models" | grep -E '^[0-9]+$' | sort -n | tail -1; }
[ -n "$(newest)" ] || { echo "reload_under_load: $models has no numbered version" >&2; exit 2; }

source "$root/benchmarks/lib.sh"
start_recd "$config" "$port"
client_cmd "$port"
client+=(--timeout-ms "$deadline_ms")

"${client[@]}" ${RECD_BENCH_ARGS:-} --concurrency "${SAT_CONCURRENCY:-4}" --duration 10 --warmup 2 >"$out/saturation.json"
half=$(half_of_saturation saturation)
"${client[@]}" ${RECD_BENCH_ARGS:-} --open-loop --qps "$half" --duration "$baseline_s" --warmup 5 >"$out/baseline.json"
echo "before swaps: RSS $(rss_mb) MB" >"$out/rss.txt"

"${client[@]}" ${RECD_BENCH_ARGS:-} --open-loop --qps "$half" --duration "$swap_s" --warmup 0 >"$out/swaps.json" &
bench_pid=$!
end=$((SECONDS + swap_s))
swaps=0
while [ $((SECONDS + interval_s)) -le "$end" ]; do
  sleep "$interval_s"
  n=$(newest)
  next=$((n + 1))
  cp -r "$models/$n" "$models/.tmp-$next"
  mv "$models/.tmp-$next" "$models/$next"
  swaps=$((swaps + 1))
  # Keep three versions, as recd-train does by default.
  for old in $(ls "$models" | grep -E '^[0-9]+$' | sort -n | head -n -3); do rm -rf "${models:?}/$old"; done
  echo "after publishing version $next: RSS $(rss_mb) MB" >>"$out/rss.txt"
done
wait $bench_pid
sleep "$interval_s"
echo "after the last swap settled: RSS $(rss_mb) MB" >>"$out/rss.txt"
"$build/recd-cli" --target "127.0.0.1:$port" status >"$out/status.txt" 2>&1 || true

python3 - "$out" "$half" "$swaps" <<'PY'
import json, sys
out, half, swaps = sys.argv[1], sys.argv[2], sys.argv[3]
b, s = (json.load(open(f"{out}/{n}.json")) for n in ("baseline", "swaps"))
print(f"half load {half} QPS; without swaps: p50 {b['ok_p50_ms']:.2f} ms p99 {b['ok_p99_ms']:.2f} ms "
      f"errors {b['errors']}, {b['calls']} calls")
print(f"with {swaps} published versions: p50 {s['ok_p50_ms']:.2f} ms p99 {s['ok_p99_ms']:.2f} ms "
      f"(= {s['ok_p99_ms'] / max(b['ok_p99_ms'], 1e-9):.2f}x) errors {s['errors']}, {s['calls']} calls, "
      f"degraded {s['degraded']}, fallback {s['fallback']}")
print(open(f"{out}/rss.txt").read().strip())
PY
grep -E "reloads|states_warmed|ann_index" "$out/status.txt" || true
