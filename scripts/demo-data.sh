#!/usr/bin/env bash
# Generates the demo catalog and event log into data/demo with the seed the
# demo models were trained on (see scripts/train-demo.sh). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
if [ -s data/demo/catalog.jsonl ] && [ -s data/demo/events.csv ]; then
  exit 0
fi
mkdir -p data/demo
"./$build/recd-datagen" --seed 7 --out data/demo
