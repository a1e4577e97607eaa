"""Multi-scale deformable attention, the core op of Deformable DETR (Zhu et al., ICLR 2021,
arXiv 2010.04159, eq. 3) and so of DETReg.

:func:`ms_deform_attn` runs dpt's CUDA kernel (``csrc/``) on CUDA tensors and the PyTorch
path (:mod:`.ms_deform_attn_pytorch`) on everything else. The kernel is a PyTorch extension
compiled with ``torch.utils.cpp_extension.load`` into ``$DPT_CACHE/torch_extensions/<torch,
CUDA, Python>/``: by ``tools/setup_env.sh`` when torch sees a GPU and ``nvcc`` exists, or else
on first use. Without ``nvcc`` (or when the build fails) it says so once, in one line, and CUDA
tensors take the PyTorch path too.
"""

import glob
import logging
import os
import os.path as osp
import sys

import torch
from torch.autograd.function import once_differentiable

from .ms_deform_attn_pytorch import ms_deform_attn_pytorch

EXTENSION_NAME = 'dpt_ms_deform_attn'
SOURCES = [
    osp.join(osp.dirname(osp.abspath(__file__)), 'csrc', name)
    for name in ('ms_deform_attn.cpp', 'ms_deform_attn_cuda.cu')
]

_extension = None
_extension_error = None  # why the extension is unavailable, once a load was tried
_warned = False


def extension_dir():
    """Where the compiled extension lives: one folder per (torch, CUDA, Python)."""
    cache = os.environ.get('DPT_CACHE', osp.join(osp.expanduser('~'), '.cache', 'dpt'))
    tag = (
        f'torch{torch.__version__}-cuda{torch.version.cuda}-'
        f'py{sys.version_info[0]}{sys.version_info[1]}'
    ).replace('+', '_')
    return osp.join(cache, 'torch_extensions', tag)


def _wheel_cuda_includes(cuda_home):
    """Header folders of the nvidia-* wheels that torch's CUDA build installs, when the
    toolkit lacks headers that ATen's CUDA headers include (``cusparse.h``, ``cublas_v2.h``):
    a toolkit from pip (nvidia-cuda-nvcc) has only the compiler and the runtime."""
    if osp.exists(osp.join(cuda_home, 'include', 'cusparse.h')):
        return []
    try:
        import nvidia
    except ImportError:
        return []
    return sorted(d for root in nvidia.__path__ for d in glob.glob(osp.join(root, '*', 'include')))


def load_extension(verbose=False):
    """Compile (first time) and import the CUDA extension; the module, or RuntimeError saying
    why not. Compiling takes about a minute per GPU architecture (``TORCH_CUDA_ARCH_LIST``;
    by default the visible GPUs'); afterwards loading takes a second."""
    global _extension, _extension_error
    if _extension is not None:
        return _extension
    from torch.utils import cpp_extension

    if torch.version.cuda is None:
        reason = f'torch {torch.__version__} is built without CUDA'
    elif cpp_extension.CUDA_HOME is None:
        reason = 'no CUDA toolkit (nvcc) found; set CUDA_HOME or put nvcc on PATH'
    else:
        reason = None
    if reason is None:
        build_dir = extension_dir()
        os.makedirs(build_dir, exist_ok=True)
        try:
            _extension = cpp_extension.load(
                name=EXTENSION_NAME,
                sources=SOURCES,
                build_directory=build_dir,
                extra_cflags=['-O3'],
                extra_cuda_cflags=['-O3'],
                verbose=verbose,
                extra_include_paths=_wheel_cuda_includes(cpp_extension.CUDA_HOME),
            )
            _extension_error = None
            return _extension
        except Exception as e:  # compiler errors arrive as RuntimeError / OSError / ...
            lines = [ln for ln in str(e).splitlines() if ln.strip()]
            reason = (
                f'building it in {build_dir} failed: {lines[-1] if lines else type(e).__name__}'
            )
    _extension_error = reason
    raise RuntimeError(f'dpt.ops CUDA extension unavailable: {reason}')


def extension_status():
    """One line: is the CUDA kernel in use (loaded), unavailable (why), or not tried yet."""
    if _extension is not None:
        return f'loaded ({EXTENSION_NAME} from {extension_dir()})'
    if _extension_error is not None:
        return f'unavailable: {_extension_error}'
    return 'not loaded yet (built on the first CUDA call)'


def _cuda_extension():
    """The extension, or None after saying once why CUDA tensors take the PyTorch path."""
    global _warned
    if _extension is not None:
        return _extension
    if _extension_error is None:
        try:
            return load_extension()
        except RuntimeError:
            pass
    if not _warned:
        _warned = True
        from mmengine.logging import print_log

        print_log(
            f'dpt.ops: CUDA kernel for deformable attention unavailable '
            f'({_extension_error}); CUDA tensors use the PyTorch path (slower, more '
            f'memory)',
            logger='current',
            level=logging.WARNING,
        )
    return None


class MSDeformAttnFunction(torch.autograd.Function):
    """Autograd wrapper of the CUDA kernel. Locations and weights run in the accumulation
    type (float32, float64 for float64 values) whatever the value dtype, so that half or
    bfloat16 values under AMP do not round the sampling locations."""

    @staticmethod
    def forward(
        ctx, value, spatial_shapes, level_start_index, sampling_locations, attention_weights
    ):
        ext = load_extension()
        acc = torch.float64 if value.dtype == torch.float64 else torch.float32
        ctx.dtypes = (sampling_locations.dtype, attention_weights.dtype)
        value = value.contiguous()
        spatial_shapes = spatial_shapes.to(value.device, torch.int64).contiguous()
        level_start_index = level_start_index.to(value.device, torch.int64).contiguous()
        sampling_locations = sampling_locations.to(acc).contiguous()
        attention_weights = attention_weights.to(acc).contiguous()
        ctx.save_for_backward(
            value, spatial_shapes, level_start_index, sampling_locations, attention_weights
        )
        return ext.forward(
            value, spatial_shapes, level_start_index, sampling_locations, attention_weights
        )

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        grad_value, grad_loc, grad_attn = load_extension().backward(
            *ctx.saved_tensors, grad_output.contiguous()
        )
        loc_dtype, attn_dtype = ctx.dtypes
        return grad_value, None, None, grad_loc.to(loc_dtype), grad_attn.to(attn_dtype)


def ms_deform_attn(value, spatial_shapes, level_start_index, sampling_locations, attention_weights):
    """Multi-scale deformable attention.

    Args:
        value: (N, S, M, D), the L maps' positions packed level by level (S = sum H_l * W_l).
        spatial_shapes: (L, 2) int64 (H_l, W_l).
        level_start_index: (L,) int64, where each level starts in S.
        sampling_locations: (N, Lq, M, L, P, 2) normalised (x, y): 0..1 spans the map, and
            points outside read zeros (grid_sample's ``align_corners=False``, zero padding).
        attention_weights: (N, Lq, M, L, P).

    Returns:
        (N, Lq, M * D), in value's dtype.
    """
    if value.is_cuda and _cuda_extension() is not None:
        return MSDeformAttnFunction.apply(
            value, spatial_shapes, level_start_index, sampling_locations, attention_weights
        )
    return ms_deform_attn_pytorch(
        value, spatial_shapes, level_start_index, sampling_locations, attention_weights
    )
