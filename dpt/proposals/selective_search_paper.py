"""Selective search as SoCo ran it for AlignDet's proposals, with vectorised region features.

Uijlings et al., "Selective Search for Object Recognition" (IJCV 2013): Felzenszwalb-Huttenlocher
segments are merged greedily, the most similar pair of neighbours first, until one region is
left; every region of the hierarchy is a proposal. SoCo (hologerry/SoCo,
``selective_search/selective_search.py``, which follows the AlpacaDB ``selectivesearch``
package) made AlignDet's proposals this way with ``scale=300, sigma=0.9, min_size=100`` and
the sum of the colour, texture, size and fill similarities (paper section 3.2).

What differs from that code, and why:

* region sizes, boxes and histograms come from ``np.bincount`` over the label image instead of
  a per-pixel Python loop (2/3 of its time, METHODS.md section 3);
* neighbours are regions that touch (8-connected label adjacency), as in the paper; the
  original tested whether a corner of one bounding box lies inside the other, which misses
  touching regions and pairs distant ones;
* colour is HSV with all three channels over their full range; the original binned H and S
  (in [0, 1]) over [0, 255], so both always fell into the first bin;
* texture is the paper's Gaussian derivatives (sigma 1, 8 orientations, 10 bins per channel)
  instead of the original's local binary patterns.

Boxes keep the original's convention: ``(x1, y1, x2, y2)`` with ``x2``/``y2`` the index of the
last pixel, so ``x2 - x1`` is the width SoCo's filters and AlignDet's file use (one less than
the pixel extent).
"""
import heapq

import cv2
import numpy as np
from scipy import ndimage
from skimage.segmentation import felzenszwalb
from skimage.util import img_as_float

SOCO_SEGMENTATION = dict(scale=300, sigma=0.9, min_size=100)  # SoCo's generate script
COLOUR_BINS = 25  # paper section 3.2
TEXTURE_BINS = 10
ORIENTATIONS = 8


def segment(img, scale=300, sigma=0.9, min_size=100):
    """Felzenszwalb segments of an RGB ``uint8`` image, numbered in raster order of their first
    pixel (the order the original's pixel scan met them, which fixes the output order)."""
    labels = felzenszwalb(img_as_float(img), scale=scale, sigma=sigma, min_size=min_size)
    n = int(labels.max()) + 1
    first = np.full(n, labels.size, np.int64)
    np.minimum.at(first, labels.ravel(), np.arange(labels.size))
    rank = np.empty(n, np.int64)
    rank[np.argsort(first)] = np.arange(n)
    return rank[labels]


def _region_histograms(labels, n, codes, bins):
    """Per-region histograms: ``codes`` is (F, H, W) bin indices of F features, each with
    ``bins`` bins; returns (n, F * bins) pixel counts."""
    base = labels.ravel() * bins
    hist = np.empty((n, len(codes) * bins), np.float64)
    for f, code in enumerate(codes):  # one feature at a time: memory stays O(H * W)
        counts = np.bincount(base + code.ravel(), minlength=n * bins)
        hist[:, f * bins:(f + 1) * bins] = counts.reshape(n, bins)
    return hist


def colour_codes(img):
    """(3, H, W) colour bin of each pixel: HSV, 25 bins per channel over the full range."""
    hsv = cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2HSV_FULL)  # all channels 0..255
    return ((hsv.astype(np.int32) * COLOUR_BINS) >> 8).astype(np.uint8).transpose(2, 0, 1)


def texture_codes(img):
    """(24, H, W) texture bin of each pixel: the rectified Gaussian derivative (sigma 1) in 8
    orientations per channel, each quantised into 10 bins over [0, its maximum in the image]."""
    blur = cv2.GaussianBlur(img.astype(np.float32), (0, 0), 1.0)
    gx = np.ascontiguousarray(cv2.Scharr(blur, cv2.CV_32F, 1, 0).transpose(2, 0, 1))
    gy = np.ascontiguousarray(cv2.Scharr(blur, cv2.CV_32F, 0, 1).transpose(2, 0, 1))
    codes = np.empty((3 * ORIENTATIONS,) + img.shape[:2], np.uint8)
    half = ORIENTATIONS // 2
    for k in range(half):
        theta = np.pi * k / half
        d = float(np.cos(theta)) * gx + float(np.sin(theta)) * gy  # (3, H, W), float32
        # orientation k is the positive part of d, orientation k + 4 the positive part of -d
        for o, signed in ((k, d), (k + half, np.negative(d, out=d))):
            for c in range(3):
                top = max(float(signed[c].max()), 1e-6)
                q = signed[c] * np.float32(TEXTURE_BINS / top)
                codes[c * ORIENTATIONS + o] = np.clip(q, 0, TEXTURE_BINS - 1, out=q)
    return codes


