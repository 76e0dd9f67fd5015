#!/usr/bin/env bash
# One-shot filter pruning of the resnet-s figure's three base models: 10% of every dependency
# group's channels removed at once, no fine-tuning, scored on the first 1,024 calibration
# images, test accuracy on all 10,000 test images. Writes oneshot.csv in the working directory.
# Usage: oneshot.sh <shears binary> <directory holding base-seed{1,2,3}.safetensors>
set -euo pipefail
S="${1:?usage: oneshot.sh <shears> <state dir>}"
B="${2:?usage: oneshot.sh <shears> <state dir>}"
. "$(dirname "$0")/../../../scripts/blas-kernels" "$S"
echo "base_seed,criterion,prune_seed,ratio_per_group,flops_before,flops_after,params_after,test_accuracy_before_percent,test_accuracy_after_percent" > oneshot.csv
for b in 1 2 3; do
  for spec in random:0 random:1 random:2 l1:0 l2:0 bn-scale:0 taylor:0 obd:0 obs-no-update:0 obs:0; do
    c=${spec%:*}; s=${spec#*:}
    line=$("$S" prune --model "$B/base-seed$b.safetensors" --criterion "$c" --granularity filter --ratio 0.1 \
        --samples 1024 --seed "$s" --out "b$b-$c-$s.safetensors" 2>&1 | grep '^removed')
    echo "$line" | sed -E "s/.*FLOPs ([0-9]+) -> ([0-9]+), params [0-9]+ -> ([0-9]+).*accuracy ([0-9.]+)% -> ([0-9.]+)%.*/$b,$c,$s,0.1,\1,\2,\3,\4,\5/" >> oneshot.csv
  done
done
