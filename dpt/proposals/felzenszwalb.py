"""Felzenszwalb-Huttenlocher segmentation, label for label the same as scikit-image's.

Felzenszwalb and Huttenlocher, "Efficient Graph-Based Image Segmentation" (IJCV 2004).
SoCo's selective search starts from ``skimage.segmentation.felzenszwalb``; this module computes
the same segments with the same graph and the same merges, compiled with numba (one thread),
without the edge arrays scikit-image builds and permutes
(``skimage/segmentation/_felzenszwalb_cy.pyx``, scikit-image 0.24-0.26):

* the same smoothing call (``scipy.ndimage.gaussian_filter``, sigma ``(s, s, 0)``, reflect);
* the same edge costs, in the same order (right, down, down-right, up-right neighbours, each
  in raster order; per edge the root of the channel sum of squared differences);
* the same edge order where it matters: scikit-image takes the edges in ``np.argsort`` order
  (numpy's default, unstable sort). Any ascending order gives the same greedy pass (see
  :func:`_first_pass`); the small-segment pass checks, run by run of equal cost, that the
  order within the run cannot change its joins, and where it could, it is redone in
  ``np.argsort``'s order;
* the same greedy pass (an edge joins two components when its cost is below both components'
  internal difference plus ``scale / 255 / size``, that bound rounded to float32 as the Cython
  code stores it), then the same pass joining components smaller than ``min_size``;
* the same numbering: components by their first pixel in raster order (scikit-image's union
  keeps the smaller root, so each root is its component's first pixel, and ``np.unique`` of the
  roots numbers them in that order).

The edges are sorted as one array of 64-bit keys: each cost's float64 bit pattern (non-negative
floats order as their patterns) with its low bits replaced by the edge's index. The keys alone
decide every comparison with a bound (a float32 value, so its pattern has those low bits zero);
the exact cost is recomputed from the image where a join stores it and where two keys share
their cost bits. ``tests/proposals/test_felzenszwalb.py`` checks it against scikit-image.
"""

import math

import numba
import numpy as np
from scipy import ndimage
from skimage.util import img_as_float

# the key keeps 52 - INDEX_BITS mantissa bits; float32's 23 must fit for exact comparisons
MAX_INDEX_BITS = 29


@numba.njit(cache=True, inline='always')
def _cost(flat, a, b):
    """Edge cost of pixels ``a`` and ``b`` (flat indices) of the (H W, C) image, as numpy
    computes it: the root of the channel sum, left to right, of the squared differences."""
    s = 0.0
    for c in range(flat.shape[1]):
        d = flat[a, c] - flat[b, c]
        s += d * d
    return np.sqrt(s)


@numba.njit(cache=True)
def _edge_costs(im, index_bits=0):
    """Costs of the 8-connected grid's edges in scikit-image's order (``im`` is (H, W, C)) and
    the largest; with ``index_bits`` the array holds the sort keys instead, as float64 (see
    the module docstring)."""
    h, w, nc = im.shape
    flat = im.reshape(h * w, nc)
    n_edges = h * (w - 1) + (h - 1) * w + 2 * (h - 1) * (w - 1)
    costs = np.empty(n_edges)
    keys = costs.view(np.uint64)
    k = 0
    # the pair (p + off_a, p + off_b) for p = (y, x) over the valid range: right, down,
    # down-right, up-right ((y, x + 1) - (y + 1, x))
    for rows, cols, off_a, off_b in (
        (h, w - 1, 1, 0),
        (h - 1, w, w, 0),
        (h - 1, w - 1, w + 1, 0),
        (h - 1, w - 1, w, 1),
    ):
        for y in range(rows):
            for x in range(cols):
                p = y * w + x
                costs[k] = _cost(flat, p + off_a, p + off_b)
                k += 1
    largest = 0.0
    low = np.uint64((1 << index_bits) - 1)
    for k in range(n_edges):
        largest = max(largest, costs[k])
        if index_bits:
            keys[k] = (keys[k] & ~low) | np.uint64(k)
    return costs, largest


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


@numba.njit(cache=True, inline='always')
def _exact_cost(key, mask, flat, h, w, inv):
    a, b = _edge_ends(np.int64(key & mask), h, w, inv)
    return _cost(flat, a, b)


