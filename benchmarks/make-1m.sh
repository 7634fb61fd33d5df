#!/usr/bin/env bash
# Builds the one-million-item serving benchmark in OUT_DIR (default
# /tmp/recd-1m): generated data (1M items, 500k users, ~10M events), a bundle
# of all six models trained on it by recd-train (the LSTM with sampled
# softmax; HNSW indexes for mf and lstm built once and persisted in the
# bundle, so the daemon reads them instead of rebuilding), a feature store
# bulk-loaded by recd-ingest (so starting the daemon is only the bundle load)
# and a recd config. Steps already done are skipped; each prints its time.
#
#   benchmarks/make-1m.sh [OUT_DIR]
#   RECD_BENCH_ARGS="--demo-users 500000 --users-zipf 1.1" benchmarks/serving.sh OUT_DIR/recd.yaml 20
#   build/recd-eval --bundle OUT_DIR/bundle --events OUT_DIR/data/events.csv \
#       --catalog OUT_DIR/data/catalog.jsonl --max-users 2000 --versus-full-scan
#
# RECD_LSTM_BUDGET_S bounds the LSTM's training (default 300 s); training took
# 993 s in all on 2 cores (peak RSS 6.4 GB), ingest 15 s (README, Issue 8, third step).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${RECD_BUILD_DIR:-$root/build}
out=${1:-/tmp/recd-1m}
mkdir -p "$out"

source "$root/benchmarks/lib.sh"
build_release recd recd-cli recd-bench recd-echo-server recd-datagen recd-train recd-eval recd-ingest

timed() {  # timed LABEL COMMAND...: runs the command, then prints how long it took
  local label=$1 start=$SECONDS
  shift
  "$@"
  echo "make-1m: $label took $((SECONDS - start)) s"
}

if [ ! -s "$out/data/events.csv" ]; then
  timed "recd-datagen" "$build/recd-datagen" --items 1000000 --users 500000 --events 10000000 --seed 11 \
    --out "$out/data" --no-progress
fi
# $out/bundle is a bundle root; recd-train publishes version 1, 2, ... into it.
if ! compgen -G "$out/bundle/[0-9]*/items.txt" >/dev/null; then
  timed "recd-train" "$build/recd-train" --events "$out/data/events.csv" --catalog "$out/data/catalog.jsonl" \
    --out "$out/bundle" --validation-users 2000 --lstm-time-budget "${RECD_LSTM_BUDGET_S:-300}" \
    --report "$out/train.json" --no-progress
fi
if [ ! -e "$out/store/CURRENT" ]; then
  rm -rf "$out/store.partial"
  timed "recd-ingest" "$build/recd-ingest" --store "$out/store.partial" --catalog "$out/data/catalog.jsonl" \
    --events "$out/data/events.csv" --no-progress
  mv "$out/store.partial" "$out/store"  # only a complete store is ever taken as done
fi
cat > "$out/recd.yaml" <<YAML
# 1M-item benchmark config written by benchmarks/make-1m.sh.
server: {listen: 127.0.0.1:50051, threads: 0, default_deadline_ms: 100}
store: {path: store}
models: {path: bundle, budget_ms: 30}
rules: {exclude_seen: true, exclude_purchased: true}
candidates: {full_scan_max_items: 20000, per_source: 100}
logging: {level: warn}
YAML
echo "wrote $out/recd.yaml"
