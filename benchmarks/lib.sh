# Shared by the serving benchmarks: start recd on loopback, wait until it
# answers, and the recd-bench command line. Source it after setting `build`
# and `out`; RECD_CPUS / CLIENT_CPUS pin the daemon and the client (taskset
# lists) so a client that keeps up does not take the daemon's core.

# build_release TARGET...: configures `build` as a Release build of the
# repository at `root` and builds these targets (the make-* scripts).
build_release() {
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j2 --target "$@"
}

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

# derive_config SRC DST [KEY=YAML ...]: SRC with its relative paths
# (store.path, seeds, models.path) made absolute, so DST can live anywhere,
# and each dotted KEY set to the YAML value given (store.path=/tmp/x,
# server.admission.max_in_flight_reads=1, store.redis.nodes=[a:1]).
derive_config() {
  python3 - "$@" <<'PY'
import os, sys, yaml
src, dst, sets = sys.argv[1], sys.argv[2], sys.argv[3:]
base = os.path.dirname(os.path.abspath(src))
c = yaml.safe_load(open(src)) or {}
for section, key in (("store", "path"), ("store", "seed_catalog"), ("store", "seed_events"), ("models", "path")):
    v = c.get(section, {}).get(key)
    if v and not os.path.isabs(v):
        c[section][key] = os.path.normpath(os.path.join(base, v))
for s in sets:
    path, value = s.split("=", 1)
    *parents, leaf = path.split(".")
    node = c
    for p in parents:
        node = node.setdefault(p, {})
    node[leaf] = yaml.safe_load(value)
yaml.safe_dump(c, open(dst, "w"), sort_keys=False)
PY
}

# write_cold_config SRC DST: SRC with recd's caches off (store.history_cache_entries,
# models.state_cache_entries and models.warm_users 0), so every request reads
# and encodes its user: the stationary worst case, whatever ran before.
write_cold_config() {
  derive_config "$1" "$2" store.history_cache_entries=0 models.state_cache_entries=0 models.warm_users=0
}

# thread_cpu FILE: recd's CPU time so far (clock ticks) per thread name, one
# "NAME TICKS" line each, so a phase's split between gRPC's own threads
# (transport: reading, parsing, refusing, writing) and recd's pools (request*,
# scorer*) is the difference of two snapshots.
thread_cpu() {
  for t in /proc/"$recd_pid"/task/*; do
    printf '%s %s\n' "$(tr ' ' _ <"$t/comm" 2>/dev/null || echo gone)" "$(awk '{print $14 + $15}' "$t/stat" 2>/dev/null || echo 0)"
  done | awk '{ticks[$1] += $2} END {for (n in ticks) print n, ticks[n]}' >"$1"
}

# train_on_head EVENTS CATALOG DAYS: splits EVENTS at DAYS before its last
# event into $out/head.csv and $out/tail.csv (the demo log's timestamps are
# integer seconds, recd-datagen's) and trains a bundle on the head into
# $out/bundle (about 2 minutes on the demo).
train_on_head() {
  local events=$1 catalog=$2 days=$3
  local cut_at
  cut_at=$(awk -F, -v days="$days" 'NR > 1 && $4 > max { max = $4 } END { print max - days * 86400 }' "$events")
  awk -F, -v cut="$cut_at" 'NR == 1 || $4 < cut' "$events" >"$out/head.csv"
  awk -F, -v cut="$cut_at" 'NR == 1 || $4 >= cut' "$events" >"$out/tail.csv"
  echo "held out the last $days days: $(($(wc -l <"$out/tail.csv") - 1)) events; training on $(($(wc -l <"$out/head.csv") - 1))"
  "$build/recd-train" --events "$out/head.csv" --catalog "$catalog" --out "$out/bundle" --no-progress \
    >"$out/train.log" 2>&1
}
