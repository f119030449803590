#!/usr/bin/env bash
# Usage: tools/dist_train.sh CONFIG NPROC [train.py args]
# NNODES, NODE_RANK, MASTER_ADDR, PORT: see tools/dist_run.sh.
exec bash "$(dirname "$0")/dist_run.sh" "$(dirname "$0")/train.py" "$2" \
    "$1" "${@:3}"
