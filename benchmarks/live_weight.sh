#!/usr/bin/env bash
# Is the live co-occurrence worth a fusion weight (live.fusion_weight)?
# Trains on the demo log but its last days, then for each WEIGHT (and 0
# first, the baseline) replays those days against a fresh daemon with live
# statistics on and two experiment arms: `control` (the trained fusion) and
# `live` (the same fusion plus the live model at the weight). Each event is
# asked about (HR@10, NDCG@10 per arm), then recorded, so the live
# statistics learn the held-out days as they are replayed. The arms split
# users, so compare the `live` arm across weights (its users are the same in
# every run), not with `control`.
#
#   benchmarks/live_weight.sh [OUT_DIR] [QPS] [HELD_OUT_DAYS] [WEIGHT...]
#   benchmarks/live_weight.sh /tmp/recd-live-weight 200 30 0.1 0.3
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${RECD_BUILD_DIR:-$root/build}
out=${1:-/tmp/recd-live-weight}
qps=${2:-200}
days=${3:-30}
shift $(($# < 3 ? $# : 3))
weights=("$@")
[ ${#weights[@]} -gt 0 ] || weights=(0.1 0.3)
events=$root/data/demo/events.csv
catalog=$root/data/demo/catalog.jsonl
[ -f "$events" ] || { echo "no $events: run scripts/demo-data.sh first" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"
source "$root/benchmarks/lib.sh"

train_on_head "$events" "$catalog" "$days"
# The live arm: the trained fusion file as it is, plus the live model.
live_arms() {
  python3 - "$out/bundle" "$1" <<'PY'
import glob, json, sys, yaml
bundle, weight = sys.argv[1], float(sys.argv[2])
fusion = yaml.safe_load(open(sorted(glob.glob(f"{bundle}/*/fusion.yaml"))[-1]))["fusion"]
fusion.pop("version", None)
live = dict(fusion, weights=dict(fusion["weights"], live=weight))
for seg in live.get("segments", []) or []:
    seg["weights"] = dict(seg["weights"], live=weight)
print(json.dumps({"salt": "live-weight-1", "arms": [{"name": "control", "share": 0.5},
                                                     {"name": "live", "share": 0.5, "fusion": live}]}))
PY
}
for weight in 0 "${weights[@]}"; do
  derive_config "$root/config/recd.yaml" "$out/recd-$weight.yaml" \
    "store.path=$out/store-$weight" "store.seed_events=$out/head.csv" "store.seed_catalog=$catalog" \
    "models.path=$out/bundle" "live.enabled=true" "experiments=$(live_arms "$weight")"
  start_recd "$out/recd-$weight.yaml" 50073
  "$build/recd-bench" --target 127.0.0.1:50073 --replay "$out/tail.csv" --qps "$qps" -k 10 \
    --replay-outcomes "$out/daemon-$weight.tsv" >"$out/replay-$weight.txt"
  kill "$recd_pid"
  wait "$recd_pid" 2>/dev/null || true
  trap - EXIT
  echo "live.fusion_weight $weight: $(grep -E '^ +live ' "$out/replay-$weight.txt" | awk '{print "live arm HR@10 " $3 ", NDCG@10 " $4 " over " $2 " asks"}')"
done
