#!/usr/bin/env bash
# The retraining loop, for cron or a systemd timer (deploy/systemd/): trains a
# bundle on what recd's store holds now and publishes it as the next version
# of the bundle root recd serves, only if its fused NDCG@10 on the store's
# held-out events (each user's newest, which no bundle was trained on) is not
# below the served version's by more than TOLERANCE. recd picks the new
# version up within a second and warms it before it takes traffic.
#
#   scripts/retrain.sh STORE_DIR BUNDLE_ROOT [TOLERANCE] [-- recd-train flags...]
#
# STORE_DIR is recd's store.path (a RocksDB store: it is read as a secondary
# instance while recd keeps writing); BUNDLE_ROOT its models.path. TOLERANCE
# defaults to 0.005. Flags after -- go to recd-train (--models, --epochs,
# --quarantined-users, ...). Exits 0 when published, 10 when the gate kept
# the new bundle back (the served version stays; nothing is left behind), 75
# when another run holds the root's lock, anything else on an error.
# Binaries come from RECD_BIN_DIR, else build/ when it has them, else PATH.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -lt 2 ]; then
  sed -n '2,18p' "$0" >&2
  exit 2
fi
store=$1 bundles=$2
shift 2
tolerance=0.005
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
  tolerance=$1
  shift
fi
[ "${1:-}" = "--" ] && shift
bin=${RECD_BIN_DIR:-}
[ -z "$bin" ] && [ -x "$root/build/recd-train" ] && bin=$root/build
train=${bin:+$bin/}recd-train

[ -d "$bundles" ] || { echo "retrain: $bundles: no bundle root" >&2; exit 2; }
# One run per root: a timer firing during a long run must not train twice.
exec 9>"$bundles/.retrain.lock"
if ! flock -n 9; then
  echo "retrain: another run holds $bundles/.retrain.lock" >&2
  exit 75
fi
echo "retrain: $(date -u +%FT%TZ) training on $store for $bundles (tolerance $tolerance)"
set +e
"$train" --from-store "$store" --out "$bundles" --gate-tolerance "$tolerance" --no-progress "$@"
status=$?
set -e
case $status in
  0) echo "retrain: published; recd serves it once it has warmed it" ;;
  10) echo "retrain: kept back by the gate; the served version stays" ;;
  *) echo "retrain: recd-train failed ($status)" >&2 ;;
esac
exit $status
