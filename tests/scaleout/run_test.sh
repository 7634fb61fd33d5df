#!/usr/bin/env bash
# CTest entry for tests/scaleout/run_test.py: runs it with a python3 that has
# Debian's grpc and protobuf (benchmarks/python_peer/find_python.sh), or
# skips (exit 77) saying why.
#   tests/scaleout/run_test.sh PATH/TO/recd PATH/TO/recd-datagen
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if ! python=$("$root/benchmarks/python_peer/find_python.sh"); then
  echo "SKIPPED: the scale-out test needs python3-grpcio and python3-protobuf (scripts/install-deps.sh)"
  exit 77
fi
exec "$python" "$root/tests/scaleout/run_test.py" "$1" "$2"
