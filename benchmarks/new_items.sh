#!/usr/bin/env bash
# What catalog items added since training cost a request (README, New catalog
# items): every request scores all of them. Each round starts recd on CONFIG
# with a fresh store and its caches off (every request encodes and ranks),
# runs a closed loop of RecommendItems, adds N new items with `recd-cli
# add-items` (copies of the catalog's first N rows under new ids), and runs
# the same loop again. Prints per-round figures, the medians and the
# after/before ratio, and how long add-items took.
#
#   benchmarks/new_items.sh [CONFIG] [N] [SECONDS] [ROUNDS]
#   RECD_CPUS=0 CLIENT_CPUS=1 benchmarks/new_items.sh config/recd.yaml 1000 10 3
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${RECD_BUILD_DIR:-$root/build}
config=${1:-$root/config/recd.yaml}
n=${2:-1000}
seconds=${3:-10}
rounds=${4:-3}
port=${RECD_BENCH_PORT:-50093}
out=${RECD_BENCH_OUT:-/tmp/recd-new-items}
rm -rf "$out" && mkdir -p "$out"
source "$root/benchmarks/lib.sh"
(cd "$root" && bash scripts/demo-data.sh "$(realpath --relative-to="$root" "$build")")

derive_config "$config" "$out/base.yaml"
catalog=$(python3 -c "import yaml; print(yaml.safe_load(open('$out/base.yaml'))['store']['seed_catalog'])")
python3 - "$catalog" "$n" "$out/new_items.jsonl" <<'PY'
import json, sys
src, n, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(src) as f, open(dst, "w") as w:
    for i, line in enumerate(f):
        if i >= n:
            break
        row = json.loads(line)
        row["item_id"] = f"new-{i}-{row['item_id']}"
        w.write(json.dumps(row) + "\n")
PY
client_cmd "$port"
client+=(--concurrency 8 --duration "$seconds" --warmup 2)
for r in $(seq "$rounds"); do
  derive_config "$config" "$out/cold-$r.yaml" store.path="$out/store-$r" store.history_cache_entries=0 \
    models.state_cache_entries=0 models.warm_users=0 models.result_cache_items=0 server.max_new_items="$n" \
    server.admission.max_in_flight_reads=64 server.admission.max_connection_share=1.0
  start_recd "$out/cold-$r.yaml" "$port"
  "${client[@]}" >"$out/before-$r.json"
  start=$(date +%s%N)
  "$build/recd-cli" --target "127.0.0.1:$port" add-items --catalog "$out/new_items.jsonl" >"$out/add-$r.txt"
  echo "$(( ($(date +%s%N) - start) / 1000000 ))" >"$out/add-ms-$r.txt"
  "${client[@]}" >"$out/after-$r.json"
  kill "$recd_pid" 2>/dev/null; wait "$recd_pid" 2>/dev/null || true
done
python3 - "$out" "$rounds" "$n" <<'PY'
import json, statistics, sys
out, rounds, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
keys = ("goodput_qps", "read_p50_ms", "read_p99_ms")
med = {}
for phase in ("before", "after"):
    runs = [json.load(open(f"{out}/{phase}-{r}.json")) for r in range(1, rounds + 1)]
    for r, run in enumerate(runs, 1):
        print(f"round {r} {phase:6}: {run['goodput_qps']:.0f} answers/s, p50 {run['read_p50_ms']:.2f} ms, "
              f"p99 {run['read_p99_ms']:.2f} ms, errors {sum(run['errors'].values())}")
    med[phase] = {k: statistics.median(run[k] for run in runs) for k in keys}
adds = [int(open(f"{out}/add-ms-{r}.txt").read()) for r in range(1, rounds + 1)]
print(f"add-items of {n} rows (write, reload, serve): median {statistics.median(adds)} ms; "
      + open(f"{out}/add-1.txt").read().strip())
b, a = med["before"], med["after"]
print(f"medians, caches off: before {b['goodput_qps']:.0f} answers/s p50 {b['read_p50_ms']:.2f} ms p99 "
      f"{b['read_p99_ms']:.2f} ms; with {n} new items {a['goodput_qps']:.0f} answers/s p50 {a['read_p50_ms']:.2f} ms "
      f"p99 {a['read_p99_ms']:.2f} ms; answers/s {a['goodput_qps'] / b['goodput_qps']:.2f}x, "
      f"p50 {a['read_p50_ms'] / b['read_p50_ms']:.2f}x")
PY
