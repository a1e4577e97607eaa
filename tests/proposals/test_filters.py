"""SoCo's filters, their fall-back order, NMS and the per-method settings, on hand-made boxes."""

import numpy as np
import pytest

from dpt.proposals import BoxFilter, ProposalSettings, filter_with_fallbacks, nms
from dpt.utils.errors import ConfigError

HW = (300, 300)  # image (height, width); sqrt(H W) = 300


def boxes_wh(*whs, x=10, y=10):
    """xyxy boxes at (x, y) with the given (w, h), w = x2 - x1 as in SoCo."""
    return np.array([[x, y, x + w, y + h] for w, h in whs], np.float32)


def test_names():
    f = BoxFilter.from_name('ratio3size0008')
    assert (f.min_side, f.max_ratio, f.size_range) == (32, 3.0, (0.0, 0.8))
    assert f == BoxFilter() and f.name == 'ratio3size0008'
    assert BoxFilter.from_name('ratio3size0308').size_range == (0.3, 0.8)
    assert BoxFilter.from_name('size03').size_range == (0.3, 1.0)  # SoCo: max 1.0
    assert BoxFilter.from_name('ratio2') == BoxFilter(max_ratio=2.0, size_range=None)
    assert BoxFilter.from_name('none') == BoxFilter(max_ratio=None, size_range=None)
    assert BoxFilter.from_name('off').min_side == 0
    for name in ('ratio3size0008', 'ratio3', 'size0310', 'none', 'off'):
        assert BoxFilter.from_name(name).name == name
    for bad in ('ratio', 'size8', 'ratio3size0008x', '', 'big'):
        with pytest.raises(ConfigError, match='filter'):
            BoxFilter.from_name(bad)


def test_min_side():
    f = BoxFilter.from_name('none')
    b = boxes_wh((32, 32), (31, 200), (200, 31), (40, 50))
    assert f.keep(b, HW).tolist() == [True, False, False, True]


def test_ratio_bounds_inclusive():
    f = BoxFilter.from_name('ratio3')
    b = boxes_wh((32, 96), (32, 97), (96, 32), (97, 32), (50, 50))
    assert f.keep(b, HW).tolist() == [True, False, True, False, True]


def test_relative_size():
    f = BoxFilter.from_name('ratio3size0308')
    # sqrt(w h) / 300: 0.3 at 90x90, 0.8 at 240x240
    b = boxes_wh((89, 89), (90, 90), (240, 240), (241, 241), (60, 150), x=0, y=0)
    assert f.keep(b, HW).tolist() == [False, True, True, False, True]
    # ratio3size0008 keeps the small ones, as long as their sides pass 32 px
    g = BoxFilter()
    assert g.keep(boxes_wh((32, 32), (241, 241), x=0, y=0), HW).tolist() == [True, False]


def test_zero_side_always_dropped():
    b = np.array([[5, 5, 5, 40], [5, 5, 40, 5], [5, 5, 6, 6]], np.float32)
    assert BoxFilter.from_name('off').keep(b, HW).tolist() == [False, False, True]


def test_fallback_order():
    f = BoxFilter()  # ratio3size0008
    assert [g.name for g in f.fallbacks()] == ['ratio3size0008', 'ratio3', 'none']
    assert [g.name for g in BoxFilter.from_name('none').fallbacks()] == ['none']
    # SoCo's post script falls back to filter_ratio(r=3) whatever the first filter was
    assert [g.name for g in BoxFilter.from_name('ratio2size0308').fallbacks()] == [
        'ratio2size0308',
        'ratio3',
        'none',
    ]
    assert [g.name for g in BoxFilter.from_name('size03').fallbacks()] == [
        'size0310',
        'ratio3',
        'none',
    ]

    passes_all = boxes_wh((40, 40), (250, 250))
    idx, used = filter_with_fallbacks(passes_all, HW, f)
    assert idx.tolist() == [0] and used == 'ratio3size0008'
    too_big = boxes_wh((250, 250), (280, 40), x=0, y=0)  # fails size; the first passes ratio
    idx, used = filter_with_fallbacks(too_big, HW, f)
    assert idx.tolist() == [0] and used == 'ratio3'
    elongated = boxes_wh((280, 40), (20, 20), x=0, y=0)  # only the 32 px sides are left
    idx, used = filter_with_fallbacks(elongated, HW, f)
    assert idx.tolist() == [0] and used == 'none'
    idx, used = filter_with_fallbacks(boxes_wh((20, 20), (10, 50)), HW, f)
    assert len(idx) == 0 and used == 'empty'
    idx, used = filter_with_fallbacks(np.zeros((0, 4), np.float32), HW, f)
    assert len(idx) == 0 and used == 'empty'


def test_nms():
    b = np.array(
        [[0, 0, 100, 100], [5, 5, 100, 100], [200, 200, 260, 260], [0, 0, 100, 60]], np.float32
    )
    s = np.array([0.5, 0.9, 0.1, 0.8], np.float32)
    # box 1 (0.9) suppresses box 0 (IoU 0.90); box 3 overlaps box 1 by 0.54 -> gone at 0.5
    assert nms(b, s, 0.5).tolist() == [1, 2]
    assert nms(b, s, 0.7).tolist() == [1, 3, 2]
    assert nms(np.zeros((0, 4)), np.zeros(0), 0.5).tolist() == []


def test_settings_defaults_per_method():
    soco = ProposalSettings.from_options('soco')
    # SoCo's scripts: the filter of AlignDet's file name, no NMS (docs/proposals.md, "@0.5")
    assert soco.name == 'ratio3size0008' and soco.nms_iou is None
    assert soco.max_per_image is None
    assert ProposalSettings.from_options('soco', nms_iou=0.5).name == 'ratio3size0008@0.5'
    detreg = ProposalSettings.from_options('opencv_fast')
    assert (detreg.name, detreg.nms_iou, detreg.max_per_image) == ('off', None, 30)
    s = ProposalSettings.from_options(
        'soco', 'ratio3size0308', min_side=16, nms_iou='off', max_per_image=100
    )
    assert s.box_filter == BoxFilter(16.0, 3.0, (0.3, 0.8)) and s.nms_iou is None
    assert s.max_per_image == 100
    s = ProposalSettings.from_options(
        'soco', max_ratio=0, size_range=(0.1, 0.9), nms_iou=0.7, max_per_image=0
    )
    assert s.box_filter.max_ratio is None and s.box_filter.size_range == (0.1, 0.9)
    assert s.nms_iou == 0.7 and s.max_per_image is None
    for bad in (
        dict(method='edgeboxes'),
        dict(nms_iou=1.5),
        dict(size_range=(0.8, 0.2)),
        dict(max_per_image=-1),
    ):
        with pytest.raises(ConfigError):
            ProposalSettings.from_options(**{'method': 'soco', **bad})
