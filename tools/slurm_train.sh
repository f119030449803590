#!/usr/bin/env bash
# Usage: tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py args]
# GPUS, GPUS_PER_NODE, CPUS_PER_TASK, SRUN_ARGS: see tools/slurm_run.sh.
exec bash "$(dirname "$0")/slurm_run.sh" "$1" "$2" "$(dirname "$0")/train.py" \
    "$3" --work-dir="$4" "${@:5}"
