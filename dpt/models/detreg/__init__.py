"""DETReg pre-training (Bar et al., CVPR 2022): Deformable DETR trained to find DETReg's region
priors (one class) and to regress the frozen self-supervised embedding of each region."""

from .detector import DETReg, RegionTargetsMixin
from .detr import DETRegDETR, DETRegDETRHead
from .head import DETRegHead
from .region_encoder import RegionEncoder

__all__ = [
    'DETReg',
    'DETRegDETR',
    'DETRegDETRHead',
    'DETRegHead',
    'RegionEncoder',
    'RegionTargetsMixin',
]
