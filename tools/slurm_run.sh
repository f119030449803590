#!/usr/bin/env bash
# Usage: tools/slurm_run.sh PARTITION JOB_NAME SCRIPT [script args]
# What tools/slurm_train.sh and slurm_test.sh share: srun starts one task
# per GPU (GPUS in all, GPUS_PER_NODE per node) running SCRIPT with
# --launcher slurm; MMEngine reads each task's rank and the master address
# from Slurm's environment. CPUS_PER_TASK and SRUN_ARGS go to srun.
set -x
PARTITION=$1
JOB_NAME=$2
SCRIPT=$3
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}

srun -p ${PARTITION} \
    --job-name=${JOB_NAME} \
    --gres=gpu:${GPUS_PER_NODE} \
    --ntasks=${GPUS} \
    --ntasks-per-node=${GPUS_PER_NODE} \
    --cpus-per-task=${CPUS_PER_TASK} \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    python -u ${SCRIPT} "${@:4}" --launcher="slurm"
