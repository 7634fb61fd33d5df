#!/usr/bin/env bash
# Serving benchmark: recd against the trivial Echo service, same client, same
# machine. For each: closed loop with many calls in flight (the QPS at
# saturation), then open loop at half that rate (p50/p99 at half load).
# Throughput and latency count answered calls; refusals are shown apart.
#
#   benchmarks/serving.sh [CONFIG] [DURATION_S]
#
# CONFIG defaults to config/recd.yaml (the demo bundle and its store). The
# load is read-only (RecommendItems) unless RECD_BENCH_ARGS adds events.
#
# RECD_BENCH_ARGS goes to every recd-bench run, e.g. "--users-zipf 1.1"
# (Zipf-popular users) or "--session-items 3" (recent items per request);
# item ids come from the bundle CONFIG serves (RECD_BENCH_ITEMS: a file of
# ids instead). RECD_BENCH_COLD=1 runs recd with its caches off (a derived
# config with store.history_cache_entries, models.state_cache_entries and
# models.warm_users 0), so every request reads and encodes its user.
# RECD_BENCH_PORT (recd's port, echo's is the next) and RECD_BENCH_OUT (where
# results go, default /tmp) keep runs of several people apart;
# RECD_SAT_CONCURRENCY sets recd's calls in flight at saturation (default 8).
# RECD_CPUS / CLIENT_CPUS (taskset lists, as in lib.sh) pin the servers and
# the client; unset, nothing is pinned.
#
# RECD_BENCH_PEER=1 also starts the Python peer (benchmarks/python_peer/peer.py,
# the same work in grpcio + numpy) on the same config and port + 2, and adds
# peer-saturation and peer-half rows from the same client, with each server's
# CPU time per answer; RECD_PEER_THREADS sets its gRPC thread pool (default
# 8). The peer's rows give each call a RECD_PEER_TIMEOUT_MS deadline (default
# 30000): at 32 calls in flight and tens of QPS a call waits about a second
# in the peer's queue, so the 1 s default would count its saturation as errors.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${RECD_BUILD_DIR:-$root/build}
config=${1:-$root/config/recd.yaml}
duration=${2:-10}
recd_port=${RECD_BENCH_PORT:-50071}
echo_port=$((recd_port + 1))
users_file=${RECD_BENCH_USERS:-}
items_file=${RECD_BENCH_ITEMS:-}
out=${RECD_BENCH_OUT:-/tmp}  # results: $out/recd-bench-*.json, the server log
mkdir -p "$out"

source "$root/benchmarks/lib.sh"
recd_config=$config
if [ "${RECD_BENCH_COLD:-0}" = 1 ]; then
  recd_config=$out/recd-bench-cold.yaml
  write_cold_config "$config" "$recd_config"
fi

server_pin=() client_pin=()
[ -n "${RECD_CPUS:-}" ] && server_pin=(taskset -c "$RECD_CPUS")
[ -n "${CLIENT_CPUS:-}" ] && client_pin=(taskset -c "$CLIENT_CPUS")
"${server_pin[@]}" "$build/recd" --config "$recd_config" --listen "127.0.0.1:$recd_port" >"$out/recd-bench-server.log" 2>&1 &
recd_pid=$!
"${server_pin[@]}" "$build/recd-echo-server" --listen "127.0.0.1:$echo_port" >/dev/null 2>&1 &
echo_pid=$!
peer_pid=
if [ "${RECD_BENCH_PEER:-0}" = 1 ]; then
  peer_python=$("$root/benchmarks/python_peer/find_python.sh")
  "${server_pin[@]}" "$peer_python" "$root/benchmarks/python_peer/peer.py" --config "$config" \
    --listen "127.0.0.1:$((recd_port + 2))" --threads "${RECD_PEER_THREADS:-8}" >"$out/recd-bench-peer.log" 2>&1 &
  peer_pid=$!
fi
trap 'kill $recd_pid $echo_pid $peer_pid 2>/dev/null; wait 2>/dev/null' EXIT
# Large bundles build their ANN indexes before the port opens.
for _ in $(seq 900); do
  "$build/recd-cli" --target "127.0.0.1:$recd_port" status >/dev/null 2>&1 && break
  sleep 0.2
done

