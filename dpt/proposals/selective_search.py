"""SoCo's selective search, box for box, compiled.

Uijlings et al., "Selective Search for Object Recognition" (IJCV 2013): Felzenszwalb-Huttenlocher
segments are merged greedily, the most similar pair of neighbours first; every region of the
hierarchy is a proposal. AlignDet's proposals came from SoCo's code for it (hologerry/SoCo,
``selective_search/selective_search.py``, the AlpacaDB ``selectivesearch`` package with LBP
texture), called by ``selective_search/generate_imagenet_ss_proposals.py`` with ``scale=300,
sigma=0.9, min_size=100``. :func:`selective_search` returns exactly the boxes of that call, in
its order; docs/proposals.md has the side-by-side table. What it computes, as SoCo does:

* segments: ``skimage.segmentation.felzenszwalb`` of the image as float (:mod:`.felzenszwalb`
  gives the same labels, faster), numbered by their first pixel in raster order;
* per segment: pixel count, box (first and last pixel index), a colour histogram of
  ``skimage.color.rgb2hsv`` of the 0..255 float image, 25 bins per channel over [0, 255], and a
  texture histogram of ``skimage.feature.local_binary_pattern(channel, 8, 1.0)`` per RGB
  channel, 10 bins over [0, 255]; each histogram divided by the pixel count. Original's
  behaviour, kept: H and S lie in [0, 1], so both always fall into their first bin (colour
  similarity is 2 + the V intersection), and the LBP codes of the float image are compared
  after bilinear interpolation, as scikit-image does;
* neighbours: pairs ``(a, b)``, ``a`` before ``b``, where a corner of ``b``'s box lies strictly
  inside ``a``'s box (original's behaviour, kept: not symmetric, touching regions can be missed);
* similarity: colour + texture + size + fill (``(x2 - x1) * (y2 - y1)`` box areas), summed as
  SoCo's Python code sums them (sequentially, in float64);
* grouping: repeatedly merge the pair of highest similarity; among equal similarities the pair
  entered last into SoCo's similarity dict (its stable sort takes the last maximum); the new
  region's similarities to the neighbours of both are entered in the dict order of the pairs
  they replace;
* output: every region, the segments first, then each merged region as it was made.

Boxes are ``(x1, y1, x2, y2)`` with ``x2``/``y2`` the index of the last pixel (SoCo's ``rect``
is ``(x1, y1, x2 - x1, y2 - y1)``), so ``x2 - x1`` is the width SoCo's filters test.
"""

import numba
import numpy as np

from .felzenszwalb import felzenszwalb

SOCO_SEGMENTATION = dict(scale=300, sigma=0.9, min_size=100)  # SoCo's generate script
COLOUR_BINS = 25  # SoCo's _calc_colour_hist
TEXTURE_BINS = 10  # SoCo's _calc_texture_hist


def _bin_table(bins):
    """Bin of each value 0..255 in ``np.histogram(values, bins, (0.0, 255.0))``, computed by
    numpy itself (its edge rounding decides where e.g. 51.0 falls)."""
    return np.array(
        [int(np.argmax(np.histogram([float(v)], bins, (0.0, 255.0))[0])) for v in range(256)],
        np.int64,
    )


_COLOUR_TABLE = _bin_table(COLOUR_BINS)
_TEXTURE_TABLE = _bin_table(TEXTURE_BINS)
# skimage.feature.local_binary_pattern's circle of P = 8 points at R = 1, rounded to 5 decimals
_LBP_ROWS = np.round(-np.sin(2 * np.pi * np.arange(8, dtype=np.float64) / 8), 5)
_LBP_COLS = np.round(np.cos(2 * np.pi * np.arange(8, dtype=np.float64) / 8), 5)


@numba.njit(cache=True, inline='always')
def _sample(image, y, x, h, w, c):
    if 0 <= y < h and 0 <= x < w:
        return np.float64(image[y, x, c])
    return 0.0


@numba.njit(cache=True, inline='always')
def _lbp_inside(image, r, c, ch, r_lo, r_hi, r_f, c_lo, c_hi, c_f):
    """One pixel's LBP code when all its samples are inside the image."""
    centre = np.float64(image[r, c, ch])
    code = 0
    for i in range(r_lo.shape[1]):
        y0, y1, x0, x1 = r_lo[r, i], r_hi[r, i], c_lo[c, i], c_hi[c, i]
        dr, dc = r_f[r, i], c_f[c, i]
        top = (1 - dc) * np.float64(image[y0, x0, ch]) + dc * np.float64(image[y0, x1, ch])
        bottom = (1 - dc) * np.float64(image[y1, x0, ch]) + dc * np.float64(image[y1, x1, ch])
        if (1 - dr) * top + dr * bottom - centre >= 0:
            code += 1 << i
    return code


