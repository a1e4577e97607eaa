#!/usr/bin/env bash
# Train on a Slurm cluster (mmdet's tools/slurm_train.sh):
#   [GPUS=16] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS="..."] \
#   tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py args]
# One task per GPU (srun --ntasks=GPUS), launcher slurm. A job that Slurm requeues
# (SLURM_RESTART_COUNT > 0, e.g. after preemption; sbatch --requeue) continues from the newest
# checkpoint of WORK_DIR: --resume is added unless the arguments name a --resume already.
# PYTHON defaults to the repo's .venv if there is one.
set -x

PARTITION=$1
JOB_NAME=$2
CONFIG=$3
WORK_DIR=$4
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
PY_ARGS=("${@:5}")
HERE=$(cd "$(dirname "$0")" && pwd)
[[ -z ${PYTHON:-} && -x $HERE/../.venv/bin/python ]] && PYTHON=$HERE/../.venv/bin/python

if [[ ${SLURM_RESTART_COUNT:-0} -gt 0 && " ${PY_ARGS[*]} " != *" --resume"* ]]; then
    PY_ARGS+=(--resume)
fi

# shellcheck disable=SC2086  # SRUN_ARGS is a list of options
PYTHONPATH="$HERE/..":${PYTHONPATH:-} \
srun -p "${PARTITION}" \
    --job-name="${JOB_NAME}" \
    --gres=gpu:"${GPUS_PER_NODE}" \
    --ntasks="${GPUS}" \
    --ntasks-per-node="${GPUS_PER_NODE}" \
    --cpus-per-task="${CPUS_PER_TASK}" \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    "${PYTHON:-python}" -u "$HERE/train.py" "${CONFIG}" --work-dir="${WORK_DIR}" \
    --launcher="slurm" "${PY_ARGS[@]}"
