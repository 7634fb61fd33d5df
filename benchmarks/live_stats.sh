#!/usr/bin/env bash
# Learning during the day on the demo data (README, Learning during the day):
# starts recd on CONFIG with the live item statistics on, then
#   1. five shoppers view item A then item B, B ranked 50th among A's
#      similar items: how long until B is in A's SimilarItems top 10;
#   1b. a new item (Admin.AddItems, a row sharing nothing with the catalog)
#      that five shoppers view after item A: how long until it is served,
#      and until it is in A's SimilarItems top 10;
#   2. sixty shoppers buy an item of middling popularity: how long until it
#      is among the 10 most popular of the first 500 items (RankItems' pop
#      scores);
#   3. the overlay's counters (GetStatus);
#   4. the cost of the overlay: a closed loop of RecommendItems with 10%
#      RecordEvents against recd with live off and on, ROUNDS rounds each in
#      turn, medians and the on/off ratio.
#
#   benchmarks/live_stats.sh [CONFIG] [SECONDS] [ROUNDS]
#   RECD_CPUS=0 CLIENT_CPUS=1 benchmarks/live_stats.sh config/recd.yaml 10 3
# RECD_EXTRA_KEYS="models.result_cache_items=0" sets more config keys for
# step 4 (dotted KEY=YAML, as derive_config takes them).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${RECD_BUILD_DIR:-$root/build}
config=${1:-$root/config/recd.yaml}
seconds=${2:-10}
rounds=${3:-3}
port=${RECD_BENCH_PORT:-50091}
out=${RECD_BENCH_OUT:-/tmp/recd-live-stats}
rm -rf "$out" && mkdir -p "$out"
source "$root/benchmarks/lib.sh"
(cd "$root" && bash scripts/demo-data.sh "$(realpath --relative-to="$root" "$build")")
cli=("$build/recd-cli" --target "127.0.0.1:$port" --json)

# The quality checks, on a fresh store.
derive_config "$config" "$out/live.yaml" store.path="$out/store-live" live.enabled=true
start_recd "$out/live.yaml" "$port"
python3 - "${cli[@]}" "$out" <<'PY'
import json, subprocess, sys, time
cli = sys.argv[1:-1]
def call(*args):
    out = subprocess.run(cli + list(args), check=True, capture_output=True, text=True).stdout
    return json.loads(out) if out.lstrip().startswith("{") else {}  # `event` prints a line
def similar(item, k):
    return [i["itemId"] for i in call("similar", "--item", item, "-k", str(k)).get("items", [])]
def pop_scores():
    r = call("rank", "--user", "nobody-yet", "--explain", "--items", ",".join(f"i{i}" for i in range(500)))
    out = {}
    for it in r.get("items", []):
        for c in it["explanation"]["contributions"]:
            if c["model"] == "pop":
                out[it["itemId"]] = c.get("rawScore", 0.0)
    return out
def wait(done, limit=10.0):
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if done():
            return time.monotonic() - start
        time.sleep(0.01)
    return None

a = "i17"
b = similar(a, 50)[-1]
print(f"1. {b} is 50th among {a}'s similar items; 5 shoppers view {a} then {b}")
for u in range(5):
    call("event", "--user", f"u{u}", "--item", a, "--type", "view")
    call("event", "--user", f"u{u}", "--item", b, "--type", "view")
took = wait(lambda: b in similar(a, 10))
top = similar(a, 50)
rank = top.index(b) + 1 if b in top else None
print(f"   {b} in {a}'s top 10 after {took * 1000:.0f} ms (rank now {rank})" if took is not None
      else f"   {b} not in {a}'s top 10 after 10 s (rank now {rank})")

new = "new-zzyzx-rake"
rows = f"{sys.argv[-1]}/new_items.jsonl"
with open(rows, "w") as f:
    f.write(json.dumps({"item_id": new, "title": "Zzyzx Garden Rake", "category": ["Garden", "Rakes"],
                        "brand": "Zzyzx", "price": 19.99, "in_stock": True, "attributes": []}) + "\n")
