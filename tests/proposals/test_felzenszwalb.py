"""dpt's compiled Felzenszwalb segmentation against scikit-image's, label for label."""

import numpy as np
import pytest
from proposals.soco_photos import build_photo, recipes
from scipy import ndimage
from skimage.segmentation import felzenszwalb as skimage_felzenszwalb
from skimage.util import img_as_float

from dpt.proposals import felzenszwalb
from dpt.proposals.felzenszwalb import _edge_costs, _first_pass, _labels, _small_pass, smoothed

# rocket_x2 (a 2x nearest upscale) has long runs of equal edge costs; the small-segment pass
# proves their order irrelevant (test_argsort_order_where_ties_matter: where it cannot)
PHOTOS = ['chelsea', 'astronaut', 'immunohistochemistry', 'rocket_x2']


@pytest.mark.parametrize('name', PHOTOS)
def test_same_labels_as_skimage(name):
    img = build_photo(recipes()[name])
    want = skimage_felzenszwalb(img_as_float(img), scale=300, sigma=0.9, min_size=100)
    got = felzenszwalb(img, scale=300, sigma=0.9, min_size=100)
    assert got.dtype == np.int64 and got.shape == img.shape[:2]
    np.testing.assert_array_equal(got, want)


def test_other_settings_and_grey():
    img = build_photo(recipes()['coffee'])[::2, ::2]
    for scale, sigma, min_size in ((1, 0.8, 20), (100, 0.5, 50), (1000, 1.5, 10)):
        want = skimage_felzenszwalb(img_as_float(img), scale=scale, sigma=sigma, min_size=min_size)
        np.testing.assert_array_equal(felzenszwalb(img, scale, sigma, min_size), want)
    grey = np.ascontiguousarray(img[..., 1])
    want = skimage_felzenszwalb(
        img_as_float(grey), scale=300, sigma=0.9, min_size=100, channel_axis=None
    )
    np.testing.assert_array_equal(felzenszwalb(grey, 300, 0.9, 100), want)


def test_edge_costs_bitwise():
    """The costs scikit-image computes with numpy (right, down, down-right, up-right), and the
    sort keys: each cost's bits with the low ones replaced by the edge index."""
    im = np.ascontiguousarray(smoothed(build_photo(recipes()['chelsea']), 0.9))
    h, w = im.shape[:2]

    def cost(a, b):
        return np.sqrt(np.sum((a - b) * (a - b), axis=-1)).ravel()

    want = np.hstack(
        [
            cost(im[:, 1:], im[:, : w - 1]),
            cost(im[1:], im[: h - 1]),
            cost(im[1:, 1:], im[: h - 1, : w - 1]),
            cost(im[1:, : w - 1], im[: h - 1, 1:]),
        ]
    )
    got, largest = _edge_costs(im)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, want)
    assert largest == want.max()
    bits = int(want.size - 1).bit_length()
    low = np.uint64((1 << bits) - 1)
    keys = _edge_costs(im, bits)[0].view(np.uint64)
    np.testing.assert_array_equal(keys & ~low, want.view(np.uint64) & ~low)
    np.testing.assert_array_equal(keys & low, np.arange(want.size, dtype=np.uint64))
    # sorted by value, then put in exact cost order by the greedy pass (equal cost bits)
    keys.view(np.float64).sort()
    _first_pass(keys, im.reshape(h * w, -1), h, w, 300 / 255, bits, True)
    np.testing.assert_array_equal(want[(keys & low).astype(np.int64)], np.sort(want))
    want_smooth = ndimage.gaussian_filter(
        img_as_float(build_photo(recipes()['chelsea'])), [0.9, 0.9, 0], mode='reflect'
    )
    np.testing.assert_array_equal(im, want_smooth)


def run_of_equal_costs(row, edges, min_size=5, h=4):
    """The small-segment pass's tie check on a forest whose rows are split as ``row`` (the
    component of each column, the same in every row), over the right edges ``edges`` of row
    0 (edge index = column), all of cost 0.25."""
    w = len(row)
    parent = np.array([y * w + row.index(row[x]) for y in range(h) for x in range(w)], np.int32)
    size = np.bincount(parent, minlength=h * w).astype(np.int32)
    im = (0.25 * np.arange(w, dtype=np.float64))[None, :, None].repeat(h, 0)
    bits = 7
    keys = _edge_costs(im, bits)[0].view(np.uint64)[edges]
    return _small_pass(keys, bits, im.reshape(h * w, 1), h, w, min_size, parent, size, True)


def test_tie_check_refuses_a_run_that_shares_a_small_segment():
    """Two edges of equal cost from one small segment to two large ones: which one joins
    depends on their order, so the small-segment pass must refuse any order but numpy's."""
    # column 9 alone between the segments 0..8 and 10..19 (min_size 5)
    row = [0] * 9 + [9] + [10] * 10
    assert not run_of_equal_costs(row, [8, 9])
    assert run_of_equal_costs(row, [8])  # one edge: any order


def test_tie_check_accepts_a_run_that_cannot_depend_on_order():
    """Small segments of together less than ``min_size`` and one large one, linked by a run
    of equal cost: every order joins them all; a second large segment makes it refuse."""
    row = [0] * 9 + [9, 10, 11] + [12] * 8  # columns 9, 10, 11 alone (min_size 5)
    assert run_of_equal_costs(row, [8, 9, 10])
    assert not run_of_equal_costs(row, [8, 9, 10, 11])


def test_argsort_order_where_ties_matter():
    """A blocky image (4x nearest upscale of 4 grey levels) has runs of equal cost whose order
    the small-segment pass cannot prove irrelevant: it is redone in numpy's argsort order and
    still gives scikit-image's labels."""
    rng = np.random.default_rng(0)
    img = np.repeat(np.repeat(rng.integers(0, 4, (12, 12, 3), dtype=np.uint8) * 60, 4, 0), 4, 1)
    im = np.ascontiguousarray(smoothed(img, 0.5))
    h, w = im.shape[:2]
    bits = int(4 * h * w - 3 * (h + w) + 1).bit_length()
    keys = _edge_costs(im, bits)[0].view(np.uint64)
    keys.view(np.float64).sort()
    flat = im.reshape(h * w, -1)
    parent, size = _first_pass(keys, flat, h, w, 300 / 255, bits, True)
    kept = parent.copy(), size.copy()
    assert not _small_pass(keys, bits, flat, h, w, 20, parent, size, True)  # the fall-back
    want = skimage_felzenszwalb(img_as_float(img), scale=300, sigma=0.5, min_size=20)
    np.testing.assert_array_equal(felzenszwalb(img, 300, 0.5, 20), want)
    # and the order matters here: the pass in the keys' order gives other segments
    parent, size = kept
    _small_pass(keys, bits, flat, h, w, 20, parent, size, False)
    assert not np.array_equal(_labels(parent, h, w), want)
