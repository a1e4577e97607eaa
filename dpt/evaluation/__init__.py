"""Metrics dpt adds to mmdet's (registered into mmdet's METRICS registry)."""

from .class_subset_coco import COCO_NOVEL_CLASSES, ClassSubsetCocoMetric, coco_base_classes

__all__ = ['COCO_NOVEL_CLASSES', 'ClassSubsetCocoMetric', 'coco_base_classes']
