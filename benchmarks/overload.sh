#!/usr/bin/env bash
# Overload benchmark: how recd behaves past its capacity. Finds the
# saturation QPS (closed loop), measures half load, then offers 2x and 4x the
# saturation rate open loop with a tight client deadline, sampling the
# daemon's RSS, and finally drops back to half load to see it recover.
#
#   benchmarks/overload.sh [CONFIG] [OVERLOAD_SECONDS]
#
# Env: RECD_CPUS / CLIENT_CPUS pin the daemon and the client (taskset lists,
# e.g. 0 and 1) so a client that keeps up does not steal the daemon's core;
# RECD_BENCH_ARGS adds recd-bench flags (e.g. --demo-users 50000);
# DEADLINE_MS is the client deadline (default 50); RECD_BENCH_COLD=1 runs recd
# with its caches off (lib.sh, write_cold_config), so the cost of a request
# does not fall during the run as the caches fill and every phase measures
# the same work.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${RECD_BUILD_DIR:-$root/build}
config=${1:-$root/config/recd.yaml}
overload_s=${2:-30}
deadline_ms=${DEADLINE_MS:-50}
port=${RECD_BENCH_PORT:-50081}
out=${RECD_BENCH_OUT:-/tmp/recd-overload}
mkdir -p "$out"

source "$root/benchmarks/lib.sh"
if [ "${RECD_BENCH_COLD:-0}" = 1 ]; then
  write_cold_config "$config" "$out/cold.yaml"
  config=$out/cold.yaml
fi
start_recd "$config" "$port"
client_cmd "$port"

bench() {  # name warmup-seconds args...
  local name=$1 warmup=$2
  shift 2
  echo "$warmup" >"$out/$name.warmup"
  thread_cpu "$out/$name.cpu0"
  "${client[@]}" --warmup "$warmup" ${RECD_BENCH_ARGS:-} "$@" >"$out/$name.json"
  thread_cpu "$out/$name.cpu1"
}
sample_rss() {  # writes one RSS figure (MB) per second to $1 until killed
  while true; do rss_mb >>"$1"; sleep 1; done
}

bench saturation 2 --concurrency "${SAT_CONCURRENCY:-4}" --duration 10
sat=$(($(half_of_saturation saturation) * 2))
bench half 2 --open-loop --qps $((sat / 2)) --duration 10 --timeout-ms "$deadline_ms"
rss_idle=$(rss_mb)
for x in 2 4; do
  : >"$out/rss-${x}x.txt"
  sample_rss "$out/rss-${x}x.txt" &
  rss_pid=$!
  bench "${x}x" 2 --open-loop --qps $((sat * x)) --duration "$overload_s" --timeout-ms "$deadline_ms"
  kill $rss_pid 2>/dev/null; wait $rss_pid 2>/dev/null || true
  rss_pid=
done
# Straight after the 4x run: does half load get its latency back?
bench recovery 0 --open-loop --qps $((sat / 2)) --duration 5 --timeout-ms "$deadline_ms"

python3 - "$out" "$sat" "$rss_idle" "$deadline_ms" <<'PY'
import json, sys
out, sat, rss_idle, deadline = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
r = {n: json.load(open(f"{out}/{n}.json")) for n in ["saturation", "half", "2x", "4x", "recovery"]}
half_p99 = r["half"]["ok_p99_ms"]
hz = 100.0  # USER_HZ: /proc/*/stat ticks per second

def cpu_split(name):
    """recd's CPU ms in a phase (warm-up included): gRPC's threads, recd's pools."""
    before = dict(l.split() for l in open(f"{out}/{name}.cpu0"))
    grpc = pools = 0.0
    for line in open(f"{out}/{name}.cpu1"):
        n, t = line.split()
        ms = (float(t) - float(before.get(n, 0))) * 1000 / hz
        if n.startswith(("request", "scorer", "event", "refresh", "reload")):
            pools += ms
        else:
            grpc += ms
    return grpc, pools

def cpu_line(name):
    """Where recd's core went in a phase. The snapshots include the warm-up,
    sent at the same rate, so the counts are scaled up to match."""
    j = r[name]
    warmup = float(open(f"{out}/{name}.warmup").read())
    scale = (j["seconds"] + warmup) / j["seconds"]
    grpc, pools = cpu_split(name)
    return (f"recd used {(grpc + pools) / 1000 / (j['seconds'] + warmup):.2f} cores: gRPC's threads "
            f"{grpc * 1000 / max(j['calls'] * scale, 1):.0f} us per call, recd's pools "
            f"{pools * 1000 / max(j['ok'] * scale, 1):.0f} us per answer")
print(f"saturation {sat:.0f} answers/s (closed loop, {r['saturation']['concurrency'] if 'concurrency' in r['saturation'] else '?'} in flight, {r['saturation']['errors']} refused); half load {sat/2:.0f} QPS: "
      f"p50 {r['half']['ok_p50_ms']:.2f} ms, p99 {half_p99:.2f} ms; client deadline {deadline} ms; half load: {cpu_line('half')}")
for x in ["2x", "4x"]:
    j = r[x]
    rss = [float(v) for v in open(f"{out}/rss-{x}.txt").read().split()] or [0]
    refused = j["errors"].get("RESOURCE_EXHAUSTED", 0)
    print(f"{x}: offered {j['calls']/j['seconds']:.0f}/s, goodput {j['goodput_qps']:.0f}/s = "
          f"{j['goodput_qps']/sat:.2f} of saturation; answered p99 {j['ok_p99_ms']:.2f} ms = "
          f"{j['ok_p99_ms']/half_p99:.2f}x half-load p99; refused {refused} "
          f"(p50 {j['refused_p50_ms']:.3f} ms, p99 {j['refused_p99_ms']:.3f} ms); "
          f"degraded {j['degraded']}, fallback {j['fallback']}; other errors "
          f"{ {k: v for k, v in j['errors'].items() if k != 'RESOURCE_EXHAUSTED'} }; "
          f"RSS {min(rss):.0f}-{max(rss):.0f} MB (idle {rss_idle:.0f}); {cpu_line(x)}")
j = r["recovery"]
print(f"recovery (first 5 s at half load after 4x): p99 {j['ok_p99_ms']:.2f} ms = "
      f"{j['ok_p99_ms']/half_p99:.2f}x half-load p99, errors {j['errors']}")
PY
