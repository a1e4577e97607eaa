"""Padding inside the pipeline, with mmdet 2's meaning of ``img_shape`` (the content's)."""

from mmdet.datasets.transforms import Pad, RandomFlip
from mmdet.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PadKeepingImgShape(Pad):
    """mmdet's :class:`~mmdet.datasets.transforms.Pad` that leaves ``img_shape`` the shape of
    the image content, as mmdet 2's ``Pad`` did (mmdet 3's sets it to the padded shape).

    For pipelines that must pad before a photometric op, as AlignDet's views (its op sees and
    keeps the zero padding, which the data preprocessor then normalises like the image):
    ``img_shape`` still bounds the content for the RPN's proposal clipping; ``pad_shape``
    is the padded one.
    """

    def transform(self, results: dict) -> dict:
        img_shape = results['img_shape']
        results = super().transform(results)
        results['img_shape'] = img_shape
        return results


@TRANSFORMS.register_module()
class RandomFlipAfterPad(RandomFlip):
    """mmdet 2's ``RandomFlip`` after ``Pad``, as in AlignDet's views, to reproduce them: the
    padded image is flipped, the boxes over ``img_shape`` (the content), so a flipped view's
    boxes lie the padding width left of their content. Use mmdet's ``RandomFlip`` before
    :class:`PadKeepingImgShape` instead, unless reproducing AlignDet (docs/aligndet.md)."""

    def _flip(self, results: dict) -> None:
        boxes = results.pop('gt_bboxes', None)
        super()._flip(results)  # the image (and masks, seg maps) over the padded width
        if boxes is not None:
            boxes.flip_(results['img_shape'][:2], results['flip_direction'])
            results['gt_bboxes'] = boxes
