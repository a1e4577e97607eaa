from . import transforms  # noqa: F401  (registers KeepFirstProposals)
from .coco import CheckedCocoDataset
from .demo_data import DEMO_CLASSES, make_demo_dataset
from .image_folder import UnlabelledImageFolder
from .pseudo_boxes import PseudoBoxDataset
from .splits import make_semi_splits  # noqa: F401

__all__ = [
    'CheckedCocoDataset',
    'PseudoBoxDataset',
    'UnlabelledImageFolder',
    'DEMO_CLASSES',
    'make_demo_dataset',
]