@numba.njit(cache=True)
def _order_run(keys, start, end, mask, flat, h, w, inv):
    """Order the keys ``start:end``, whose cost bits are equal, by their exact costs."""
    costs = np.empty(end - start)
    for i in range(end - start):
        costs[i] = _exact_cost(keys[start + i], mask, flat, h, w, inv)
    ascending = True
    for i in range(1, costs.size):
        ascending = ascending and costs[i - 1] <= costs[i]
    if not ascending:
        keys[start:end] = keys[start:end][np.argsort(costs, kind='mergesort')]


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


@numba.njit(cache=True, inline='always')
def _join_bound(value, index_bits, inc, flat, a, b):
    """``float32(cost + inc)`` for the edge ``(a, b)`` whose key is ``value``: the cost lies
    within the key's last ``index_bits`` bits, ``(value - ulp, value + ulp)``; when both ends
    round to the same float32 so does the cost, else the cost is recomputed (cheaper than
    reading it: the look-up misses the cache)."""
    if value > 1e-300:  # normal: a bit of the key is 2 ** (exponent - 53)
        ulp = math.ldexp(1.0, math.frexp(value)[1] - 53 + index_bits)
        lo, hi = np.float32((value - ulp) + inc), np.float32((value + ulp) + inc)
        if lo == hi:
            return lo
    return np.float32(_cost(flat, a, b) + inc)


@numba.njit(cache=True)
def _first_pass(keys, flat, h, w, scale, index_bits, resolve):
    """Join along the edges of the sorted ``keys`` when the cost is below both components'
    internal difference plus ``scale / size``. With ``resolve`` keys of equal cost bits are
    first put in the order of their exact costs (in place). Returns the union-find forest
    (each root its component's first pixel, as scikit-image's union keeps the smaller root)
    and the sizes by root.

    Runs of equal cost c may come in any order: a component that took part in a join at cost
    c has internal difference c and bound float32(c + scale / size) > c (the caller checks that
    the smallest ``scale / size`` exceeds float32's spacing there), so it accepts every further
    edge of cost c, and a component that rejects c is not joined during the run; the run joins
    the connected parts of its accepting components, whatever the order.
    """
    n = h * w
    inv = 1.0 / max(w - 1, 1)
    mask = np.uint64((1 << index_bits) - 1)
    parent = np.arange(n).astype(np.int32)
    size = np.ones(n, np.int32)
    # per root: scikit-image's bound, kept in float32 as it does; key < bound <=> cost < bound
    bound = np.full(n, np.float32(0.0 + scale / 1.0), np.float32)
    values = keys.view(np.float64)
    group_end = 0
    for k in range(keys.size):
        key = keys[k]
        if resolve and k >= group_end:
            j = k + 1
            while j < keys.size and (keys[j] | mask) == (key | mask):
                j += 1
            group_end = j
            if j - k > 1:
                _order_run(keys, k, j, mask, flat, h, w, inv)
                key = keys[k]
        a, b = _edge_ends(np.int64(key & mask), h, w, inv)
        if parent[a] == parent[b]:
            continue  # the same parent, the same component
        ra, rb = _find(parent, a), _find(parent, b)
        if ra == rb:
            continue
        if values[k] < min(bound[ra], bound[rb]):
            lo, hi = min(ra, rb), max(ra, rb)
            parent[hi] = lo
            size[lo] = size[ra] + size[rb]
            bound[lo] = _join_bound(values[k], index_bits, scale / np.float64(size[lo]), flat, a, b)
    return parent, size


