"""Ops with their own kernels: multi-scale deformable attention (Deformable DETR, DETReg).

``ms_deform_attn`` runs dpt's CUDA kernel on CUDA tensors (compiled on first use, or by
tools/setup_env.sh) and a PyTorch path elsewhere; ``DptDeformableDETR`` selects it from a
config (``model = dict(type='DptDeformableDETR', msda_impl='dpt')``). See docs/ops.md.
"""
from .deformable_attention import (DptDeformableDETR, MultiScaleDeformableAttention,
                                   sampling_locations, use_dpt_ms_deform_attn)
from .ms_deform_attn import (MSDeformAttnFunction, extension_status, load_extension,
                             ms_deform_attn)
from .ms_deform_attn_pytorch import ms_deform_attn_pytorch

__all__ = [
    'ms_deform_attn', 'ms_deform_attn_pytorch', 'MSDeformAttnFunction', 'load_extension',
    'extension_status', 'MultiScaleDeformableAttention', 'DptDeformableDETR',
    'use_dpt_ms_deform_attn', 'sampling_locations'
]
