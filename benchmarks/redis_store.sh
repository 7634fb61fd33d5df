#!/usr/bin/env bash
# The cost of the Redis store: benchmarks/serving.sh on the same config twice
# in one run, once with store.backend rocksdb (a fresh RocksDB store) and once
# with store.backend redis against a standalone redis-server on loopback
# (appendonly yes, appendfsync always, as README's Redis store section asks).
# Both stores are seeded from the config's seed files at start.
#
#   benchmarks/redis_store.sh [CONFIG] [DURATION_S]
#
# CONFIG defaults to config/recd.yaml (the demo bundle). RECD_BENCH_ARGS goes
# on to recd-bench (e.g. "--event-fraction 0.1": a share of RecordEvents,
# which then write to the store). RECD_BENCH_ROUNDS (default 1) repeats the
# pair, alternating backends, so medians can be taken on a shared machine;
# each round restarts recd on the stores the first round seeded.
# RECD_BENCH_OUT (default
# /tmp/recd-redis-bench) holds both runs' results; RECD_REDIS_PORT (default
# 6391) is the server's port.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
config=${1:-$root/config/recd.yaml}
duration=${2:-10}
out=${RECD_BENCH_OUT:-/tmp/recd-redis-bench}
port=${RECD_REDIS_PORT:-6391}
rm -rf "$out"
mkdir -p "$out/redis-data" "$out/rocksdb" "$out/redis"

redis-server --port "$port" --bind 127.0.0.1 --dir "$out/redis-data" --appendonly yes --appendfsync always \
  --save '' --daemonize no --logfile "$out/redis-data/redis.log" &
redis_pid=$!
trap 'kill $redis_pid 2>/dev/null; wait 2>/dev/null' EXIT
for _ in $(seq 100); do
  redis-cli -p "$port" ping >/dev/null 2>&1 && break
  sleep 0.1
done

# Two derived configs: relative paths made absolute (the copies live in
# $out), a fresh RocksDB directory, and the Redis backend.
source "$root/benchmarks/lib.sh"
derive_config "$config" "$out/rocksdb.yaml" store.backend=rocksdb store.path="$out/rocksdb-store"
derive_config "$config" "$out/redis.yaml" store.backend=redis "store.redis={nodes: ['127.0.0.1:$port']}"

for round in $(seq "${RECD_BENCH_ROUNDS:-1}"); do
  for backend in rocksdb redis; do
    echo "== round $round, store.backend: $backend"
    RECD_BENCH_OUT="$out/$backend/$round" "$root/benchmarks/serving.sh" "$out/$backend.yaml" "$duration"
  done
done
