"""Unsupervised proposals: the selective search AlignDet (via SoCo) and DETReg pre-train on.

* :func:`selective_search`: SoCo's search (Felzenszwalb + hierarchical grouping), box for box,
  compiled (:func:`felzenszwalb`: scikit-image's segments, label for label);
* :func:`opencv_fast_search`: DETReg's OpenCV fast search on a 128x128 copy, first 30 boxes;
* :class:`BoxFilter`, :func:`filter_with_fallbacks`: SoCo's filters; :func:`nms`
  (torchvision's, :mod:`dpt.utils.boxes`);
* :func:`propose`: one image (a search, then :func:`select`: filter, NMS, cap);
* :func:`generate_proposals`: a whole image set into a COCO-style file
  (``tools/misc/make_proposals.py``; docs/proposals.md).
"""

from ..utils.boxes import nms
from .felzenszwalb import felzenszwalb
from .filters import BoxFilter, filter_with_fallbacks
from .generate import ProposalJob, generate_proposals
from .opencv_search import opencv_fast_search
from .propose import METHODS, ProposalSettings, propose, select
from .selective_search import selective_search

__all__ = [
    'BoxFilter',
    'METHODS',
    'ProposalJob',
    'ProposalSettings',
    'felzenszwalb',
    'filter_with_fallbacks',
    'generate_proposals',
    'nms',
    'opencv_fast_search',
    'propose',
    'select',
    'selective_search',
]