@numba.njit(cache=True)
def _lbp_codes(image, rows, cols):
    """``local_binary_pattern(image[..., c].astype(float), 8, 1.0)`` ('default' method) of each
    channel of a uint8 image, as integers (C, H, W): scikit-image's bilinear interpolation at
    ``(r + rows[i], c + cols[i])`` (0 outside the image) and its test ``value - centre >= 0``,
    with the same float operations. The floors, ceils and fractions of the sample positions
    depend only on the row (column), so they are computed once per row (column)."""
    h, w, nc = image.shape
    p = rows.shape[0]
    r_lo, r_hi, r_f = np.empty((h, p), np.int64), np.empty((h, p), np.int64), np.empty((h, p))
    c_lo, c_hi, c_f = np.empty((w, p), np.int64), np.empty((w, p), np.int64), np.empty((w, p))
    for i in range(p):
        for r in range(h):
            rr = r + rows[i]
            r_lo[r, i], r_hi[r, i] = np.int64(np.floor(rr)), np.int64(np.ceil(rr))
            r_f[r, i] = rr - r_lo[r, i]
        for c in range(w):
            cc = c + cols[i]
            c_lo[c, i], c_hi[c, i] = np.int64(np.floor(cc)), np.int64(np.ceil(cc))
            c_f[c, i] = cc - c_lo[c, i]
    row_in = np.empty(h, np.bool_)  # every sample of the row (column) inside the image
    for r in range(h):
        row_in[r] = r_lo[r].min() >= 0 and r_hi[r].max() < h
    col_in = np.empty(w, np.bool_)
    for c in range(w):
        col_in[c] = c_lo[c].min() >= 0 and c_hi[c].max() < w
    out = np.empty((nc, h, w), np.uint8)  # codes 0..255
    for ch in range(nc):
        for r in range(h):
            for c in range(w):
                if row_in[r] and col_in[c]:
                    out[ch, r, c] = _lbp_inside(image, r, c, ch, r_lo, r_hi, r_f, c_lo, c_hi, c_f)
                    continue
                centre = np.float64(image[r, c, ch])
                code = 0
                for i in range(p):
                    y0, y1, x0, x1 = r_lo[r, i], r_hi[r, i], c_lo[c, i], c_hi[c, i]
                    dr, dc = r_f[r, i], c_f[c, i]
                    top = (1 - dc) * _sample(image, y0, x0, h, w, ch) + dc * _sample(
                        image, y0, x1, h, w, ch
                    )
                    bottom = (1 - dc) * _sample(image, y1, x0, h, w, ch) + dc * _sample(
                        image, y1, x1, h, w, ch
                    )
                    if (1 - dr) * top + dr * bottom - centre >= 0:
                        code += 1 << i
                out[ch, r, c] = code
    return out


@numba.njit(cache=True)
def _region_features(img, labels, n, lbp, colour_table, texture_table):
    """SoCo's ``_extract_regions``: sizes, boxes, colour (75) and texture (30) histograms."""
    h, w = labels.shape
    size = np.zeros(n, np.int64)
    box = np.empty((n, 4), np.int64)
    box[:, :2] = 0xFFFF
    box[:, 2:] = 0
    colour = np.zeros((n, 3 * 25))
    texture = np.zeros((n, 3 * 10))
    for y in range(h):
        for x in range(w):
            k = labels[y, x]
            size[k] += 1
            box[k, 0] = min(box[k, 0], x)
            box[k, 1] = min(box[k, 1], y)
            box[k, 2] = max(box[k, 2], x)
            box[k, 3] = max(box[k, 3], y)
            v = max(img[y, x, 0], img[y, x, 1], img[y, x, 2])  # rgb2hsv's V
            colour[k, 0] += 1  # H in [0, 1): first bin of [0, 255]
            colour[k, 25] += 1  # S in [0, 1]: first bin too
            colour[k, 50 + colour_table[v]] += 1
            for c in range(3):
                texture[k, 10 * c + texture_table[lbp[c, y, x]]] += 1
    for k in range(n):
        colour[k] = colour[k] / size[k]
        texture[k] = texture[k] / size[k]
    return size, box, colour, texture


