#!/usr/bin/env bash
# CTest entry for the Python peer test: finds a python3 with grpc and numpy
# (benchmarks/python_peer/find_python.sh) or skips (exit 77) saying why.
#   tests/python_peer/run_test.sh PATH/TO/recd
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if ! python=$("$root/benchmarks/python_peer/find_python.sh"); then
  echo "SKIPPED: the Python peer test needs python3-grpcio, python3-numpy, python3-protobuf and python3-yaml"
  exit 77
fi
if ! command -v protoc >/dev/null || [ ! -x "${GRPC_PYTHON_PLUGIN:-/usr/bin/grpc_python_plugin}" ]; then
  echo "SKIPPED: the Python peer test needs protoc and grpc_python_plugin (protobuf-compiler-grpc)"
  exit 77
fi
exec "$python" "$root/tests/python_peer/python_peer_test.py" "$1"
