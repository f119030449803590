#!/usr/bin/env bash
# GPU check of the flagship (EfficientNet-B4, plain and QC) with the FF++
# configs' GPU settings on generated 256 px data: <= 8 min on one GPU, no
# dataset, no internet. Prints `name: value` lines (docs/benchmarks_speed.md).
# Without a GPU it runs a tiny CPU mode and says its figures are NOT GPU
# figures. Usage: bash benchmarks/gpu_check.sh [benchmarks.gpu_check options]
set -euo pipefail
cd "$(dirname "$0")/.."
exec python -m benchmarks.gpu_check "$@"
