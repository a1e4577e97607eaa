"""Deformable DETR (Zhu et al., ICLR 2021) whose multi-scale deformable attention runs on a
chosen op: dpt's (:mod:`dpt.ops`, default) or mmcv's.

mmdet builds the deformable attention of ``DeformableDetrTransformerEncoder`` /
``...DecoderLayer`` by calling mmcv's ``MultiScaleDeformableAttention(**self_attn_cfg)``
directly, not through a registry, so no ``type=`` key in a config can replace it.
:class:`DeformableDETRWithOp` (``model = dict(type='DeformableDETRWithOp', msda_impl='dpt')``)
swaps each of those modules for :class:`dpt.ops.DptMSDeformAttn` right after mmdet built them:
same parameters, same state-dict keys, so checkpoints of either load into the other.
"""

from mmdet.models.detectors import DeformableDETR
from mmdet.registry import MODELS

from ..ops import use_dpt_ms_deform_attn
from ..utils.errors import ConfigError
from .deprecated import register_deprecated_alias

MSDA_IMPLS = ('dpt', 'mmcv')


@MODELS.register_module()
class DeformableDETRWithOp(DeformableDETR):
    """mmdet's ``DeformableDETR`` with a choice of deformable-attention op.

    Args:
        msda_impl: ``'dpt'`` (default) runs :func:`dpt.ops.ms_deform_attn`; ``'mmcv'`` keeps
            mmcv's (its CUDA kernel on GPUs, its ``grid_sample`` reference elsewhere).
        *args, **kwargs: as ``DeformableDETR``.
    """

    def __init__(self, *args, msda_impl='dpt', **kwargs):
        if msda_impl not in MSDA_IMPLS:
            raise ConfigError(f'model.msda_impl: {msda_impl!r} is not one of {MSDA_IMPLS}')
        self.msda_impl = msda_impl
        super().__init__(*args, **kwargs)

    def _init_layers(self):
        super()._init_layers()
        if self.msda_impl == 'dpt':
            use_dpt_ms_deform_attn(self.encoder)
            use_dpt_ms_deform_attn(self.decoder)


# its name until dpt 0.1.0: users' own fine-tuning configs may still use it
DptDeformableDETR = register_deprecated_alias(DeformableDETRWithOp, 'DptDeformableDETR')
