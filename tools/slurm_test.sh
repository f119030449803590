#!/usr/bin/env bash
# Usage: tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py args]
# GPUS, GPUS_PER_NODE, CPUS_PER_TASK, SRUN_ARGS: see tools/slurm_run.sh.
exec bash "$(dirname "$0")/slurm_run.sh" "$1" "$2" "$(dirname "$0")/test.py" \
    "$3" "$4" "${@:5}"
