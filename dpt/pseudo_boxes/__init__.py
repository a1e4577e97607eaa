"""DAP's pseudo boxes (Zhong et al., "DAP: Detection-Aware Pre-training with Weak
Supervision", CVPR 2021): class activation maps of an image classifier for each image's
label, turned into boxes by thresholds, connected components and moments."""
from .cam import CamSettings, class_activation_maps
from .classifier import CamClassifier, build_classifier
from .fit import baseline_box, boxes_from_cam, moment_box, nms_boxes
from .quality import box_quality

__all__ = ['CamSettings', 'class_activation_maps', 'CamClassifier', 'build_classifier',
           'baseline_box', 'boxes_from_cam', 'moment_box', 'nms_boxes', 'box_quality']
