#!/usr/bin/env bash
# The main job on the embedded default: synthetic demo data -> static quality
# scores -> quality-centric training -> test of the best checkpoint.
# Usage: bash tools/run_demo.sh [CONFIG] [train.py options]
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${1:-configs/qc_demo.py}
NAME=$(basename "$CONFIG" .py)
WORK_DIR=work_dirs/$NAME

echo "== 1/4 synthetic demo data -> data/demo"
python tools/data/make_demo_data.py --out data/demo
echo "== 2/4 static quality (SSIM: the demo faces carry no real identity)"
python tools/quality/score_static.py data/demo/annotations/train.json \
    --out data/demo/annotations/train_static.json --backend ssim --no-progress
echo "== 3/4 train $CONFIG"
rm -rf "$WORK_DIR"
python tools/train.py "$CONFIG" --work-dir "$WORK_DIR" "${@:2}"
echo "== 4/4 test the best checkpoint (chosen on the validation split)"
python tools/test.py "$CONFIG" "$(ls "$WORK_DIR"/best_frame_auc_epoch_*.pth)" \
    --work-dir "$WORK_DIR"
