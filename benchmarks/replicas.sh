#!/usr/bin/env bash
# Scale-out cost on one machine: recd-bench at saturation (closed loop)
# against, in the same run,
#   direct    one recd, no edge                      (the baseline)
#   edge-1    one recd behind HAProxy                 (what the edge costs)
#   edge-2    two recd behind HAProxy, users routed by x-recd-user
#             (deploy/haproxy/replicas.cfg with its first two servers)
# every recd on the Redis store (a standalone redis-server on loopback,
# appendfsync always). Replica i is pinned to CPU i-1 (taskset), so edge-2
# has twice edge-1's daemon cores; the client, HAProxy and Redis are not
# pinned and share the machine with them.
#
#   benchmarks/replicas.sh [CONFIG] [DURATION_S]
#
# CONFIG defaults to config/recd.yaml (the demo bundle). RECD_BENCH_ROUNDS
# (default 3) repeats the three setups, rotating their order; the summary
# gives each setup's median answers/s, p50, p99 and the cores each process
# kept busy, and edge-2 / edge-1.
# RECD_BENCH_ARGS goes on to recd-bench. Results in RECD_BENCH_OUT (default
# /tmp/recd-replicas-bench).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${RECD_BUILD:-$root/build}
config=${1:-$root/config/recd.yaml}
duration=${2:-10}
out=${RECD_BENCH_OUT:-/tmp/recd-replicas-bench}
rounds=${RECD_BENCH_ROUNDS:-3}
command -v haproxy >/dev/null || { echo "replicas.sh: needs haproxy (scripts/install-deps.sh)" >&2; exit 2; }
rm -rf "$out"
mkdir -p "$out/redis"
source "$root/benchmarks/lib.sh"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null' EXIT

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$out/redis" --appendonly yes --appendfsync always \
  --save '' --daemonize no --logfile "$out/redis/redis.log" &
redis_pid=$!
pids+=($redis_pid)
for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done

# Two replicas on the shared store, each with an ops listener for HAProxy's
# checks. Admission is opened up so every setup answers all 32 calls in
# flight (capacity, not refusals, is compared); behind an edge, one replica
# gets all its calls over the few connections HAProxy opens, so
# max_connection_share must be 1.0 there (README, Deployment).
declare -A serve ops recd_pids
for r in 1 2; do
  serve[$r]=$(free_port)
  ops[$r]=$(free_port)
  derive_config "$config" "$out/recd$r.yaml" store.backend=redis \
    "store.redis={nodes: ['127.0.0.1:$redis_port']}" "server.listen='127.0.0.1:${serve[$r]}'" \
    "ops.listen='127.0.0.1:${ops[$r]}'" "admin.listen=''" \
    server.admission.max_in_flight_reads=64 server.admission.max_connection_share=1.0
  # The first replica seeds the empty store; the second finds it seeded.
  taskset -c $((r - 1)) "$build/recd" --config "$out/recd$r.yaml" >"$out/recd$r.log" 2>&1 &
  recd_pids[$r]=$!
  pids+=($!)
  for _ in $(seq 900); do
    "$build/recd-cli" --target "127.0.0.1:${serve[$r]}" status >/dev/null 2>&1 && break
    sleep 0.2
  done
  "$build/recd-cli" --target "127.0.0.1:${serve[$r]}" status >/dev/null || { echo "recd$r did not start; $out/recd$r.log" >&2; exit 1; }
done

# start_edge N: HAProxy in front of the first N replicas (replicas.cfg with the
# other server lines dropped) on $edge_port.
edge_port=$(free_port)
start_edge() {
  local n=$1
  grep -v -E "^\s*server recd[$((n + 1))-9] " "$root/deploy/haproxy/replicas.cfg" >"$out/replicas-$n.cfg"
  # One client address sends all the load: the edge's per-address rate
  # limits (429, and closing the connection) are raised.
  RECD_EDGE_MAX_CALLS_PER_10S=100000000 RECD_EDGE_DROP_CALLS_PER_10S=100000000 \
  RECD_EDGE_BIND="127.0.0.1:$edge_port" RECD_BACKEND_NAME=recd_replicas RECD_BACKEND="127.0.0.1:${serve[1]}" \
    RECD_REPLICA1="127.0.0.1:${serve[1]}" RECD_REPLICA1_OPS="${ops[1]}" \
    RECD_REPLICA2="127.0.0.1:${serve[2]}" RECD_REPLICA2_OPS="${ops[2]}" \
    haproxy -db -f "$root/deploy/haproxy/recd.cfg" -f "$out/replicas-$n.cfg" >"$out/haproxy-$n.log" 2>&1 &
  edge_pid=$!
  # Up once a call passes and every server has passed its health check.
  for _ in $(seq 100); do
    "$build/recd-cli" --target "127.0.0.1:$edge_port" recommend --user u1 -k 1 >/dev/null 2>&1 && break
    sleep 0.1
  done
  sleep 3
}
stop_edge() { kill "$edge_pid"; wait "$edge_pid" 2>/dev/null || true; edge_pid=""; }

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # CPU time so far, clock ticks

