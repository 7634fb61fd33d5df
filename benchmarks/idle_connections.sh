#!/usr/bin/env bash
# Idle-connection flood: recd started under `ulimit -n FD_LIMIT` (soft and
# hard, so recd cannot raise it), N raw TCP connections opened against it
# that never send a byte. Reports whether a new client is answered during
# the flood and after it, recd's RSS, and GetStatus's connection counters.
#
#   benchmarks/idle_connections.sh [N] [FD_LIMIT] [plain|tls]
#
# plain (default): recd accepts connections itself (ConnectionLimiter).
# tls: server.tls is on, so gRPC 1.51 accepts them (what recd did before
# the limiter, and still does with TLS).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${RECD_BUILD_DIR:-$root/build}
n=${1:-2000}
fds=${2:-1024}
mode=${3:-plain}
out=${RECD_BENCH_OUT:-/tmp/recd-idle-connections}
rm -rf "$out"
mkdir -p "$out"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

tls_keys=""
cli=("$build/recd-cli" --target "127.0.0.1:$port" --timeout 5)
if [ "$mode" = tls ]; then
  "$root/scripts/make-test-certs.sh" "$out/certs" >/dev/null
  tls_keys=", tls: {cert_file: $out/certs/server.pem, key_file: $out/certs/server.key}"
  cli=("$build/recd-cli" --target "localhost:$port" --timeout 5 --ca "$out/certs/ca.pem")
fi
cat >"$out/recd.yaml" <<YAML
server: {listen: '127.0.0.1:$port'$tls_keys}
store: {path: $out/store}
models: {path: $root/models/demo}
logging: {level: info}
YAML
bash -c "ulimit -n $fds && exec '$build/recd' --config '$out/recd.yaml'" >"$out/recd.log" 2>&1 &
recd_pid=$!
trap 'kill $recd_pid 2>/dev/null; wait 2>/dev/null' EXIT
for _ in $(seq 300); do
  "${cli[@]}" status >/dev/null 2>&1 && break
  sleep 0.2
done

python3 - "$recd_pid" "$port" "$n" "${cli[@]}" <<'PY'
import json, socket, subprocess, sys, time
pid, port, n, cli = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]

def rss_mb():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

def answered(label):
    t = time.monotonic()
    r = subprocess.run(cli + ["recommend", "--user", "u1", "-k", "5"], capture_output=True, text=True)
    ok = r.returncode == 0
    print(f"{label}: new client {'answered' if ok else 'FAILED: ' + r.stderr.strip()[-120:]}"
          f" in {1000 * (time.monotonic() - t):.0f} ms")
    return ok

def counters():
    r = subprocess.run(cli + ["status"], capture_output=True, text=True)
    if r.returncode != 0:
        return "status failed"
    c = json.loads(r.stdout).get("counters", {})
    keys = ["fd_limit", "open_fds", "max_connections", "open_connections", "evicted_connections", "accept_errors"]
    return ", ".join(f"{k} {c.get(k, 0)}" for k in keys)

print(f"recd RSS {rss_mb():.1f} MB before; {counters()}")
socks = []
t = time.monotonic()
for _ in range(n):
    s = socket.socket()
    s.connect(("127.0.0.1", port))
    socks.append(s)
print(f"{n} idle connections opened in {1000 * (time.monotonic() - t):.0f} ms")
time.sleep(1)
answered("during")
print(f"recd RSS {rss_mb():.1f} MB with {n} idle connections; {counters()}")
for s in socks:
    s.close()
time.sleep(1)
answered("after")
print(f"recd RSS {rss_mb():.1f} MB after; {counters()}")
PY
grep -E "file descriptors|accept" "$out/recd.log" | head -5
