"""Ops with their own kernels: multi-scale deformable attention (Deformable DETR, DETReg).

``ms_deform_attn`` runs dpt's CUDA kernel on CUDA tensors (compiled on first use, or by
tools/setup_env.sh) and a PyTorch path elsewhere; :class:`DptMSDeformAttn` is mmcv's attention
module on it, and :class:`dpt.models.DeformableDETRWithOp` selects it from a config
(``model = dict(type='DeformableDETRWithOp', msda_impl='dpt')``). See docs/ops.md.
"""

from .deformable_attention import DptMSDeformAttn, sampling_locations, use_dpt_ms_deform_attn
from .ms_deform_attn import MSDeformAttnFunction, extension_status, load_extension, ms_deform_attn
from .ms_deform_attn_pytorch import ms_deform_attn_pytorch

__all__ = [
    'ms_deform_attn',
    'ms_deform_attn_pytorch',
    'MSDeformAttnFunction',
    'load_extension',
    'extension_status',
    'DptMSDeformAttn',
    'use_dpt_ms_deform_attn',
    'sampling_locations',
]

# names this package had until dpt 0.1.0, still importable from here
_MOVED = dict(
    DptDeformableDETR=('dpt.models.deformable_detr', 'DptDeformableDETR'),
    MultiScaleDeformableAttention=('dpt.ops.deformable_attention', 'DptMSDeformAttn'),
)


def __getattr__(name):
    if name not in _MOVED:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    import importlib
    import warnings

    module, new = _MOVED[name]
    warnings.warn(f'dpt.ops.{name} is deprecated: use {module}.{new}', FutureWarning, stacklevel=2)
    return getattr(importlib.import_module(module), new)
