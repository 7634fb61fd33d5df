#!/usr/bin/env bash
# Top-k agreement of the Python peer with recd's whole-catalog ranking.
#
#   benchmarks/python_peer/agreement.sh CONFIG [USERS]
#
# Starts recd on CONFIG with the candidate stage off (a copy of CONFIG, beside
# it so relative paths still hold, with candidates.full_scan_max_items above
# any catalog and a 60 s model budget and deadline, so that no model is left
# out of an answer for its time on a busy machine) and the peer on CONFIG, then runs agreement.py for users
# u0..USERS-1 (default 2000). recd opens CONFIG's store: no other recd may
# have it open. Ports: RECD_AGREEMENT_PORT (default 50075) and the next one.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${RECD_BUILD_DIR:-$root/build}
config=$1
users=${2:-2000}
port=${RECD_AGREEMENT_PORT:-50075}
python=$("$root/benchmarks/python_peer/find_python.sh")
full_scan="$(dirname "$config")/.recd-fullscan-$$.yaml"

"$python" - "$config" "$full_scan" <<'PY'
import sys, yaml
config = yaml.safe_load(open(sys.argv[1])) or {}
config.setdefault("candidates", {})["full_scan_max_items"] = 1_000_000_000
config.setdefault("models", {})["budget_ms"] = 60000
config.setdefault("server", {})["default_deadline_ms"] = 60000
yaml.safe_dump(config, open(sys.argv[2], "w"))
PY
"$build/recd" --config "$full_scan" --listen "127.0.0.1:$port" >/tmp/recd-agreement-recd.log 2>&1 &
recd_pid=$!
"$python" "$root/benchmarks/python_peer/peer.py" --config "$config" --listen "127.0.0.1:$((port + 1))" \
  >/tmp/recd-agreement-peer.log 2>&1 &
peer_pid=$!
trap 'kill $recd_pid $peer_pid 2>/dev/null; wait 2>/dev/null; rm -f "$full_scan"' EXIT
for target in "$port" "$((port + 1))"; do
  for _ in $(seq 900); do
    "$build/recd-cli" --target "127.0.0.1:$target" recommend --user u0 -k 1 >/dev/null 2>&1 && break
    kill -0 "$recd_pid" "$peer_pid" 2>/dev/null || { echo "a server exited; see /tmp/recd-agreement-*.log" >&2; exit 1; }
    sleep 0.2
  done
done
"$python" "$root/benchmarks/python_peer/agreement.py" --a "127.0.0.1:$port" --b "127.0.0.1:$((port + 1))" \
  --users "$users" --threads 1