start = time.monotonic()
subprocess.run(cli + ["add-items", "--catalog", rows], check=True, capture_output=True, text=True)
print(f"1b. new item {new} added and served in {(time.monotonic() - start) * 1000:.0f} ms (recd-cli add-items); "
      f"5 shoppers view {a} then {new}")
for u in range(5, 10):
    call("event", "--user", f"u{u}", "--item", a, "--type", "view")
    call("event", "--user", f"u{u}", "--item", new, "--type", "view")
took = wait(lambda: new in similar(a, 10))
top = similar(a, 100)
rank = top.index(new) + 1 if new in top else None
print(f"   {new} in {a}'s top 10 after {took * 1000:.0f} ms (rank now {rank})" if took is not None
      else f"   {new} not in {a}'s top 10 after 10 s (rank now {rank} of 100)")

before = pop_scores()
order = sorted(before, key=lambda i: -before[i])
item = order[len(order) // 2]
print(f"2. {item} is the {len(order) // 2 + 1}th most popular of {len(order)} (pop {before[item]:.0f}); 60 shoppers buy it")
for u in range(100, 160):
    call("event", "--user", f"u{u}", "--item", item, "--type", "purchase")
def rank_of(scores):
    return sum(1 for v in scores.values() if v > scores[item]) + 1
took = wait(lambda: rank_of(pop_scores()) <= 10)
after = pop_scores()
print(f"   in the 10 most popular after {took * 1000:.0f} ms (rank {rank_of(after)}, pop {after[item]:.0f})"
      if took is not None else f"   not in the 10 most popular after 10 s (rank {rank_of(after)}, pop {after[item]:.0f})")
c = call("status")["counters"]
print("3. " + ", ".join(f"{k} {c.get(k, 0)}" for k in
      ("live_events", "live_items", "live_pairs", "live_max_pairs", "live_memory_bytes", "live_generation")))
PY
kill "$recd_pid" 2>/dev/null; wait "$recd_pid" 2>/dev/null || true

# The cost: the same load against live off and on, alternating.
items_file=$(ls -d "$(python3 -c "import yaml,os,sys; c=yaml.safe_load(open('$out/live.yaml')); print(c['models']['path'])")"/*/items.txt | tail -1)
client_cmd "$port"
for r in $(seq "$rounds"); do
  for mode in off on; do
    enabled=false
    [ "$mode" = on ] && enabled=true
    # Admission sized to the load, so every call is answered and timed.
    derive_config "$config" "$out/$mode.yaml" store.path="$out/store-$mode-$r" live.enabled=$enabled \
      server.admission.max_in_flight_reads=64 server.admission.max_connection_share=1.0 ${RECD_EXTRA_KEYS:-}
    start_recd "$out/$mode.yaml" "$port"
    "${client[@]}" --duration 2 --items-file "$items_file" --event-fraction 0.1 >/dev/null  # warm-up
    "${client[@]}" --duration "$seconds" --items-file "$items_file" --event-fraction 0.1 >"$out/$mode-$r.json"
    kill "$recd_pid" 2>/dev/null; wait "$recd_pid" 2>/dev/null || true
  done
done
python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
def runs(mode):
    return [json.load(open(f"{out}/{mode}-{r}.json")) for r in range(1, rounds + 1)]
print(f"4. closed loop, 32 in flight, 10% RecordEvents, {rounds} rounds each (medians):")
med = {}
for mode in ("off", "on"):
    rs = runs(mode)
    med[mode] = {k: statistics.median(r[k] for r in rs) for k in ("goodput_qps", "read_p50_ms", "read_p99_ms")}
    errors = sum(sum(r["errors"].values()) for r in rs)
    print(f"   live {mode:3}: {med[mode]['goodput_qps']:.0f} answers/s, reads p50 {med[mode]['read_p50_ms']:.2f} ms "
          f"p99 {med[mode]['read_p99_ms']:.2f} ms, errors {errors}")
print(f"   on/off: answers/s {med['on']['goodput_qps'] / med['off']['goodput_qps']:.2f}x, "
      f"p50 {med['on']['read_p50_ms'] / med['off']['read_p50_ms']:.2f}x, "
      f"p99 {med['on']['read_p99_ms'] / med['off']['read_p99_ms']:.2f}x")
PY
