"""Data transforms of dpt's pre-training strategies, registered into mmdet's TRANSFORMS."""

from . import (
    detr_resize,  # noqa: F401  (registers DETRResize)
    region_priors,  # noqa: F401  (registers RegionPriors, PackRegionPriors)
)
from .color_ops import ALIGNDET_COLOR_OPS, RandomColorOp, color_op
from .padding import PadKeepingImgShape, RandomFlipAfterPad
from .proposals import KeepFirstProposals

__all__ = [
    'ALIGNDET_COLOR_OPS',
    'KeepFirstProposals',
    'PadKeepingImgShape',
    'RandomColorOp',
    'RandomFlipAfterPad',
    'color_op',
]
