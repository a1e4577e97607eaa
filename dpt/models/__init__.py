"""Models of dpt's pre-training strategies, registered into mmdet's registries: the DETR
variants they share (:class:`PreNormDETR`, :class:`DeformableDETRWithOp`) and one
sub-package per strategy."""

from . import (
    aligndet,  # noqa: F401,E402
    detreg,  # noqa: F401,E402
)
from .deformable_detr import DeformableDETRWithOp
from .detr import PreNormDETR

__all__ = ['DeformableDETRWithOp', 'PreNormDETR']
