# Shared by the serving benchmarks: start recd on loopback, wait until it
# answers, and the recd-bench command line. Source it after setting `build`
# and `out`; RECD_CPUS / CLIENT_CPUS pin the daemon and the client (taskset
# lists) so a client that keeps up does not take the daemon's core.

# start_recd CONFIG PORT: starts recd in the background (recd_pid), its log
# in $out/server.log, killed when the script exits; returns once it answers
# (large bundles load or build their ANN indexes before the port opens).
start_recd() {
  local config=$1 port=$2
  local cmd=("$build/recd" --config "$config" --listen "127.0.0.1:$port")
  [ -n "${RECD_CPUS:-}" ] && cmd=(taskset -c "$RECD_CPUS" "${cmd[@]}")
  "${cmd[@]}" >"$out/server.log" 2>&1 &
  recd_pid=$!
  trap 'kill $recd_pid 2>/dev/null; wait 2>/dev/null' EXIT
  for _ in $(seq 900); do
    "$build/recd-cli" --target "127.0.0.1:$port" status >/dev/null 2>&1 && return 0
    kill -0 "$recd_pid" 2>/dev/null || { echo "recd exited; see $out/server.log" >&2; exit 1; }
    sleep 0.2
  done
  echo "recd did not answer within 3 minutes" >&2
  exit 1
}

# client_cmd PORT: sets the array `client` to recd-bench against PORT.
client_cmd() {
  client=("$build/recd-bench" --target "127.0.0.1:$1" --json)
  [ -n "${CLIENT_CPUS:-}" ] && client=(taskset -c "$CLIENT_CPUS" "${client[@]}")
}

rss_mb() { awk '/VmRSS/ {printf "%.0f\n", $2/1024}' "/proc/$recd_pid/status"; }

# half_of_saturation NAME: half the answers/s of the closed-loop run saved
# as $out/NAME.json (answers, not calls: refusals return at once).
half_of_saturation() {
  python3 -c "import json; r=json.load(open('$out/$1.json')); print(max(1, int(r['ok'] / r['seconds'] / 2)))"
}