def region_features(img, labels):
    """Sizes, boxes (last-pixel convention) and L1-normalised colour / texture histograms of
    the ``n`` labelled regions, without a per-pixel Python loop."""
    n = int(labels.max()) + 1
    sizes = np.bincount(labels.ravel(), minlength=n).astype(np.float64)
    boxes = np.array([(x.start, y.start, x.stop - 1, y.stop - 1)
                      for y, x in ndimage.find_objects(labels + 1)], np.float64)
    colour = _region_histograms(labels, n, colour_codes(img), COLOUR_BINS)
    texture = _region_histograms(labels, n, texture_codes(img), TEXTURE_BINS)
    return dict(size=sizes, box=boxes, colour=colour / colour.sum(1, keepdims=True),
                texture=texture / texture.sum(1, keepdims=True))


def neighbour_pairs(labels):
    """(P, 2) pairs ``a < b`` of regions that touch (8-connected, as Felzenszwalb's graph)."""
    n = int(labels.max()) + 1
    found = []
    for a, b in ((labels[:, :-1], labels[:, 1:]), (labels[:-1], labels[1:]),
                 (labels[:-1, :-1], labels[1:, 1:]), (labels[:-1, 1:], labels[1:, :-1])):
        m = a != b
        lo, hi = np.minimum(a[m], b[m]), np.maximum(a[m], b[m])
        found.append(lo.astype(np.int64) * n + hi)
    code = np.unique(np.concatenate(found))
    return np.stack([code // n, code % n], 1)


def _similarity(f, a, b, image_area):
    """Colour + texture + size + fill similarity (paper eq. 1-5, all weights 1)."""
    colour = np.minimum(f['colour'][a], f['colour'][b]).sum(-1)
    texture = np.minimum(f['texture'][a], f['texture'][b]).sum(-1)
    size = f['size'][a] + f['size'][b]
    ba, bb = f['box'][a], f['box'][b]
    bw = np.maximum(ba[..., 2], bb[..., 2]) - np.minimum(ba[..., 0], bb[..., 0]) + 1
    bh = np.maximum(ba[..., 3], bb[..., 3]) - np.minimum(ba[..., 1], bb[..., 1]) + 1
    return colour + texture + (1 - size / image_area) + (1 - (bw * bh - size) / image_area)


def hierarchical_grouping(features, pairs, image_area):
    """Merge the most similar neighbours until none are left (paper algorithm 1).

    Returns the boxes of all regions in creation order: the initial segments, then each merged
    region as it is made (``2n - 1`` for a connected image).
    """
    n = len(features['size'])
    total = 2 * n - 1
    f = {}
    for key, value in features.items():  # room for the n - 1 merged regions
        f[key] = np.empty((total,) + value.shape[1:], value.dtype)
        f[key][:n] = value
    neighbours = [set() for _ in range(total)]
    for a, b in pairs.tolist():
        neighbours[a].add(b)
        neighbours[b].add(a)
    sims = _similarity(f, pairs[:, 0], pairs[:, 1], image_area) if len(pairs) else []
    # Max-heap with lazy deletion: entries naming a merged (dead) region are skipped.
    heap = [(-s, a, b) for s, (a, b) in zip(np.asarray(sims).tolist(), pairs.tolist())]
    heapq.heapify(heap)
    alive = np.zeros(total, bool)
    alive[:n] = True
    t = n
    while heap:
        _, a, b = heapq.heappop(heap)
        if not (alive[a] and alive[b]):
            continue
        sa, sb = f['size'][a], f['size'][b]
        for key in ('colour', 'texture'):
            f[key][t] = (f[key][a] * sa + f[key][b] * sb) / (sa + sb)
        f['size'][t] = sa + sb
        f['box'][t, :2] = np.minimum(f['box'][a, :2], f['box'][b, :2])
        f['box'][t, 2:] = np.maximum(f['box'][a, 2:], f['box'][b, 2:])
        alive[a] = alive[b] = False
        alive[t] = True
        around = (neighbours[a] | neighbours[b]) - {a, b}
        for k in around:
            neighbours[k].difference_update((a, b))
            neighbours[k].add(t)
        neighbours[t], neighbours[a], neighbours[b] = around, set(), set()
        if around:
            ks = np.fromiter(around, np.int64, len(around))
            for s, k in zip(_similarity(f, t, ks, image_area).tolist(), ks.tolist()):
                heapq.heappush(heap, (-s, t, k))
        t += 1
    return f['box'][:t]


def selective_search(img, scale=300, sigma=0.9, min_size=100):
    """Region boxes of selective search on an RGB ``uint8`` image (SoCo's settings by default).

    Returns an (N, 4) float32 array ``(x1, y1, x2, y2)`` (last-pixel convention, see module
    doc) in the original's order: initial segments in raster order, then merged regions in the
    order they were made.
    """
    img = np.asarray(img)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f'selective_search needs an (H, W, 3) image, got shape {img.shape}')
    labels = segment(img, scale=scale, sigma=sigma, min_size=min_size)
    features = region_features(img, labels)
    boxes = hierarchical_grouping(features, neighbour_pairs(labels), float(labels.size))
    return boxes.astype(np.float32)
