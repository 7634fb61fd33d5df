#!/usr/bin/env bash
# CTest entry: recd behind HAProxy with deploy/haproxy/recd.cfg. One
# RecommendItems call must pass through the edge and an Admin call must be
# refused there. Skips (exit 77) without haproxy.
#   tests/haproxy/run_test.sh PATH/TO/recd PATH/TO/recd-cli
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
recd=$1
cli=$2
command -v haproxy >/dev/null || { echo "SKIPPED: needs haproxy (scripts/install-deps.sh)"; exit 77; }

tmp=$(mktemp -d /tmp/recd-haproxy-test-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
fail() { echo "FAIL: $*"; echo "--- recd log"; cat "$tmp/recd.log"; echo "--- haproxy log"; cat "$tmp/haproxy.log"; exit 1; }

recd_port=$(free_port)
admin_port=$(free_port)
edge_port=$(free_port)
# Generous admission bounds, as the daemon tests use: on a loaded CI machine
# a call may wait past the default 20 ms, or a stall may let more than the
# default 8 reads pile up, and be shed, which is admission working, not what
# this test is about. Behind the edge every call shares HAProxy's
# connection, so no per-connection share (README, Deployment).
cat >"$tmp/recd.yaml" <<YAML
server: {listen: '127.0.0.1:$recd_port', default_deadline_ms: 5000, admission: {max_queue_ms: 10000, max_in_flight_reads: 64, max_connection_share: 1.0}}
admin: {listen: '127.0.0.1:$admin_port'}
store: {path: store}
models: {path: $root/models/demo, budget_ms: 5000}
logging: {level: warn}
YAML
"$recd" --config "$tmp/recd.yaml" >"$tmp/recd.log" 2>&1 &
pids+=($!)
RECD_EDGE_BIND="127.0.0.1:$edge_port" RECD_BACKEND="127.0.0.1:$recd_port" \
  haproxy -db -f "$root/deploy/haproxy/recd.cfg" >"$tmp/haproxy.log" 2>&1 &
pids+=($!)

for _ in $(seq 150); do
  "$cli" --target "127.0.0.1:$admin_port" status >/dev/null 2>&1 && break
  sleep 0.2
done
"$cli" --admin "127.0.0.1:$admin_port" status >/dev/null 2>&1 || fail "recd did not start"

ok=0
for _ in $(seq 50); do  # haproxy may still be starting
  if out=$("$cli" --target "127.0.0.1:$edge_port" recommend --user u1 -k 5 2>&1); then ok=1; break; fi
  sleep 0.2
done
[ $ok = 1 ] || fail "no answer through haproxy: $out"
echo "$out" | grep -q "^  5\. " || fail "expected 5 items through haproxy, got: $out"
echo "through haproxy: $(echo "$out" | head -1)"

if out=$("$cli" --target "127.0.0.1:$edge_port" status 2>&1); then
  fail "Admin/GetStatus passed the edge: $out"
fi
echo "$out" | grep -q "^recd-cli: 7 " || fail "expected PERMISSION_DENIED (7) for Admin at the edge, got: $out"
echo "Admin through haproxy: refused ($out)"
echo PASS
