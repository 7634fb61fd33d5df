#!/usr/bin/env bash
# Quality under load: replays the demo log's last days against a daemon that
# never saw them, two experiment arms side by side, with recd-bench --replay.
#
#   benchmarks/replay.sh [OUT_DIR] [QPS] [HELD_OUT_DAYS]
#
# Splits data/demo/events.csv at HELD_OUT_DAYS (default 7) before its last
# event; trains a bundle on the head (about 2 minutes); starts recd seeded
# with the head and two arms: `control` (the trained fusion profile) and
# `cooccur` (kNN and Markov only); then replays the tail at QPS events/s
# (default 100): each event is first asked about, scored against the item the
# user really took (HR@10, NDCG@10 per arm), then recorded, so later asks
# see it. Prints recd-bench's table (also in OUT_DIR/replay.txt). Then
# replays the same tail offline with recd-eval --replay on the same config
# (the daemon's ranking code, seeded with the same head, no clock) and prints
# both side by side per arm, with the difference and whether it is within
# sampling error (OUT_DIR/compare.txt; per-event ranks in daemon.tsv and
# offline.tsv).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${RECD_BUILD_DIR:-$root/build}
out=${1:-/tmp/recd-replay}
qps=${2:-100}
days=${3:-7}
events=$root/data/demo/events.csv
catalog=$root/data/demo/catalog.jsonl
[ -f "$events" ] || { echo "no $events: run scripts/demo-data.sh first" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"
source "$root/benchmarks/lib.sh"

train_on_head "$events" "$catalog" "$days"
derive_config "$root/config/recd.yaml" "$out/recd.yaml" \
  "store.path=$out/store" "store.seed_events=$out/head.csv" "store.seed_catalog=$catalog" \
  "models.path=$out/bundle" \
  'experiments={salt: replay-1, arms: [{name: control, share: 0.5}, {name: cooccur, share: 0.5, fusion: {weights: {knn: 1.0, markov: 1.0}}}]}'
start_recd "$out/recd.yaml" 50071
"$build/recd-bench" --target 127.0.0.1:50071 --replay "$out/tail.csv" --qps "$qps" -k 10 \
  --replay-outcomes "$out/daemon.tsv" | tee "$out/replay.txt"
# The daemon's cores go to the offline replay (and start_recd's exit trap,
# whose kill would now fail the script, goes too).
kill "$recd_pid"
wait "$recd_pid" 2>/dev/null || true
trap - EXIT

# Seeded from the config's store.seed_events (the head) and seed_catalog,
# as the daemon was.
echo
"$build/recd-eval" --replay "$out/tail.csv" --config "$out/recd.yaml" -k 10 --json "$out/offline.json" \
  --replay-outcomes "$out/offline.tsv" | tee "$out/offline.txt"
echo
echo "daemon (recd-bench --replay) vs offline (recd-eval --replay), same tail:"
python3 "$root/benchmarks/replay_compare.py" "$out/daemon.tsv" "$out/offline.tsv" 10 | tee "$out/compare.txt"