@numba.njit(cache=True)
def _small_pass(keys, index_bits, flat, h, w, min_size, parent, size, check_ties):
    """Join components smaller than ``min_size`` along the edges of the sorted ``keys`` (in
    place). Returns False when ``check_ties`` finds a run of equal cost whose order could
    change its joins (the forest is then partly changed; the caller repeats the pass in
    numpy's order), else True.

    A run's joinable edges (one end small when the run starts) link its components into
    groups; a group is order-free when it links two components, or when it holds at most one
    large component and its small ones together stay below ``min_size`` (every set of its
    small components is then small, so no edge of the group is refused, in any order).
    Checked as the run is joined in this order: a refused edge with an end grown in the run,
    or a join making a group beyond those bounds, fails the check.
    """
    n = h * w
    inv = 1.0 / max(w - 1, 1)
    mask = np.uint64((1 << index_bits) - 1)
    small = np.empty(n, np.bool_)
    for p in range(n):  # components only grow: an edge between two large ones never joins
        small[p] = size[_find(parent, p)] < min_size
    # per root, valid while stamp == the run: components, large ones, size of small ones
    stamp = np.full(n if check_ties else 0, -1, np.int64)
    parts = np.empty(n if check_ties else 0, np.int32)
    large = np.empty(n if check_ties else 0, np.int32)
    small_sum = np.empty(n if check_ties else 0, np.int64)
    run, last_key, last_cost = -1, ~np.uint64(0), -1.0
    for k in range(keys.size):
        key = keys[k]
        a, b = _edge_ends(np.int64(key & mask), h, w, inv)
        if not (small[a] or small[b]):
            continue
        ra, rb = _find(parent, a), _find(parent, b)
        if ra == rb:
            continue
        joins = size[ra] < min_size or size[rb] < min_size
        if check_ties:
            if (key | mask) != (last_key | mask):
                run, last_cost = k, -1.0
            else:  # equal cost bits: compare the exact costs
                if last_cost < 0:
                    last_cost = _exact_cost(last_key, mask, flat, h, w, inv)
                cost = _cost(flat, a, b)
                if cost != last_cost:
                    run = k
                last_cost = cost
            last_key = key
            for r in (ra, rb):
                if stamp[r] != run:
                    stamp[r] = run
                    parts[r] = 1
                    large[r] = size[r] >= min_size
                    small_sum[r] = 0 if large[r] else size[r]
            if not joins:
                if parts[ra] > 1 or parts[rb] > 1:
                    return False
                continue
            lo = min(ra, rb)
            parts[lo], large[lo] = parts[ra] + parts[rb], large[ra] + large[rb]
            small_sum[lo] = small_sum[ra] + small_sum[rb]
            if parts[lo] > 2 and (large[lo] > 1 or small_sum[lo] >= min_size):
                return False
        if joins:
            lo, hi = min(ra, rb), max(ra, rb)
            parent[hi] = lo
            size[lo] = size[ra] + size[rb]
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


def _numpy_keys(costs, index_bits):
    """Keys of the edges in ``np.argsort(costs)`` order (numpy's default sort, as
    scikit-image): each sorted cost's bits, the low ones replaced by its edge index."""
    order = np.argsort(costs).astype(np.uint64)
    low = np.uint64((1 << index_bits) - 1)
    return (costs[order].view(np.uint64) & ~low) | order


def felzenszwalb(img, scale=1.0, sigma=0.8, min_size=20):
    """Labels of ``skimage.segmentation.felzenszwalb(img_as_float(img), scale, sigma,
    min_size)`` for an (H, W, C) or (H, W) image: (H, W) int64, 0..n-1 in raster order."""
    im = np.ascontiguousarray(smoothed(img, sigma))
    h, w = im.shape[:2]
    if h < 2 or w < 2:
        raise ValueError(f'felzenszwalb needs an image of at least 2x2 pixels, got {h}x{w}')
    n_edges = 4 * h * w - 3 * (h + w) + 2
    index_bits = max(1, int(n_edges - 1).bit_length())
    if index_bits > MAX_INDEX_BITS:
        raise ValueError(
            f'felzenszwalb: a {h}x{w} image has too many edges ({n_edges}, at '
            f'most 2 ** {MAX_INDEX_BITS})'
        )
    flat = im.reshape(h * w, -1)
    scale = float(scale) / 255.0
    min_size = int(min_size)
    keys, largest = _edge_costs(im, index_bits)
    keys = keys.view(np.uint64)
    # Any ascending order gives scikit-image's first pass when a joined component's float32
    # bound stays above its cost (see _first_pass): scale / (h w) at least float32's spacing
    # at the largest bound. Otherwise, numpy's order throughout.
    if scale / (h * w) >= float(np.spacing(np.float32(largest + scale))):
        keys.view(np.float64).sort()  # numpy's vectorised value sort
        parent, size = _first_pass(keys, flat, h, w, scale, index_bits, True)
        kept = parent.copy(), size.copy()
        if _small_pass(keys, index_bits, flat, h, w, min_size, parent, size, True):
            return _labels(parent, h, w)
        parent, size = kept
        order = np.argsort(_edge_costs(im)[0]).astype(np.uint64)
        _small_pass(order, 63, flat, h, w, min_size, parent, size, False)
        return _labels(parent, h, w)
    keys = _numpy_keys(_edge_costs(im)[0], index_bits)
    parent, size = _first_pass(keys, flat, h, w, scale, index_bits, False)
    _small_pass(keys, index_bits, flat, h, w, min_size, parent, size, False)
    return _labels(parent, h, w)