users=()
[ -n "$users_file" ] && users=(--users-file "$users_file")
if [ -n "$items_file" ]; then users+=(--items-file "$items_file"); else users+=(--recd-config "$config"); fi
run() {  # name target service extra-args...
  local name=$1 target=$2 service=$3
  shift 3
  "${client_pin[@]}" "$build/recd-bench" --target "$target" --service "$service" --duration "$duration" --warmup 2 --json \
    "${users[@]}" ${RECD_BENCH_ARGS:-} "$@" > "$out/recd-bench-$name.json"
  # Answers, not calls: recd refuses calls beyond its admission budget at
  # once (RESOURCE_EXHAUSTED), and those would count as throughput.
  python3 -c "import json,sys; r=json.load(open('$out/recd-bench-$name.json')); e=r['errors']; \
print(f\"$name: {r['ok'] / r['seconds']:.0f} answers/s ({r['qps']:.0f} calls/s), answered p50 {r['ok_p50_ms']:.3f} ms, \
p99 {r['ok_p99_ms']:.3f} ms; all calls p99 {r['p99_ms']:.3f} ms; refused {e.get('RESOURCE_EXHAUSTED', 0)}, \
other errors {sum(e.values()) - e.get('RESOURCE_EXHAUSTED', 0)}\")"
}
qps_of() { python3 -c "import json; r=json.load(open('$out/recd-bench-$1.json')); print(max(1, int(r['ok'] / r['seconds'] / 2)))"; }

# recd's saturation runs at its admission budget (2 x request threads = 8 on
# 2 cores by default): beyond it calls are refused at once, and each refusal
# costs the daemon gRPC work that answers would have had.
# Server CPU time (user + system) around a saturation run, for CPU per answer.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
recd_ticks=$(cpu_ticks "$recd_pid")
run recd-saturation "127.0.0.1:$recd_port" recd --concurrency "${RECD_SAT_CONCURRENCY:-8}"
recd_ticks=$(( $(cpu_ticks "$recd_pid") - recd_ticks ))
python3 -c "import json; r=json.load(open('$out/recd-bench-recd-saturation.json')); \
print('requests:', r['draws'] + ('; recd caches off (RECD_BENCH_COLD=1)' if '${RECD_BENCH_COLD:-0}' == '1' else ''))"
run echo-saturation "127.0.0.1:$echo_port" echo --concurrency 32
run recd-half "127.0.0.1:$recd_port" recd --open-loop --qps "$(qps_of recd-saturation)"
run echo-half "127.0.0.1:$echo_port" echo --open-loop --qps "$(qps_of echo-saturation)"
"$build/recd-cli" --target "127.0.0.1:$recd_port" --json status | python3 -c "import json,sys; \
c=json.load(sys.stdin).get('counters', {}); h=int(c.get('state_cache_hits', 0)); m=int(c.get('state_cache_misses', 0)); \
rh=int(c.get('result_cache_hits', 0)); rm=int(c.get('result_cache_misses', 0)); \
print(f'recd caches over both recd runs: states {h} hits, {m} misses ({h / max(1, h + m):.1%}); results {rh} hits, {rm} misses ({rh / max(1, rh + rm):.1%}; requests with session items use cached states but keep nothing)')"
if [ -n "$peer_pid" ]; then
  peer_timeout=(--timeout-ms "${RECD_PEER_TIMEOUT_MS:-30000}")
  peer_ticks=$(cpu_ticks "$peer_pid")
  run peer-saturation "127.0.0.1:$((recd_port + 2))" recd --concurrency 32 "${peer_timeout[@]}"
  peer_ticks=$(( $(cpu_ticks "$peer_pid") - peer_ticks ))
  run peer-half "127.0.0.1:$((recd_port + 2))" recd --open-loop --qps "$(qps_of peer-saturation)" "${peer_timeout[@]}"
  # CPU per answer: the server's CPU time over the saturation run (its 2 s
  # warm-up included, so answers are scaled by the same span). Less moved by
  # other work on a shared machine than answers/s.
  python3 -c "import json; r = {n: json.load(open(f'$out/recd-bench-{n}.json')) for n in ('recd-saturation', 'peer-saturation')}; \
a = {n: v['ok'] / v['seconds'] for n, v in r.items()}; \
cpu = {n: t / $(getconf CLK_TCK) * 1000 / (a[n] * (r[n]['seconds'] + 2)) for n, t in (('recd-saturation', $recd_ticks), ('peer-saturation', $peer_ticks))}; \
print(f\"recd / peer answers/s at saturation: {a['recd-saturation'] / a['peer-saturation']:.1f}x; server CPU per answer: \
recd {cpu['recd-saturation']:.2f} ms, peer {cpu['peer-saturation']:.2f} ms ({cpu['peer-saturation'] / cpu['recd-saturation']:.1f}x)\")"
fi
