"""The vectorised selective search, DETReg's OpenCV search, and one image's proposals."""
import json
import os.path as osp
import warnings

import cv2
import numpy as np
import pytest

from dpt.proposals import ProposalSettings, opencv_fast_search, propose, selective_search
from dpt.proposals.selective_search import (COLOUR_BINS, TEXTURE_BINS, colour_codes,
                                            neighbour_pairs, region_features, segment,
                                            texture_codes)

RED = (20, 30, 60, 90)  # x1, y1, x2, y2 (exclusive) of the two flat rectangles
BLUE = (70, 10, 120, 50)


def two_rectangles(h=128, w=136, noise=3):
    rng = np.random.default_rng(0)
    img = np.full((h, w, 3), 128, np.float32)
    img[RED[1]:RED[3], RED[0]:RED[2]] = (220, 30, 30)
    img[BLUE[1]:BLUE[3], BLUE[0]:BLUE[2]] = (30, 40, 210)
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


def test_vectorised_features_match_per_region_loop():
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (40, 52, 3), dtype=np.uint8)
    labels = np.repeat(np.repeat(rng.integers(0, 5, (5, 4)), 8, 0), 13, 1)  # blocky regions
    labels = np.unique(labels, return_inverse=True)[1].reshape(labels.shape)
    f = region_features(img, labels)
    colour, texture = colour_codes(img), texture_codes(img)
    for r in range(labels.max() + 1):
        m = labels == r
        ys, xs = np.nonzero(m)
        assert f['size'][r] == m.sum()
        assert f['box'][r].tolist() == [xs.min(), ys.min(), xs.max(), ys.max()]
        hc = np.concatenate([np.bincount(c[m], minlength=COLOUR_BINS) for c in colour])
        ht = np.concatenate([np.bincount(t[m], minlength=TEXTURE_BINS) for t in texture])
        np.testing.assert_allclose(f['colour'][r], hc / hc.sum())
        np.testing.assert_allclose(f['texture'][r], ht / ht.sum())
    assert colour.max() < COLOUR_BINS and texture.max() < TEXTURE_BINS
    assert texture.shape[0] == 24  # 8 orientations x 3 channels


def test_neighbours_are_touching_regions():
    labels = np.array([[0, 0, 1, 1],
                       [0, 0, 1, 1],
                       [2, 2, 3, 3],
                       [4, 4, 4, 4]])
    pairs = neighbour_pairs(labels).tolist()
    # 0-3 and 1-2 touch diagonally (8-connected, like Felzenszwalb's graph); 0-4 do not touch
    assert pairs == [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3], [2, 4], [3, 4]]


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
    p = propose(img)  # AlignDet's defaults: ratio3size0008, NMS 0.5
    assert p['filter'] == 'ratio3size0008' and p['raw'] >= len(p['boxes']) > 0
    w, h = (p['boxes'][:, 2:] - p['boxes'][:, :2]).T
    assert (w >= 32).all() and (h >= 32).all() and (w / h <= 3).all() and (h / w <= 3).all()
    assert (np.diff(p['scores']) < 0).all()  # rank order
    assert (iou(p['boxes'], p['boxes']) - np.eye(len(w)) <= 0.5 + 1e-6).all()
    q = propose(img, ProposalSettings.from_options('opencv_fast'))
    assert len(q['boxes']) == 30 and q['filter'] == 'off'


def test_same_regions_as_the_original(demo_data_root):
    """Against the AlpacaDB ``selectivesearch`` 0.4 package SoCo copied (benchmark-only
    dependency): the same initial segments in the same order, similar recall."""
    original = pytest.importorskip('selectivesearch')
    root = demo_data_root
    with open(osp.join(root, 'annotations', 'instances_val.json')) as f:
        coco = json.load(f)
    found = {'ours': 0, 'original': 0}
    total = 0
    for im in coco['images'][:4]:
        img = cv2.imread(osp.join(root, 'val', im['file_name']))[:, :, ::-1].copy()
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            _, regions = original.selective_search(img, scale=300, sigma=0.9, min_size=100)
        theirs = np.array([(x, y, x + w, y + h) for x, y, w, h in (r['rect'] for r in regions)],
                          np.float32)
        ours = selective_search(img)
        n = int(segment(img).max()) + 1
        np.testing.assert_array_equal(ours[:n], theirs[:n])  # same Felzenszwalb segments
        assert len(ours) == 2 * n - 1 and n <= len(theirs) <= 2 * n - 1
        gt = np.array([a['bbox'] for a in coco['annotations'] if a['image_id'] == im['id']],
                      np.float32).reshape(-1, 4)
        gt[:, 2:] += gt[:, :2]
        total += len(gt)
        if len(gt):
            found['ours'] += int((iou(gt, ours).max(1) >= 0.5).sum())
            found['original'] += int((iou(gt, theirs).max(1) >= 0.5).sum())
    assert total > 0
    assert found['ours'] >= found['original'] - max(1, total // 10), found
