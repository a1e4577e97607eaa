"""One image's proposals: a search, then SoCo's filter with its fall-backs, NMS and a cap.

The two searches and their defaults: ``soco``, SoCo's selective search as AlignDet used it
(:mod:`.selective_search`, box for box), and ``opencv_fast``, DETReg's OpenCV search on a
128x128 copy (:mod:`.opencv_search`).
"""

from dataclasses import asdict, dataclass, field, replace
from typing import Optional

import numpy as np

from ..utils.boxes import nms
from ..utils.errors import ConfigError
from .filters import BoxFilter, filter_with_fallbacks
from .opencv_search import opencv_fast_search
from .selective_search import selective_search

METHODS = ('soco', 'opencv_fast')
# Defaults per method. soco: SoCo's pipeline as AlignDet's maintainer says it was run (its
# search, the filter of AlignDet's file name, ratio3size0008, SoCo's fall-backs, no NMS: SoCo's
# scripts have none; what "@0.5" in AlignDet's file name means is not known, docs/proposals.md;
# ``nms_iou=0.5`` is that reading). opencv_fast: DETReg's first 30 boxes, no filter.
METHOD_DEFAULTS = dict(
    soco=dict(box_filter='ratio3size0008', nms_iou=None, max_per_image=None),
    opencv_fast=dict(box_filter='off', nms_iou=None, max_per_image=30),
)


@dataclass(frozen=True)
class ProposalSettings:
    """How proposals are made: the search, the filter (with SoCo's fall-backs), NMS, a cap."""

    method: str = 'soco'
    box_filter: BoxFilter = field(default_factory=BoxFilter)
    nms_iou: Optional[float] = None
    max_per_image: Optional[int] = None

    @classmethod
    def from_options(
        cls,
        method='soco',
        box_filter=None,
        min_side=None,
        max_ratio=None,
        size_range=None,
        nms_iou=None,
        max_per_image=None,
    ):
        """Settings from command-line style options; ``None`` takes the method's default,
        ``nms_iou='off'`` (or 0) turns NMS off, ``max_per_image=0`` keeps every box."""
        if method not in METHODS:
            raise ConfigError(f"method '{method}': choose from {', '.join(METHODS)}")
        d = METHOD_DEFAULTS[method]
        f = BoxFilter.from_name(box_filter or d['box_filter'])
        if min_side is not None:
            f = replace(f, min_side=float(min_side))
        if max_ratio is not None:
            f = replace(f, max_ratio=float(max_ratio) if max_ratio else None)
        if size_range is not None:
            lo, hi = (float(v) for v in size_range)
            if not 0 <= lo <= hi:
                raise ConfigError(f'size range {lo:g} {hi:g}: need 0 <= low <= high')
            f = replace(f, size_range=(lo, hi))
        if nms_iou is None:
            nms_iou = d['nms_iou']
        elif nms_iou == 'off' or float(nms_iou) == 0:
            nms_iou = None
        elif not 0 < float(nms_iou) <= 1:
            raise ConfigError(f'nms {nms_iou}: the IoU threshold must be in (0, 1], or off')
        if max_per_image is None:
            max_per_image = d['max_per_image']
        elif int(max_per_image) < 0:
            raise ConfigError(f'max per image {max_per_image}: must be >= 0 (0 keeps all)')
        return cls(
            method,
            f,
            None if nms_iou is None else float(nms_iou),
            int(max_per_image) if max_per_image else None,
        )

    @property
    def name(self):
        """``ratio3size0008`` (SoCo's filter names), ``@0.5`` appended with NMS at 0.5."""
        return self.box_filter.name + ('' if self.nms_iou is None else f'@{self.nms_iou:g}')

    def to_dict(self):
        d = asdict(self)
        d['box_filter'] = dict(d['box_filter'], name=self.box_filter.name)
        if d['box_filter']['size_range'] is not None:
            d['box_filter']['size_range'] = list(d['box_filter']['size_range'])
        return d


def search(img, method):
    """All boxes of one search, (N, 4) float32 ``xyxy`` in the search's output order."""
    if method == 'soco':
        return selective_search(img)
    return opencv_fast_search(img, topk=None)  # the cap comes after the filters


def select(raw, image_hw, settings=ProposalSettings()):
    """Which of a search's boxes to keep: filter (with fall-backs), NMS, cap.

    Returns ``(idx, scores, filter_name)``: indices into ``raw`` in rank order, their scores
    ``1 - rank / N`` (N = len(raw)), so NMS keeps the earlier of two boxes, and the name of the
    filter that kept them (a fall-back when the first left nothing, ``'empty'`` if all did).
    """
    scores = 1.0 - np.arange(len(raw), dtype=np.float32) / max(len(raw), 1)
    idx, used = filter_with_fallbacks(raw, image_hw, settings.box_filter)
    if settings.nms_iou is not None and len(idx):
        idx = idx[nms(raw[idx], scores[idx], settings.nms_iou)]
    if settings.max_per_image:
        idx = idx[: settings.max_per_image]
    return idx, scores[idx], used


def propose(img, settings=ProposalSettings()):
    """Proposals for one RGB image: :func:`search`, then :func:`select`.

    Returns ``dict(boxes=(K, 4) xyxy float32, scores=(K,), raw=N, filter=name)``.
    """
    raw = search(img, settings.method)
    idx, scores, used = select(raw, img.shape[:2], settings)
    return dict(boxes=raw[idx], scores=scores, raw=len(raw), filter=used)
