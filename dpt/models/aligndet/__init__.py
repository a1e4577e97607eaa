"""AlignDet box-domain pre-training (Li et al., ICCV 2023): an online detector and its EMA
target on two views of the same proposals, contrasted per proposal."""

from .box_domain import BoxDomainMixin
from .dense_heads import BoxDomainFCOSHead, BoxDomainRetinaHead, BoxDomainSingleStageDetector
from .detr import BoxDomainDETR, BoxDomainDETRHead  # noqa: F401
from .hooks import TargetMomentumHook, cosine_momentum
from .losses import InfoNCELoss
from .pretrainer import BoxDomainPretrainer
from .rcnn import BoxDomainRoIHead, BoxDomainTwoStageDetector

__all__ = [
    'BoxDomainPretrainer',
    'BoxDomainMixin',
    'BoxDomainTwoStageDetector',
    'BoxDomainRoIHead',
    'BoxDomainSingleStageDetector',
    'BoxDomainRetinaHead',
    'BoxDomainFCOSHead',
    'InfoNCELoss',
    'TargetMomentumHook',
    'cosine_momentum',
]
