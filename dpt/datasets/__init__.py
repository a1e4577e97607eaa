from .coco import CheckedCocoDataset
from .demo_data import DEMO_CLASSES, make_demo_dataset
from . import transforms  # noqa: F401  (registers KeepFirstProposals)
from .splits import make_semi_splits  # noqa: F401

__all__ = ['CheckedCocoDataset', 'DEMO_CLASSES', 'make_demo_dataset']
