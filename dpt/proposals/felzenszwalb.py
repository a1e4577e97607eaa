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


@numba.njit(cache=True, inline='always')
def _edge_ends(e, h, w, inv):
    """The two pixels (flat indices) of edge ``e`` in scikit-image's edge order; ``inv`` is
    ``1 / (w - 1)``: the row of an edge by a multiplication (exact: the quotient is never within
    ``0.5 / (w - 1)`` of an integer, far above the rounding error)."""
    n_right, n_down, n_diag = h * (w - 1), (h - 1) * w, (h - 1) * (w - 1)
    if e < n_right:
        y = np.int64((e + 0.5) * inv)
        return e + y + 1, e + y
    e -= n_right
    if e < n_down:
        return e + w, e
    e -= n_down
    if e >= n_diag:  # up-right: (y, x + 1) - (y + 1, x)
        e -= n_diag
        y = np.int64((e + 0.5) * inv)
        return e + y + 1, e + y + w
    y = np.int64((e + 0.5) * inv)  # down-right: (y + 1, x + 1) - (y, x)
    return e + y + w + 1, e + y


@numba.njit(cache=True)
def _unpack_order(packed, costs, index_bits):
    """The indices packed into the low bits of sorted keys, the costs in that order, and an
    insertion pass that orders the few costs whose truncated keys tied by their full value."""
    n = packed.size
    mask = np.uint64((1 << index_bits) - 1)
    order = np.empty(n, np.int32)
    sorted_costs = np.empty(n)
    for i in range(n):
        order[i] = np.int32(packed[i] & mask)
        sorted_costs[i] = costs[order[i]]
    for i in range(1, n):
        c, o = sorted_costs[i], order[i]
        j = i - 1
        while j >= 0 and sorted_costs[j] > c:
            sorted_costs[j + 1], order[j + 1] = sorted_costs[j], order[j]
            j -= 1
        sorted_costs[j + 1], order[j + 1] = c, o
    return order, sorted_costs


def _sort_order(costs):
    """An ascending order of the (non-negative) costs and the sorted costs; equal costs in any
    order. Non-negative float64 bit patterns order as their values; each cost's pattern, its low
    bits replaced by the cost's index, is still a non-negative float, so numpy's (vectorised)
    value sort orders costs and indices at once; the few costs that only the dropped bits
    told apart are then put in order."""
    n = costs.size
    index_bits = max(1, int(n - 1).bit_length())
    bits = costs.view(np.uint64)
    packed = (bits >> np.uint64(index_bits)) << np.uint64(index_bits)
    packed |= np.arange(n, dtype=np.uint64)
    keys = packed.view(np.float64)
    keys.sort()
    return _unpack_order(packed, costs, index_bits)


@numba.njit(cache=True, inline='always')
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
def _first_pass(order, sorted_costs, h, w, scale):
    """Join along the edges in ``order`` when the cost is below both components' internal
    difference plus ``scale / size``. Returns the union-find forest (each root its component's
    first pixel, as scikit-image's union keeps the smaller root) and the sizes by root.

    Runs of equal cost c may come in any order: a component that took part in a join at cost
    c has internal difference c and bound float32(c + scale / size) > c (the caller checks that
    the smallest ``scale / size`` exceeds float32's spacing there), so it accepts every further
    edge of cost c, and a component that rejects c is not joined during the run; the run joins
    the connected parts of its accepting components, whatever the order.
    """
    n = h * w
    inv = 1.0 / max(w - 1, 1)
    parent = np.arange(n).astype(np.int32)
    # per root: internal difference and size side by side (one cache line per look-up)
    state = np.zeros((n, 2))
    state[:, 1] = 1.0
    for k in range(order.size):
        a, b = _edge_ends(order[k], h, w, inv)
        if parent[a] == parent[b]:
            continue  # the same parent, the same component
        ra, rb = _find(parent, a), _find(parent, b)
        if ra == rb:
            continue
        # scikit-image keeps these bounds in C floats (float32)
        bound_a = np.float32(state[ra, 0] + scale / state[ra, 1])
        bound_b = np.float32(state[rb, 0] + scale / state[rb, 1])
        c = sorted_costs[k]
        if c < min(bound_a, bound_b):
            lo, hi = min(ra, rb), max(ra, rb)
            parent[hi] = lo
            state[lo, 1] = state[ra, 1] + state[rb, 1]
            state[lo, 0] = c
    return parent, state[:, 1].copy()


@numba.njit(cache=True)
def _small_pass(order, sorted_costs, h, w, min_size, parent, size, check_ties):
    """Join components smaller than ``min_size`` along the edges in ``order`` (in place).

    With ``check_ties`` the order of equal costs may differ from numpy's argsort: a run of
    equal cost is order-free when no component is an end of two of its edges that can still
    join (one end small); otherwise this returns False at once (the forest is then partly
    changed) and the caller repeats the pass in numpy's order.
    """
    n = h * w
    inv = 1.0 / max(w - 1, 1)
    small = np.empty(n, np.bool_)
    for p in range(n):  # components only grow: an edge between two large ones never joins
        small[p] = size[_find(parent, p)] < min_size
    stamp = np.full(n, -1, np.int64)
    k = 0
    while k < order.size:
        end = k + 1
        if check_ties and k + 1 < order.size and sorted_costs[k + 1] == sorted_costs[k]:
            while end < order.size and sorted_costs[end] == sorted_costs[k]:
                end += 1
            for q in range(k, end):
                a, b = _edge_ends(order[q], h, w, inv)
                ra, rb = _find(parent, a), _find(parent, b)
                if ra == rb or (size[ra] >= min_size and size[rb] >= min_size):
                    continue
                if stamp[ra] == k or stamp[rb] == k:
                    return False
                stamp[ra] = stamp[rb] = k
        for q in range(k, end):
            a, b = _edge_ends(order[q], h, w, inv)
            if not (small[a] or small[b]):
                continue
            ra, rb = _find(parent, a), _find(parent, b)
            if ra == rb:
                continue
            if size[ra] < min_size or size[rb] < min_size:
                lo, hi = min(ra, rb), max(ra, rb)
                parent[hi] = lo
                size[lo] = size[ra] + size[rb]
        k = end
    return True


@numba.njit(cache=True)
def _labels(parent, h, w):
    """Components numbered by first pixel in raster order (each root is its first pixel)."""
    n = h * w
    labels = np.empty(n, np.int64)
    count = 0
    for p in range(n):
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
    if 4 * h * w >= 2 ** 31:
        raise ValueError(f'felzenszwalb: a {h}x{w} image has too many edges for int32 indices')
    costs = _edge_costs(im)
    scale = float(scale) / 255.0
    min_size = int(min_size)
    # Any ascending order gives scikit-image's first pass when a joined component's float32
    # bound stays above its cost (see _first_pass): scale / (h w) at least float32's spacing
    # at the largest bound. Otherwise, numpy's order throughout.
    if scale / (h * w) >= float(np.spacing(np.float32(costs.max() + scale))):
        order, sorted_costs = _sort_order(costs)
        parent, size = _first_pass(order, sorted_costs, h, w, scale)
        kept = parent.copy(), size.copy()
        if _small_pass(order, sorted_costs, h, w, min_size, parent, size, True):
            return _labels(parent, h, w)
        parent, size = kept
        order = np.argsort(costs).astype(np.int32)  # numpy's default sort, as scikit-image
    else:
        order = np.argsort(costs).astype(np.int32)
        parent, size = _first_pass(order, costs[order], h, w, scale)
    _small_pass(order, costs[order], h, w, min_size, parent, size, False)
    return _labels(parent, h, w)
