#!/usr/bin/env bash
# Accuracy benchmark on an Amazon-format dataset (leave-one-out, full ranking,
# history excluded):
#
#   benchmarks/accuracy.sh DATA_DIR OUT_DIR
#
# DATA_DIR holds <Name>.txt (one user per line: "user item item ...") and
# optionally <Name>_item2attributes.json. Trains every model, tunes fusion on
# the validation targets, evaluates on the test targets and writes
#   OUT_DIR/metrics.json      per-model and fusion HR/NDCG@5/10/20, MRR, ...
#   OUT_DIR/predictions.tsv   fused top-20 per user: user_id<TAB>item,item,...
#   OUT_DIR/train.json        training times and validation metrics
#   OUT_DIR/bundle/<N>/       the trained models (a bundle root; each run adds a version)
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 DATA_DIR OUT_DIR" >&2
  exit 2
fi
data_dir=$1
out_dir=$2
root=$(cd "$(dirname "$0")/.." && pwd)
build=${RECD_BUILD_DIR:-$root/build}

seq_file=$(find "$data_dir" -maxdepth 1 -name '*.txt' | sort | head -n 1)
if [ -z "$seq_file" ]; then
  echo "$0: no <Name>.txt in $data_dir" >&2
  exit 2
fi
prefix=${seq_file%.txt}
mkdir -p "$out_dir"

if [ ! -x "$build/recd-train" ] || [ ! -x "$build/recd-eval" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j2 --target recd-train recd-eval
fi

start=$(date +%s)
"$build/recd-train" --amazon "$prefix" --out "$out_dir/bundle" --report "$out_dir/train.json" ${RECD_TRAIN_ARGS:-}
"$build/recd-eval" --bundle "$out_dir/bundle" --amazon "$prefix" --target test \
  --json "$out_dir/metrics.json" --predictions "$out_dir/predictions.tsv"
echo "accuracy.sh: $(( $(date +%s) - start )) s; wrote $out_dir/metrics.json and $out_dir/predictions.tsv"
