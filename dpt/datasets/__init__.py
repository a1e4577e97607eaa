from .coco import CheckedCocoDataset
from .image_folder import UnlabelledImageFolder
from .pseudo_boxes import PseudoBoxDataset
from .demo_data import DEMO_CLASSES, make_demo_dataset
from . import transforms  # noqa: F401  (registers KeepFirstProposals)
from .splits import make_semi_splits  # noqa: F401

__all__ = ['CheckedCocoDataset', 'PseudoBoxDataset', 'UnlabelledImageFolder', 'DEMO_CLASSES', 'make_demo_dataset']
