"""Felzenszwalb-Huttenlocher segmentation, label for label the same as scikit-image's.

Felzenszwalb and Huttenlocher, "Efficient Graph-Based Image Segmentation" (IJCV 2004).
SoCo's selective search starts from ``skimage.segmentation.felzenszwalb``; this module computes
the same segments with the same graph and the same merges, compiled with numba, without the
edge arrays scikit-image builds and permutes (``skimage/segmentation/_felzenszwalb_cy.pyx``,
scikit-image 0.24-0.26):

* the same smoothing call (``scipy.ndimage.gaussian_filter``, sigma ``(s, s, 0)``, reflect);
* the same edge costs, in the same order (right, down, down-right, up-right neighbours, each
  in raster order; per edge the root of the channel sum of squared differences);
* the same edge order: ``np.argsort`` (numpy's default, unstable sort) of that cost array, so
  edges of equal cost are taken in the order scikit-image takes them;
* the same greedy pass (an edge joins two components when its cost is below both components'
  internal difference plus ``scale / 255 / size``, that bound rounded to float32 as the Cython
  code stores it), then the same pass joining components smaller than ``min_size``;
* the same numbering: components by their first pixel in raster order (scikit-image's union
  keeps the smaller root, so each root is its component's first pixel, and ``np.unique`` of the
  roots numbers them in that order).

``tests/proposals/test_felzenszwalb.py`` checks it against scikit-image on photos.
"""
import numba
import numpy as np
from scipy import ndimage
from skimage.util import img_as_float


@numba.njit(cache=True)
def _edge_costs(im):
    """Costs of the 8-connected grid's edges in scikit-image's order; ``im`` is (H, W, 3)."""
    h, w, nc = im.shape
    n_right, n_down, n_diag = h * (w - 1), (h - 1) * w, (h - 1) * (w - 1)
    costs = np.empty(n_right + n_down + 2 * n_diag)
    k = 0
    for dy, dx0, dx1, oy in ((0, 1, 0, 0), (1, 0, 0, 0), (1, 1, 0, 0), (1, 0, 1, 0)):
        # the pair (y + dy, x + dx0) - (y + oy, x + dx1) for y, x over the valid range
        for y in range(h - dy):
            for x in range(w - max(dx0, dx1)):
                s = 0.0
                for c in range(nc):
                    d = im[y + dy, x + dx0, c] - im[y + oy, x + dx1, c]
                    s += d * d
                costs[k] = np.sqrt(s)
                k += 1
    return costs


@numba.njit(cache=True)
def _edge_ends(e, h, w):
    """The two pixels (flat indices) of edge ``e`` in scikit-image's edge order."""
    n_right, n_down, n_diag = h * (w - 1), (h - 1) * w, (h - 1) * (w - 1)
    if e < n_right:
        y, x = e // (w - 1), e % (w - 1)
        return y * w + x + 1, y * w + x
    e -= n_right
    if e < n_down:
        return e + w, e
    e -= n_down
    if e < n_diag:
        y, x = e // (w - 1), e % (w - 1)
        return (y + 1) * w + x + 1, y * w + x
    e -= n_diag
    y, x = e // (w - 1), e % (w - 1)
    return y * w + x + 1, (y + 1) * w + x


@numba.njit(cache=True)
def _find(parent, p):
    root = p
    while parent[root] != root:
        root = parent[root]
    while parent[p] != root:  # path compression: does not change which sets are joined
        nxt = parent[p]
        parent[p] = root
        p = nxt
    return root


@numba.njit(cache=True)
def _merge(order, costs, h, w, scale, min_size):
    """Both passes of the segmentation over the edges in ``order``; returns the labels."""
    n = h * w
    parent = np.arange(n)
    size = np.ones(n, np.int64)
    cint = np.zeros(n)
    for k in range(order.size):
        e = order[k]
        a, b = _edge_ends(e, h, w)
        ra, rb = _find(parent, a), _find(parent, b)
        if ra == rb:
            continue
        # scikit-image keeps these bounds in C floats (float32)
        bound_a = np.float32(cint[ra] + scale / size[ra])
        bound_b = np.float32(cint[rb] + scale / size[rb])
        if costs[e] < min(bound_a, bound_b):
            lo, hi = min(ra, rb), max(ra, rb)
            parent[hi] = lo
            size[lo] = size[ra] + size[rb]
            cint[lo] = costs[e]
    for k in range(order.size):
        a, b = _edge_ends(order[k], h, w)
        ra, rb = _find(parent, a), _find(parent, b)
        if ra == rb:
            continue
        if size[ra] < min_size or size[rb] < min_size:
            lo, hi = min(ra, rb), max(ra, rb)
            parent[hi] = lo
            size[lo] = size[ra] + size[rb]
    labels = np.empty(n, np.int64)
    count = 0
    for p in range(n):  # a root is its component's first pixel: raster numbering
        r = _find(parent, p)
        if r == p:
            labels[p] = count
            count += 1
        else:
            labels[p] = labels[r]
    return labels.reshape(h, w)


def smoothed(img, sigma):
    """The float image scikit-image's felzenszwalb segments: ``img_as_float``, then the
    Gaussian of ``skimage._shared.filters.gaussian`` with sigma ``(sigma, sigma, 0)``."""
    im = img_as_float(np.asarray(img))
    if im.ndim == 2:
        im = im[..., None]
    return ndimage.gaussian_filter(im, [sigma, sigma, 0], mode='reflect', truncate=4.0)


def felzenszwalb(img, scale=1.0, sigma=0.8, min_size=20):
    """Labels of ``skimage.segmentation.felzenszwalb(img_as_float(img), scale, sigma,
    min_size)`` for an (H, W, C) or (H, W) image: (H, W) int64, 0..n-1 in raster order."""
    im = np.ascontiguousarray(smoothed(img, sigma))
    h, w = im.shape[:2]
    if h < 2 or w < 2:
        raise ValueError(f'felzenszwalb needs an image of at least 2x2 pixels, got {h}x{w}')
    costs = _edge_costs(im)
    order = np.argsort(costs)  # numpy's default sort, as scikit-image: the same tie order
    return _merge(order, costs, h, w, float(scale) / 255.0, int(min_size))