# bench NAME PORT: the load, and the CPU time each process spent during it
# (recd replicas, HAProxy, Redis, the client; warm-up included) in
# $out/NAME.cpu as "PROCESS SECONDS" lines, with the load's "wall" seconds,
# so the figures say how many cores each used and where a call's cycles go.
bench() {
  declare -A before
  local -A procs=([recd1]=${recd_pids[1]} [recd2]=${recd_pids[2]} [redis]=$redis_pid)
  [ -n "${edge_pid:-}" ] && procs[haproxy]=$edge_pid
  for p in "${!procs[@]}"; do before[$p]=$(ticks "${procs[$p]}"); done
  # shellcheck disable=SC2086
  /usr/bin/time -f "client %U %S %e" -o "$out/$1.client" "$build/recd-bench" --target "127.0.0.1:$2" --json \
    --duration "$duration" --concurrency 32 ${RECD_BENCH_ARGS:-} >"$out/$1.json"
  local hz; hz=$(getconf CLK_TCK)
  for p in "${!procs[@]}"; do
    echo "$p $(( $(ticks "${procs[$p]}") - ${before[$p]} ))" | awk -v hz="$hz" '{print $1, $2 / hz}'
  done >"$out/$1.cpu"
  awk '{print $1, $2 + $3; print "wall", $4}' "$out/$1.client" >>"$out/$1.cpu"
}

setups=(direct edge-1 edge-2)
for round in $(seq "$rounds"); do
  for i in 0 1 2; do
    setup=${setups[$(( (i + round - 1) % 3 ))]}
    case $setup in
      direct) bench "direct-$round" "${serve[1]}" ;;
      edge-1) start_edge 1; bench "edge-1-$round" "$edge_port"; stop_edge ;;
      edge-2) start_edge 2; bench "edge-2-$round" "$edge_port"; stop_edge ;;
    esac
    echo "round $round $setup: $(python3 -c "import json; r=json.load(open('$out/$setup-$round.json')); print(f\"{r['ok']/r['seconds']:.0f} answers/s, p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, errors {r['calls']-r['ok']}\")")"
  done
done

python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
med = {}
for setup in ("direct", "edge-1", "edge-2"):
    runs = [json.load(open(f"{out}/{setup}-{r}.json")) for r in range(1, rounds + 1)]
    med[setup] = {k: statistics.median(v) for k, v in {
        "qps": [r["ok"] / r["seconds"] for r in runs],
        "p50": [r["p50_ms"] for r in runs],
        "p99": [r["p99_ms"] for r in runs]}.items()}
    m = med[setup]
    # Cores each process kept busy during the load (median over rounds).
    cores = {}
    for r in range(1, rounds + 1):
        lines = dict(line.split() for line in open(f"{out}/{setup}-{r}.cpu"))
        wall = float(lines.pop("wall"))
        for name, secs in lines.items():
            cores.setdefault(name, []).append(float(secs) / wall)
    busy = {n: statistics.median(v) for n, v in sorted(cores.items()) if statistics.median(v) >= 0.01}
    total = sum(busy.values())
    print(f"{setup:7s} median of {rounds}: {m['qps']:.0f} answers/s, p50 {m['p50']:.2f} ms, p99 {m['p99']:.2f} ms; "
          f"cores busy: {', '.join(f'{n} {c:.2f}' for n, c in busy.items())} (all {total:.2f}, "
          f"{total / m['qps'] * 1e6:.0f} us of CPU per answer)")
print(f"edge-1 / direct: {med['edge-1']['qps'] / med['direct']['qps']:.2f}x answers/s (the edge's cost)")
print(f"edge-2 / edge-1: {med['edge-2']['qps'] / med['edge-1']['qps']:.2f}x answers/s (the second replica's gain)")
PY
