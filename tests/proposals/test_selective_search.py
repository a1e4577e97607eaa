"""SoCo's selective search (its parts, against SoCo's formulas written out with scikit-image),
DETReg's OpenCV search, and one image's proposals. Whole-search parity with SoCo's own code:
test_soco_parity.py."""

import cv2
import numpy as np
from proposals.soco_photos import build_photo, recipes
from skimage.color import rgb2hsv
from skimage.feature import local_binary_pattern

from dpt.proposals import ProposalSettings, opencv_fast_search, propose, selective_search
from dpt.proposals.selective_search import (
    _LBP_COLS,
    _LBP_ROWS,
    _corner_inside,
    _lbp_codes,
    region_features,
    segment,
)

RED = (20, 30, 60, 90)  # x1, y1, x2, y2 (exclusive) of the two flat rectangles
BLUE = (70, 10, 120, 50)


def two_rectangles(h=128, w=136, noise=3):
    rng = np.random.default_rng(0)
    img = np.full((h, w, 3), 128, np.float32)
    img[RED[1] : RED[3], RED[0] : RED[2]] = (220, 30, 30)
    img[BLUE[1] : BLUE[3], BLUE[0] : BLUE[2]] = (30, 40, 210)
    return np.clip(img + rng.normal(0, noise, img.shape), 0, 255).astype(np.uint8)


def iou(a, b):
    """IoU of (N, 4) and (M, 4) xyxy boxes."""
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    area = lambda z: (z[:, 2:] - z[:, :2]).prod(-1)  # noqa: E731
    return inter / (area(a)[:, None] + area(b)[None] - inter)


def test_finds_two_flat_rectangles():
    img = two_rectangles()
    boxes = selective_search(img)
    assert boxes.dtype == np.float32 and boxes.shape[1] == 4
    # last-pixel convention: the red rectangle's box is (20, 30, 59, 89)
    want = np.array([RED, BLUE], np.float32) - [0, 0, 1, 1]
    assert (iou(want, boxes).max(1) > 0.9).all()
    assert want.tolist()[0] in boxes.tolist() and want.tolist()[1] in boxes.tolist()
    # a hierarchy over n segments has 2n - 1 regions; the last one is the whole image
    n = int(segment(img).max()) + 1
    assert len(boxes) == 2 * n - 1
    assert boxes[-1].tolist() == [0, 0, img.shape[1] - 1, img.shape[0] - 1]


def test_region_features_are_socos():
    """SoCo's _extract_regions: HSV of the 0..255 float image, 25 bins per channel over
    [0, 255]; LBP (8, 1.0) of each float channel, 10 bins over [0, 255]; divided by the size."""
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (40, 52, 3), dtype=np.uint8)
    img[:8, :13] = 255  # flat patches: LBP ties and H = S = 0
    labels = np.repeat(np.repeat(rng.integers(0, 5, (5, 4)), 8, 0), 13, 1)  # blocky regions
    labels = np.unique(labels, return_inverse=True)[1].reshape(labels.shape)
    f = region_features(img, labels)
    fimg = img.astype(np.float64)
    hsv = rgb2hsv(fimg)
    lbp = np.stack([local_binary_pattern(fimg[..., c], 8, 1.0) for c in range(3)], -1)
    for r in range(labels.max() + 1):
        m = labels == r
        ys, xs = np.nonzero(m)
        assert f['size'][r] == m.sum()
        assert f['box'][r].tolist() == [xs.min(), ys.min(), xs.max(), ys.max()]
        hc = np.concatenate([np.histogram(hsv[m][:, c], 25, (0.0, 255.0))[0] for c in range(3)])
        ht = np.concatenate([np.histogram(lbp[m][:, c], 10, (0.0, 255.0))[0] for c in range(3)])
        np.testing.assert_array_equal(f['colour'][r], hc / m.sum())
        np.testing.assert_array_equal(f['texture'][r], ht / m.sum())
        # original's behaviour, kept: H and S (in [0, 1]) always fall into their first bin
        assert f['colour'][r][0] == f['colour'][r][25] == 1.0


def test_lbp_codes_are_skimages():
    img = np.ascontiguousarray(build_photo(recipes()['astronaut'])[100:300, 150:400])
    got = _lbp_codes(img, _LBP_ROWS, _LBP_COLS)
    for c in range(3):
        want = local_binary_pattern(img[..., c].astype(np.float64), 8, 1.0)
        np.testing.assert_array_equal(got[c], want.astype(np.int64))


def test_neighbours_are_socos_corner_test():
    """SoCo's intersect(a, b): a corner of b strictly inside a (not symmetric)."""
    a = np.array([0, 0, 10, 10])
    assert _corner_inside(a, np.array([5, 5, 20, 20]))  # b's top-left corner inside a
    assert _corner_inside(a, np.array([-5, 5, 5, 20]))  # b's top-right corner inside a
    assert not _corner_inside(a, np.array([10, 0, 20, 10]))  # touching, on the border
    assert not _corner_inside(a, np.array([2, -5, 8, 15]))  # crossing, no corner inside
    assert not _corner_inside(np.array([2, 2, 8, 8]), a) and _corner_inside(
        a, np.array([2, 2, 8, 8])
    )  # b inside a is a neighbour of a; a is not one of b


def test_segments_numbered_in_raster_order():
    labels = segment(two_rectangles())
    first = [np.flatnonzero(labels.ravel() == r)[0] for r in range(labels.max() + 1)]
    assert first == sorted(first)


def test_opencv_fast_like_detreg():
    img = cv2.resize(two_rectangles(), (272, 256))
    boxes = opencv_fast_search(img)
    assert boxes.dtype == np.float32 and boxes.shape == (30, 4)
    assert (boxes[:, :2] >= 0).all() and (boxes[:, 2] <= 272).all() and (boxes[:, 3] <= 256).all()
    assert (boxes[:, 2:] > boxes[:, :2]).all()
    np.testing.assert_array_equal(boxes, opencv_fast_search(img))  # seeded: same boxes
    everything = opencv_fast_search(img, topk=None)
    assert len(everything) > 30
    np.testing.assert_array_equal(everything[:30], boxes)
    # the rectangles are found at 128 px too, up to the rescaling
    want = np.array([RED, BLUE], np.float32) * [2, 2, 2, 2]
    assert (iou(want, everything).max(1) > 0.8).all()


def test_propose_one_image():
    img = cv2.resize(two_rectangles(), (272, 256), interpolation=cv2.INTER_NEAREST)
    p = propose(img)  # SoCo's pipeline: ratio3size0008 with its fall-backs, no NMS
    assert p['filter'] == 'ratio3size0008' and p['raw'] >= len(p['boxes']) > 0
    w, h = (p['boxes'][:, 2:] - p['boxes'][:, :2]).T
    assert (w >= 32).all() and (h >= 32).all() and (w / h <= 3).all() and (h / w <= 3).all()
    assert (np.diff(p['scores']) < 0).all()  # rank order
    n = propose(img, ProposalSettings.from_options('soco', nms_iou=0.5))
    assert (iou(n['boxes'], n['boxes']) - np.eye(len(n['boxes'])) <= 0.5 + 1e-6).all()
    assert set(map(tuple, n['boxes'].tolist())) <= set(map(tuple, p['boxes'].tolist()))
    q = propose(img, ProposalSettings.from_options('opencv_fast'))
    assert len(q['boxes']) == 30 and q['filter'] == 'off'
