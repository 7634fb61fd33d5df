#!/usr/bin/env bash
# Builds the 100k-item serving benchmark in OUT_DIR (default /tmp/recd-100k):
# generated data (100k items, 50k users, ~2M events), a bundle of all six
# models trained on it by recd-train, and a recd config whose store is
# seeded from the same data on first start. Steps already done are skipped.
#
#   benchmarks/make-100k.sh [OUT_DIR]
#   RECD_BENCH_ARGS="--demo-users 50000" benchmarks/serving.sh OUT_DIR/recd.yaml 10
#
# Training takes ~10 minutes on 2 cores, most of it the LSTM's time budget.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${RECD_BUILD_DIR:-$root/build}
out=${1:-/tmp/recd-100k}
mkdir -p "$out"

source "$root/benchmarks/lib.sh"
build_release recd recd-cli recd-bench recd-echo-server recd-datagen recd-train recd-eval

if [ ! -s "$out/data/events.csv" ]; then
  "$build/recd-datagen" --items 100000 --users 50000 --events 2000000 --seed 11 --out "$out/data"
fi
# $out/bundle is a bundle root; recd-train publishes version 1, 2, ... into it.
if ! compgen -G "$out/bundle/[0-9]*/items.txt" >/dev/null; then
  "$build/recd-train" --events "$out/data/events.csv" --catalog "$out/data/catalog.jsonl" \
    --out "$out/bundle" --validation-users 2000 --lstm-time-budget "${RECD_LSTM_BUDGET_S:-300}" \
    --report "$out/train.json"
fi
cat > "$out/recd.yaml" <<YAML
# 100k-item benchmark config written by benchmarks/make-100k.sh.
server: {listen: 127.0.0.1:50051, threads: 0, default_deadline_ms: 100}
store: {path: store, seed_catalog: data/catalog.jsonl, seed_events: data/events.csv}
models: {path: bundle, budget_ms: 30}
rules: {exclude_seen: true, exclude_purchased: true}
candidates: {full_scan_max_items: 20000, per_source: 100}
logging: {level: warn}
YAML
echo "wrote $out/recd.yaml"