@numba.njit(cache=True)
def _corner_inside(a, b):
    """SoCo's ``intersect(a, b)``: a corner of box ``b`` strictly inside box ``a``."""
    x_lo = a[0] < b[0] < a[2]
    x_hi = a[0] < b[2] < a[2]
    y_lo = a[1] < b[1] < a[3]
    y_hi = a[1] < b[3] < a[3]
    return (x_lo and y_lo) or (x_hi and y_hi) or (x_lo and y_hi) or (x_hi and y_lo)


@numba.njit(cache=True)
def _similarity(colour, texture, size, box, a, b, image_area):
    """SoCo's ``_calc_sim``, with its Python sums (left to right, from 0) kept."""
    sc = 0.0
    for i in range(colour.shape[1]):
        sc += min(colour[a, i], colour[b, i])
    st = 0.0
    for i in range(texture.shape[1]):
        st += min(texture[a, i], texture[b, i])
    s_size = 1.0 - (size[a] + size[b]) / image_area
    bb = (max(box[a, 2], box[b, 2]) - min(box[a, 0], box[b, 0])) * (
        max(box[a, 3], box[b, 3]) - min(box[a, 1], box[b, 1])
    )
    s_fill = 1.0 - (bb - size[a] - size[b]) / image_area
    return sc + st + s_size + s_fill


@numba.njit(cache=True)
def _push(heap_s, heap_q, count, s, q):
    """Max-heap on (similarity, entry number): the later entry wins a tie."""
    i = count
    heap_s[i], heap_q[i] = s, q
    while i > 0:
        p = (i - 1) // 2
        if heap_s[p] > heap_s[i] or (heap_s[p] == heap_s[i] and heap_q[p] > heap_q[i]):
            break
        heap_s[p], heap_s[i] = heap_s[i], heap_s[p]
        heap_q[p], heap_q[i] = heap_q[i], heap_q[p]
        i = p
    return count + 1


@numba.njit(cache=True)
def _pop(heap_s, heap_q, count):
    q = heap_q[0]
    count -= 1
    heap_s[0], heap_q[0] = heap_s[count], heap_q[count]
    i = 0
    while True:
        left, best = 2 * i + 1, i
        for j in (left, left + 1):
            if j < count and (
                heap_s[j] > heap_s[best] or (heap_s[j] == heap_s[best] and heap_q[j] > heap_q[best])
            ):
                best = j
        if best == i:
            break
        heap_s[best], heap_s[i] = heap_s[i], heap_s[best]
        heap_q[best], heap_q[i] = heap_q[i], heap_q[best]
        i = best
    return q, count


@numba.njit(cache=True)
def _grow(a, n):
    out = np.empty(max(n, 2 * a.shape[0]), a.dtype)
    out[: a.shape[0]] = a
    return out


@numba.njit(cache=True)
def _enter(entries, count, m, head, a, b, s):
    """Enter the pair ``(a, b)`` of similarity ``s`` as entry ``m``: on both regions' chains
    and on the heap. ``entries`` holds the arrays ``(ea, eb, next_a, next_b, heap_s,
    heap_q)``; they grow when full. Returns them and the new counts."""
    ea, eb, next_a, next_b, heap_s, heap_q = entries
    if m == ea.shape[0]:
        ea, eb, next_a, next_b = _grow(ea, 0), _grow(eb, 0), _grow(next_a, 0), _grow(next_b, 0)
        heap_s, heap_q = _grow(heap_s, 0), _grow(heap_q, 0)
    ea[m], eb[m] = a, b
    next_a[m], next_b[m] = head[a], head[b]
    head[a] = m
    head[b] = m
    count = _push(heap_s, heap_q, count, s, m)
    return (ea, eb, next_a, next_b, heap_s, heap_q), count, m + 1


