#!/usr/bin/env bash
# Server CPU per call: starts recd (on CONFIG) or recd-echo-server ("echo")
# pinned to one core, drives it from another with recd-bench, and divides
# the server's CPU time over the measured run (/proc/PID/stat) by the calls.
#
#   benchmarks/cpu_per_call.sh echo|CONFIG SECONDS recd-bench-args...
#   benchmarks/cpu_per_call.sh echo 10 --open-loop --qps 400
#   benchmarks/cpu_per_call.sh echo 10 --concurrency 32
#   RECD_READS=1 benchmarks/cpu_per_call.sh config/recd.yaml 10 --concurrency 32
#
# RECD_READS=N runs recd with server.admission.max_in_flight_reads N (and no
# per-connection share), so most calls of a wide closed loop are refused:
# with the answered calls' cost from a run without it, what is left is the
# cost of a refusal. RECD_CPUS / CLIENT_CPUS pick the cores (default 0, 1).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${RECD_BUILD_DIR:-$root/build}
target=$1 seconds=$2
shift 2
port=${RECD_BENCH_PORT:-50089}
out=${RECD_BENCH_OUT:-/tmp/recd-cpu-per-call}
rm -rf "$out" && mkdir -p "$out"
source "$root/benchmarks/lib.sh"
RECD_CPUS=${RECD_CPUS:-0}
CLIENT_CPUS=${CLIENT_CPUS:-1}
service=recd
if [ "$target" = echo ]; then
  service=echo
  taskset -c "$RECD_CPUS" "$build/recd-echo-server" --listen "127.0.0.1:$port" >"$out/server.log" 2>&1 &
  recd_pid=$!
  trap 'kill $recd_pid 2>/dev/null; wait 2>/dev/null' EXIT
  sleep 1
else
  config=$target
  if [ -n "${RECD_READS:-}" ]; then
    derive_config "$target" "$out/recd.yaml" store.path="$out/store" \
      server.admission.max_in_flight_reads="$RECD_READS" server.admission.max_connection_share=1.0
    config=$out/recd.yaml
  fi
  start_recd "$config" "$port"
fi
client=(taskset -c "$CLIENT_CPUS" "$build/recd-bench" --target "127.0.0.1:$port" --service "$service" --json)
"${client[@]}" --duration 2 --warmup 0 "$@" >/dev/null  # warm-up
ticks() { awk '{print $14 + $15}' "/proc/$recd_pid/stat"; }
t0=$(ticks)
"${client[@]}" --duration "$seconds" --warmup 0 "$@" >"$out/run.json"
t1=$(ticks)
python3 - "$out/run.json" "$t0" "$t1" "$target" "$*" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
cpu_ms = (float(sys.argv[3]) - float(sys.argv[2])) * 10.0  # USER_HZ 100
refused = r["errors"].get("RESOURCE_EXHAUSTED", 0)
print(f"{sys.argv[4]} {sys.argv[5]}: {r['calls']} calls ({r['ok']} answered, {refused} refused) in {r['seconds']:.1f} s; "
      f"server CPU {cpu_ms:.0f} ms = {1000 * cpu_ms / max(r['calls'], 1):.1f} us per call")
PY
