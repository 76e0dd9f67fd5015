#!/usr/bin/env bash
# The resnet-s figure of issue #11 at a fixed commit: per-seed base models, every group criterion
# (obs and obs-no-update included). Resumable: run again after an interruption.
# It ran from the root of a checkout of f1ee70e with this directory's yaml in runs/; the CSV
# and manifest it wrote there are the ones beside it. docs/results.md summarises them.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product shears
. scripts/blas-kernels .build/release/shears
.build/release/shears curve --config runs/resnet-s-figure.yaml --out runs/resnet-s-figure.csv --threads 2
