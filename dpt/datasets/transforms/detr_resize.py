"""DETR's resize rule as an mmdet transform, so that DETReg's views have its exact sizes.

DETR / Deformable DETR / DETReg (``datasets/transforms.py`` ``resize``) bring the short side
to ``size`` unless the long side would pass ``max_size``, in which case the short side becomes
``round(max_size * short / long)``; the long side is then ``int(size * long / short)``,
truncated. mmdet's keep-ratio ``Resize`` scales both sides by one factor and rounds them, so
its long side can be one pixel longer. :class:`DETRResize` is mmdet's ``Resize`` with DETR's
sizes; boxes scale by the actual ratios, as in both.
"""

import mmcv
from mmdet.datasets.transforms import Resize
from mmdet.registry import TRANSFORMS


def detr_size(width, height, size, max_size=None):
    """(new_h, new_w) of DETR's resize of a ``width`` x ``height`` image to short side
    ``size``, long side at most ``max_size`` (None: no limit)."""
    short, long = min(width, height), max(width, height)
    if max_size is not None and long / short * size > max_size:
        size = int(round(max_size * short / long))
    if short == size:
        return height, width
    if width < height:
        return int(size * height / width), size
    return size, int(size * width / height)


@TRANSFORMS.register_module()
class DETRResize(Resize):
    """mmdet's ``Resize`` whose ``scale`` ``(max_size, size)`` (either order) resizes as DETR
    does: :func:`detr_size`. A ``max_size`` of 0 means no limit on the long side (DETR's
    ``RandomResize`` without ``max_size``). Use it as ``RandomChoiceResize``'s
    ``resize_type``; ``keep_ratio`` is implied."""

    def _resize_img(self, results):
        img = results.get('img')
        if img is None:
            return
        h, w = img.shape[:2]
        a, b = results['scale']
        size, max_size = (a, b) if a <= b else (b, a)
        if size == 0:  # (0, size): no limit
            size, max_size = max_size, None
        new_h, new_w = detr_size(w, h, size, max_size)
        results['img'] = mmcv.imresize(
            img, (new_w, new_h), interpolation=self.interpolation, backend=self.backend
        )
        results['img_shape'] = (new_h, new_w)
        results['scale_factor'] = (new_w / w, new_h / h)
        results['keep_ratio'] = True