@numba.njit(cache=True)
def _hierarchical_grouping(size0, box0, colour0, texture0, image_area):
    """SoCo's grouping loop; returns the boxes of all regions in SoCo's order.

    SoCo keeps the similarities in a dict, keyed by region pair in the order the pairs were
    entered; entry numbers here are that order. A pair is in the dict while both its regions
    are unmerged, so each region's chain of entries, filtered by that, is its part of the dict.
    """
    n = size0.shape[0]
    total = max(2 * n - 1, 1)
    size = np.zeros(total, np.int64)
    box = np.zeros((total, 4), np.int64)
    colour = np.zeros((total, colour0.shape[1]))
    texture = np.zeros((total, texture0.shape[1]))
    size[:n] = size0
    box[:n] = box0
    colour[:n] = colour0
    texture[:n] = texture0
    alive = np.zeros(total, np.bool_)
    alive[:n] = True
    # entries: region pair, and per region a linked list of its entries (newest first)
    cap = 16 * n + 16
    ea, eb = np.empty(cap, np.int64), np.empty(cap, np.int64)
    next_a, next_b = np.empty(cap, np.int64), np.empty(cap, np.int64)
    head = np.full(total, -1, np.int64)
    heap_s, heap_q = np.empty(cap), np.empty(cap, np.int64)
    entries = (ea, eb, next_a, next_b, heap_s, heap_q)
    m = 0
    count = 0
    for a in range(n - 1):
        for b in range(a + 1, n):
            if _corner_inside(box[a], box[b]):
                s = _similarity(colour, texture, size, box, a, b, image_area)
                entries, count, m = _enter(entries, count, m, head, a, b, s)
    t = n
    found = np.empty(0, np.int64)
    seen = np.full(total, -1, np.int64)
    while count:
        # an entry never changes once entered (growing copies it), so the loop over `order`
        # below may read these arrays after an _enter has grown `entries`
        ea, eb, next_a, next_b, heap_s, heap_q = entries
        q, count = _pop(heap_s, heap_q, count)
        i, j = ea[q], eb[q]
        if not (alive[i] and alive[j]):
            continue  # deleted from SoCo's dict when one of its regions merged
        si, sj = size[i], size[j]
        size[t] = si + sj
        box[t, 0] = min(box[i, 0], box[j, 0])
        box[t, 1] = min(box[i, 1], box[j, 1])
        box[t, 2] = max(box[i, 2], box[j, 2])
        box[t, 3] = max(box[i, 3], box[j, 3])
        colour[t] = (colour[i] * si + colour[j] * sj) / size[t]
        texture[t] = (texture[i] * si + texture[j] * sj) / size[t]
        alive[i] = alive[j] = False
        # the dict's pairs with i or j (both ends alive before this merge), in dict order
        k = 0
        for r in (i, j):
            e = head[r]
            while e != -1:
                other = eb[e] if ea[e] == r else ea[e]
                if alive[other]:
                    if k == found.shape[0]:
                        found = _grow(found, 16)
                    found[k] = e
                    k += 1
                e = next_a[e] if ea[e] == r else next_b[e]
        order = np.sort(found[:k])
        alive[t] = True
        for e in order:
            other = eb[e] if alive[eb[e]] else ea[e]
            if seen[other] == t:
                continue  # SoCo sets the same key again: it keeps its first place
            seen[other] = t
            s = _similarity(colour, texture, size, box, t, other, image_area)
            entries, count, m = _enter(entries, count, m, head, t, other, s)
        t += 1
    return box[:t]


def segment(img, scale=300, sigma=0.9, min_size=100):
    """Felzenszwalb segments of an RGB ``uint8`` image as SoCo makes them: labels 0..n-1,
    numbered by first pixel in raster order (= SoCo's region numbers)."""
    return felzenszwalb(img, scale=scale, sigma=sigma, min_size=min_size)


def region_features(img, labels):
    """SoCo's per-segment sizes, boxes and L1-normalised colour / texture histograms."""
    img = np.ascontiguousarray(img, np.uint8)
    n = int(labels.max()) + 1
    lbp = _lbp_codes(img, _LBP_ROWS, _LBP_COLS)
    size, box, colour, texture = _region_features(
        img, labels, n, lbp, _COLOUR_TABLE, _TEXTURE_TABLE
    )
    return dict(size=size, box=box, colour=colour, texture=texture)


def selective_search(img, scale=300, sigma=0.9, min_size=100):
    """Boxes of SoCo's ``selective_search(img, scale, sigma, min_size)`` for an RGB ``uint8``
    image, in its order: (N, 4) float32 ``(x1, y1, x2, y2)``, last-pixel convention."""
    img = np.asarray(img)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f'selective_search needs an (H, W, 3) image, got shape {img.shape}')
    if img.dtype != np.uint8:
        raise ValueError(f'selective_search needs a uint8 image, got {img.dtype}')
    labels = segment(img, scale=scale, sigma=sigma, min_size=min_size)
    f = region_features(img, labels)
    boxes = _hierarchical_grouping(
        f['size'], f['box'], f['colour'], f['texture'], float(labels.size)
    )
    return boxes.astype(np.float32)
