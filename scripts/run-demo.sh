#!/usr/bin/env bash
# Quick start: installs dependencies, builds recd, generates the demo data
# (catalog + event log, seeded) if missing, and starts the daemon on the
# bundled demo models in models/demo. Extra arguments go to recd.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2 --target recd recd-cli recd-datagen
bash scripts/demo-data.sh build
echo "starting recd; try: ./build/recd-cli recommend --user u42 -k 5 --explain"
exec ./build/recd --config config/recd.yaml "$@"
