#!/usr/bin/env bash
# Usage: tools/dist_run.sh SCRIPT NPROC [script args]
# What tools/dist_train.sh and dist_test.sh share: torchrun starts NPROC
# processes of SCRIPT on this node with --launcher pytorch (gloo on CPU-only
# machines, nccl on GPUs; qcdet picks it). Across nodes, run it on every
# node with the same NNODES, MASTER_ADDR (node 0's address) and PORT and
# this node's NODE_RANK (0 .. NNODES-1), e.g. on the second of two nodes:
#   NNODES=2 NODE_RANK=1 MASTER_ADDR=10.0.0.1 PORT=29500 \
#     bash tools/dist_train.sh CONFIG 8
# (docs/distributed.md).
SCRIPT=$1
NPROC=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}

python -m torch.distributed.run \
    --nnodes=$NNODES \
    --node_rank=$NODE_RANK \
    --master_addr=$MASTER_ADDR \
    --nproc_per_node=$NPROC \
    --master_port=$PORT \
    $SCRIPT "${@:3}" --launcher pytorch
