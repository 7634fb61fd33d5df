#!/usr/bin/env bash
# What a shadow costs the live answers: RecommendItems latency at half the
# saturation rate with no shadow, then with a shadow ranking FRACTION of the
# answers (default 0.1), alternated ROUNDS times (default 3) on one daemon
# (the shadow switched by a config reload), so each pair is measured side by
# side on a shared machine. Prints each round and the median ratio of p99.
#
#   benchmarks/shadow.sh [CONFIG] [SECONDS] [ROUNDS]
#
# SHADOW_FUSION (YAML) is the shadow's profile; the default weighs every
# demo model, so each shadow ranking scores with all of them. Env as in
# overload.sh (RECD_CPUS, CLIENT_CPUS, RECD_BENCH_ARGS, DEADLINE_MS).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${RECD_BUILD_DIR:-$root/build}
src=${1:-$root/config/recd.yaml}
seconds=${2:-20}
rounds=${3:-3}
fraction=${FRACTION:-0.1}
fusion=${SHADOW_FUSION:-"{normalization: rank, weights: {mf: 1, lstm: 1, knn: 1, markov: 1, content: 1, pop: 1}}"}
deadline_ms=${DEADLINE_MS:-100}
port=${RECD_BENCH_PORT:-50087}
out=${RECD_BENCH_OUT:-/tmp/recd-shadow}
mkdir -p "$out"
source "$root/benchmarks/lib.sh"

config=$out/recd.yaml
derive_config "$src" "$config"
cp "$config" "$out/live.yaml"
derive_config "$src" "$out/shadowed.yaml" "shadow={name: bench, fraction: $fraction, fusion: $fusion}"
start_recd "$config" "$port"
client_cmd "$port"
client+=(--timeout-ms "$deadline_ms")
use() {
  cp "$out/$1.yaml" "$config"
  "$build/recd-cli" --target "127.0.0.1:$port" reload >/dev/null
}

"${client[@]}" ${RECD_BENCH_ARGS:-} --concurrency "${SAT_CONCURRENCY:-4}" --duration 10 --warmup 2 >"$out/saturation.json"
half=$(half_of_saturation saturation)
for round in $(seq "$rounds"); do
  for arm in live shadowed; do
    use "$arm"
    "${client[@]}" ${RECD_BENCH_ARGS:-} --open-loop --qps "$half" --duration "$seconds" --warmup 2 \
      >"$out/$arm-$round.json"
  done
  "$build/recd-cli" --target "127.0.0.1:$port" status >"$out/status-$round.json"
done

python3 - "$out" "$half" "$rounds" "$fraction" <<'PY'
import json, statistics, sys
out, half, rounds, fraction = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ratios = []
for r in range(1, rounds + 1):
    live, shadowed = (json.load(open(f"{out}/{arm}-{r}.json")) for arm in ("live", "shadowed"))
    shadow = json.load(open(f"{out}/status-{r}.json")).get("shadow", {})
    ratio = shadowed["read_p99_ms"] / max(live["read_p99_ms"], 1e-9)
    ratios.append(ratio)
    print(f"round {r}: p50 {live['read_p50_ms']:.2f} -> {shadowed['read_p50_ms']:.2f} ms, "
          f"p99 {live['read_p99_ms']:.2f} -> {shadowed['read_p99_ms']:.2f} ms ({ratio:.2f}x); "
          f"errors {live['errors']} / {shadowed['errors']}; shadow so far: ranked {shadow.get('ranked', 0)}, "
          f"skipped {shadow.get('skipped', 0)}, p99 {shadow.get('latencyP99Ms', 0):.2f} ms, "
          f"overlap@k {shadow.get('overlapAtK', 0):.3f}")
print(f"half load {half} QPS, shadow fraction {fraction}: median p99 ratio {statistics.median(ratios):.2f}x "
      f"over {rounds} rounds")
PY
