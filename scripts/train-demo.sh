#!/usr/bin/env bash
# Rebuilds the demo bundle in models/demo from the demo data (seed 7), the
# way it was made. Run after changing a model or the generator.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2 --target recd-train recd-datagen
bash scripts/demo-data.sh build
./build/recd-train --events data/demo/events.csv --catalog data/demo/catalog.jsonl --out models/demo \
  --report /tmp/recd-demo-train.json
