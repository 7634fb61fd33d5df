#!/usr/bin/env bash
# Rebuilds the demo bundle from the demo data (seed 7), the way it was made.
# Run after changing a model or the generator. models/demo is a bundle root:
# this publishes the next version (models/demo/<N>) and, with
# --keep-versions 1, prunes the older ones so the repository holds one.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2 --target recd-train recd-datagen
bash scripts/demo-data.sh build
./build/recd-train --events data/demo/events.csv --catalog data/demo/catalog.jsonl --out models/demo \
  --keep-versions 1 --report /tmp/recd-demo-train.json
