#!/usr/bin/env bash
# Usage: tools/dist_test.sh CONFIG CHECKPOINT NPROC [test.py args]
# NNODES, NODE_RANK, MASTER_ADDR, PORT: see tools/dist_run.sh.
exec bash "$(dirname "$0")/dist_run.sh" "$(dirname "$0")/test.py" "$3" \
    "$1" "$2" "${@:4}"
