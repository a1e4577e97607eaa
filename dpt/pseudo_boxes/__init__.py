"""DAP's pseudo boxes (Zhong et al., "DAP: Detection-Aware Pre-training with Weak
Supervision", CVPR 2021): class activation maps of an image classifier for each image's
label, turned into boxes by thresholds, connected components and moments, as the original's
``code/compute_box_imagenet1k.py`` does (docs/dap.md)."""

from .cam import CamSettings, class_activation_maps, fuse_scales, network_input
from .classifier import CamClassifier, build_classifier
from .fit import baseline_box, boxes_from_cam, cam_boxes, moment_box, nms_boxes
from .quality import box_quality

__all__ = [
    'CamSettings',
    'class_activation_maps',
    'fuse_scales',
    'network_input',
    'CamClassifier',
    'build_classifier',
    'baseline_box',
    'boxes_from_cam',
    'cam_boxes',
    'moment_box',
    'nms_boxes',
    'box_quality',
]
