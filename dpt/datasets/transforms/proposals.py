"""Transforms of unsupervised proposals loaded as ground-truth boxes."""

from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

_BOX_KEYS = ('gt_bboxes', 'gt_bboxes_labels', 'gt_ignore_flags', 'gt_masks')


@TRANSFORMS.register_module()
class KeepFirstProposals(BaseTransform):
    """Keeps the first ``num`` proposals of an image, in file order (AlignDet's
    ``SelectTopKProposals``: RetinaNet and DETR pre-training keep 50, to bound memory).

    Put it before the two views are made, so that both see the same boxes.
    """

    def __init__(self, num: int) -> None:
        self.num = num

    def transform(self, results: dict) -> dict:
        for key in _BOX_KEYS:
            if key in results:
                results[key] = results[key][: self.num]
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(num={self.num})'
