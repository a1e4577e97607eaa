"""dpt's compiled Felzenszwalb segmentation against scikit-image's, label for label."""
import numpy as np
import pytest
from scipy import ndimage
from skimage.segmentation import felzenszwalb as skimage_felzenszwalb
from skimage.util import img_as_float
from proposals.soco_photos import build_photo, recipes

from dpt.proposals import felzenszwalb
from dpt.proposals.felzenszwalb import _sort_order, _edge_costs, _small_pass, smoothed

# rocket_x2 (a 2x nearest upscale) has runs of equal edge costs whose order matters to the
# small-segment pass: it takes numpy's argsort order, as scikit-image does
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
        want = skimage_felzenszwalb(img_as_float(img), scale=scale, sigma=sigma,
                                    min_size=min_size)
        np.testing.assert_array_equal(felzenszwalb(img, scale, sigma, min_size), want)
    grey = np.ascontiguousarray(img[..., 1])
    want = skimage_felzenszwalb(img_as_float(grey), scale=300, sigma=0.9, min_size=100,
                                channel_axis=None)
    np.testing.assert_array_equal(felzenszwalb(grey, 300, 0.9, 100), want)


def test_edge_costs_bitwise():
    """The costs scikit-image computes with numpy (right, down, down-right, up-right)."""
    im = np.ascontiguousarray(smoothed(build_photo(recipes()['chelsea']), 0.9))
    h, w = im.shape[:2]

    def cost(a, b):
        return np.sqrt(np.sum((a - b) * (a - b), axis=-1)).ravel()
    want = np.hstack([cost(im[:, 1:], im[:, :w - 1]), cost(im[1:], im[:h - 1]),
                      cost(im[1:, 1:], im[:h - 1, :w - 1]), cost(im[1:, :w - 1], im[:h - 1, 1:])])
    got = _edge_costs(im)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, want)
    order, sorted_costs = _sort_order(got)
    np.testing.assert_array_equal(sorted_costs, np.sort(got))
    np.testing.assert_array_equal(got[order], sorted_costs)
    want_smooth = ndimage.gaussian_filter(img_as_float(build_photo(recipes()['chelsea'])),
                                          [0.9, 0.9, 0], mode='reflect')
    np.testing.assert_array_equal(im, want_smooth)


def test_tie_check_refuses_a_run_that_shares_a_small_segment():
    """Two edges of equal cost from one small segment to two large ones: which one joins
    depends on their order, so the small-segment pass must refuse any order but numpy's."""
    h, w = 4, 20
    # one row of edges: pixel 9 alone between the segments 0..8 and 10..19 (min_size 5)
    parent = np.arange(h * w).astype(np.int32)
    size = np.ones(h * w)
    for p in range(h * w):
        x = p % w
        root = (p // w) * w + (0 if x < 9 else 9 if x == 9 else 10)
        parent[p] = root if x != 9 else p
    for p in range(h * w):
        if parent[p] == p:
            size[p] = float((parent == p).sum())
    # the right edges 8-9 and 9-10 of row 0 (edge index = row * (w - 1) + x), equal cost
    order = np.array([8, 9], np.int64)
    costs = np.array([0.25, 0.25])
    assert not _small_pass(order, costs, h, w, 5, parent.copy(), size.copy(), True)
    assert _small_pass(order, np.array([0.25, 0.5]), h, w, 5, parent.copy(), size.copy(), True)
