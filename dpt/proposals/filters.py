"""SoCo's proposal filters and their fall-backs for images left empty.

SoCo (hologerry/SoCo, ``selective_search/filters.py``) keeps a box if both sides are at least
32 px, its aspect ratio ``w / h`` is in ``[1/r, r]`` and its relative size
``sqrt(w h) / sqrt(W H)`` is in ``[lo, hi]``; a name such as ``ratio3size0308`` says ``r = 3,
lo = 0.3, hi = 0.8``. AlignDet's proposals are ``ratio3size0008`` (liming-ai/AlignDet
``configs/_base_/datasets/coco_byol.py:91``, ``train2017_ratio3size0008@0.5.json``). For the
images that filter leaves empty SoCo's ``filter_ss_proposals_json_post_no_prop.py`` falls back
to the ratio filter alone, then to the 32 px sides alone (its ``filter_none``).
"""

import math
import re
from dataclasses import dataclass, replace
from typing import Optional, Tuple

import numpy as np

from ..utils.errors import ConfigError

_NAME = re.compile(r'^(?:ratio(?P<r>\d+(?:\.\d+)?))?(?:size(?P<lo>\d\d)(?P<hi>\d\d)?)?$')


@dataclass(frozen=True)
class BoxFilter:
    """Which boxes to keep. ``None`` turns a criterion off; boxes with a zero side are always
    dropped (mmdet cannot train on them)."""

    min_side: float = 32
    max_ratio: Optional[float] = 3.0
    size_range: Optional[Tuple[float, float]] = (0.0, 0.8)

    @classmethod
    def from_name(cls, name):
        """``ratio3size0008``, ``ratio3``, ``size03`` (0.3..1.0), ``none`` (32 px sides only,
        SoCo's ``filter_none``) or ``off`` (keep every box)."""
        if name == 'off':
            return cls(min_side=0, max_ratio=None, size_range=None)
        if name == 'none':
            return cls(max_ratio=None, size_range=None)
        m = _NAME.match(name or '')
        if not name or not m:
            raise ConfigError(
                f"filter '{name}': expected a SoCo filter name such as "
                f"'ratio3size0008', 'ratio3', 'size03', 'none' or 'off'"
            )
        r, lo, hi = m.group('r'), m.group('lo'), m.group('hi')
        size = None if lo is None else (int(lo) / 10, 1.0 if hi is None else int(hi) / 10)
        return cls(max_ratio=None if r is None else float(r), size_range=size)

    @property
    def name(self):
        """The SoCo-style name, with ``minN`` when the side limit is not 32 px."""
        if self.max_ratio is None and self.size_range is None:
            base = 'off' if self.min_side == 0 else 'none'
            return base if self.min_side in (0, 32) else f'min{self.min_side:g}'
        parts = []
        if self.max_ratio is not None:
            parts.append(f'ratio{self.max_ratio:g}')
        if self.size_range is not None:
            parts.append('size' + ''.join(f'{round(v * 10):02d}' for v in self.size_range))
        if self.min_side != 32:
            parts.append(f'min{self.min_side:g}')
        return ''.join(parts)

    def keep(self, boxes, image_hw):
        """Boolean mask of the (N, 4) ``xyxy`` boxes (``w = x2 - x1``) that pass."""
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
        ok = (w > 0) & (h > 0) & (w >= self.min_side) & (h >= self.min_side)
        if self.max_ratio is not None:
            ratio = w / np.maximum(h, 1e-9)
            ok &= (ratio >= 1.0 / self.max_ratio) & (ratio <= self.max_ratio)
        if self.size_range is not None:
            rel = np.sqrt(np.maximum(w * h, 0)) / math.sqrt(image_hw[0] * image_hw[1])
            ok &= (rel >= self.size_range[0]) & (rel <= self.size_range[1])
        return ok

    def fallbacks(self):
        """This filter, then SoCo's fall-backs: ratio 3 without size limits (SoCo's post script
        hard-codes ``r=3``), then the side limit alone. Repeats are dropped; a filter with
        only the side limit has no fall-back (any other would keep a subset)."""
        if self.max_ratio is None and self.size_range is None:
            return [self]
        chain = [
            self,
            replace(self, size_range=None, max_ratio=3.0),
            replace(self, size_range=None, max_ratio=None),
        ]
        return [f for i, f in enumerate(chain) if f not in chain[:i]]


def filter_with_fallbacks(boxes, image_hw, box_filter):
    """Indices of the boxes the first non-empty filter of ``box_filter.fallbacks()`` keeps, and
    the name of that filter (``'empty'`` if every one left nothing)."""
    for f in box_filter.fallbacks():
        idx = np.flatnonzero(f.keep(boxes, image_hw))
        if len(idx):
            return idx, f.name
    return np.zeros(0, np.int64), 'empty'
