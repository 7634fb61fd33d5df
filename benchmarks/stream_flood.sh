#!/usr/bin/env bash
# Stream flood: one client connection keeps STREAMS calls open at once
# (recd-bench --channels 1 --concurrency STREAMS) while another client, on
# a connection of its own, calls RecommendItems one at a time. Prints the
# other client's p50/p99 without and with the flood, and what the flood got.
#
#   benchmarks/stream_flood.sh [STREAMS] [SECONDS]
#
# Env: RECD_DEMO_DATA (catalog.jsonl + events.csv to seed the store, default
# data/demo); RECD_SERVER_EXTRA adds keys to the config's server: mapping,
# e.g. ", limits: {max_concurrent_streams: 16}" or
# ", admission: {max_in_flight_reads: 100000}" (admission out of the way, so
# only the transport limit paces the flood); FLOOD_NICE (below).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${RECD_BUILD_DIR:-$root/build}
streams=${1:-5000}
seconds=${2:-10}
port=${RECD_BENCH_PORT:-50091}
out=${RECD_BENCH_OUT:-/tmp/recd-stream-flood}
data=${RECD_DEMO_DATA:-$root/data/demo}
rm -rf "$out"
mkdir -p "$out"
seed=""
[ -s "$data/events.csv" ] && seed=", seed_catalog: $data/catalog.jsonl, seed_events: $data/events.csv"
cat >"$out/recd.yaml" <<YAML
server: {listen: '127.0.0.1:$port'${RECD_SERVER_EXTRA:-}}
store: {path: $out/store$seed}
models: {path: $root/models/demo}
logging: {level: warn}
YAML

source "$root/benchmarks/lib.sh"
start_recd "$out/recd.yaml" "$port"
client_cmd "$port" || true  # its last test returns 1 without CLIENT_CPUS
other() {  # name: the other client, one call at a time on one connection
  "${client[@]}" --channels 1 --concurrency 1 --warmup 1 --duration "$seconds" --timeout-ms 5000 >"$out/$1.json"
}
other alone
# FLOOD_NICE: the flood client's nice value. On a two-core machine both
# clients share the client core, so the flood generator's own CPU also slows
# the other client; a niced flood stands in for a flood from another machine.
nice -n "${FLOOD_NICE:-0}" "${client[@]}" --channels 1 --concurrency "$streams" --warmup 1 \
  --duration $((seconds + 4)) --timeout-ms 30000 >"$out/flood.json" &
flood_pid=$!
sleep 2
other during
wait $flood_pid
python3 - "$out" "$streams" <<'PY'
import json, sys
out, streams = sys.argv[1], sys.argv[2]
r = {n: json.load(open(f"{out}/{n}.json")) for n in ["alone", "during", "flood"]}
a, d, f = r["alone"], r["during"], r["flood"]
print(f"other client alone: p50 {a['ok_p50_ms']:.2f} ms, p99 {a['ok_p99_ms']:.2f} ms, errors {a['errors']}")
print(f"other client during a {streams}-stream connection: p50 {d['ok_p50_ms']:.2f} ms, "
      f"p99 {d['ok_p99_ms']:.2f} ms ({d['ok_p99_ms'] / a['ok_p99_ms']:.1f}x), errors {d['errors']}")
print(f"the flood connection: {f['goodput_qps']:.0f} answers/s, p99 {f['ok_p99_ms']:.0f} ms, errors {f['errors']}")
PY
echo "recd RSS $(rss_mb) MB after the flood; $("$build/recd-cli" --target "127.0.0.1:$port" status | python3 -c '
import json, sys
c = json.load(sys.stdin)["counters"]
print(", ".join(f"{k} {c.get(k, 0)}" for k in ["refused_reads", "refused_connection_share", "queue_timeouts"]))')"
