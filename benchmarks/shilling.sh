#!/usr/bin/env bash
# Shilling benchmark: injects a push attack into the demo log and shows how
# far it moves the attacked item into real users' lists, with and without
# recd-train's --shilling-defence.
#
#   benchmarks/shilling.sh [OUT_DIR] [FAKE_USERS]
#
# The attack: FAKE_USERS (default 500) new accounts within the log's last
# day, each viewing the target (an item at the 10th percentile of
# popularity), three of the 20 most popular items, then carting the target.
# Three bundles are trained on the demo data (about 2 minutes each): the
# clean log, the attacked log, and the attacked log with the defence. Each is
# evaluated with recd-eval over the clean log's 3,000 real users, and the
# script prints how many of them get the target in their fused top-10, and
# how many real users the defence quarantined.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${RECD_BUILD_DIR:-$root/build}
out=${1:-/tmp/recd-shilling}
fakes=${2:-500}
events=$root/data/demo/events.csv
catalog=$root/data/demo/catalog.jsonl
rm -rf "$out"
mkdir -p "$out"

target=$(python3 - "$events" "$out/attacked.csv" "$fakes" <<'PY'
import collections, csv, random, sys
src, dst, fakes = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = list(csv.DictReader(open(src)))
counts = collections.Counter(r["item_id"] for r in rows)
by_popularity = sorted(counts, key=lambda i: (counts[i], i))
target = by_popularity[len(by_popularity) // 10]
popular = [i for i, _ in counts.most_common(20)]
end = max(int(r["timestamp"]) for r in rows)
rng = random.Random(7)
with open(dst, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["user_id", "item_id", "event", "timestamp"])
    for r in rows:
        w.writerow([r["user_id"], r["item_id"], r["event"], r["timestamp"]])
    start = end - 86400
    for k in range(fakes):
        t = start + k * (86400 // max(fakes, 1))
        w.writerow([f"shill{k}", target, "view", t])
        for j, item in enumerate(rng.sample(popular, 3)):
            w.writerow([f"shill{k}", item, "view", t + 30 * (j + 1)])
        w.writerow([f"shill{k}", target, "cart", t + 150])
print(target)
PY
)
echo "target $target; $fakes fake users added to $(wc -l <"$events") log lines"

train() {  # name events-file [flags]
  local name=$1 log=$2
  shift 2
  "$build/recd-train" --events "$log" --catalog "$catalog" --out "$out/$name" --report "$out/$name.json" "$@" \
    >"$out/$name.train.log" 2>&1
  "$build/recd-eval" --bundle "$out/$name" --events "$events" --catalog "$catalog" \
    --predictions "$out/$name.tsv" >"$out/$name.eval.log" 2>&1
}
train clean "$events"
train attacked "$out/attacked.csv"
train defended "$out/attacked.csv" --shilling-defence

python3 - "$out" "$target" "$fakes" <<'PY'
import json, sys
out, target, fakes = sys.argv[1], sys.argv[2], int(sys.argv[3])
def in_top10(name):
    hits = users = 0
    for line in open(f"{out}/{name}.tsv"):
        user, items = line.rstrip("\n").split("\t")
        users += 1
        hits += target in items.split(",")[:10]
    return hits, users
for name in ["clean", "attacked", "defended"]:
    hits, users = in_top10(name)
    print(f"{name:9s} target {target} in the top-10 of {hits} of {users} real users")
q = json.load(open(f"{out}/defended.json"))["quarantine"]
ids = q["user_ids"]
real = [u for u in ids if not u.startswith("shill")]
print(f"defence: {len(ids)} users quarantined ({len(ids) - len(real)} of {fakes} fake, {len(real)} real: "
      f"{len(real) / 3000:.2%} of the demo's 3,000), {q['events']} events left out; swarm items {q.get('swarm_items', [])}")
PY
