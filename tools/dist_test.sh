#!/usr/bin/env bash
# Test on GPUS processes per node: tools/dist_test.sh CONFIG CHECKPOINT GPUS [--eval bbox segm]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR, PORT. Without a GPU the processes run on CPU.
set -e
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
HERE=$(cd "$(dirname "$0")" && pwd)
[[ -z ${PYTHON:-} && -x $HERE/../.venv/bin/python ]] && PYTHON=$HERE/../.venv/bin/python
PYTHONPATH="$HERE/..":${PYTHONPATH:-} \
"${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" --master_port="$PORT" \
    "$HERE/test.py" "$CONFIG" "$CHECKPOINT" --launcher pytorch "${@:4}"
