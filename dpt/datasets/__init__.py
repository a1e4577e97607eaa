from .coco import CheckedCocoDataset
from .demo_data import DEMO_CLASSES, make_demo_dataset

__all__ = ['CheckedCocoDataset', 'DEMO_CLASSES', 'make_demo_dataset']
