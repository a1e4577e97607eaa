"""Weights in and out of dpt: ResNet backbones from self-supervised and classification
checkpoints (:mod:`.backbone`), and pre-trained detectors handed to fine-tuning
(:mod:`.detector`). Shared by AlignDet, DETReg and DAP; see docs/weights.md."""

from .backbone import FORMATS, BackboneImport, convert_backbone, import_backbone
from .detector import (
    DetectorWeights,
    default_output,
    extract_detector,
    extract_detector_weights,
    output_layer_keys,
)

__all__ = [
    'FORMATS',
    'BackboneImport',
    'convert_backbone',
    'import_backbone',
    'DetectorWeights',
    'default_output',
    'extract_detector',
    'extract_detector_weights',
    'output_layer_keys',
]
