"""Models of dpt's pre-training strategies, registered into mmdet's registries: the DETR
variants they share (:class:`PreNormDETR`, :class:`DeformableDETRWithOp`) and one
sub-package per strategy."""
from .deformable_detr import DeformableDETRWithOp
from .detr import PreNormDETR
from . import aligndet  # noqa: F401,E402
from . import detreg  # noqa: F401,E402

__all__ = ['DeformableDETRWithOp', 'PreNormDETR']
