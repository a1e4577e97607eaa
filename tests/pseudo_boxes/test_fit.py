"""DAP's box fit on hand-made maps with known answers, thresholds and the component rule."""
import numpy as np
import pytest

from dpt.pseudo_boxes import CamSettings, baseline_box, boxes_from_cam, moment_box, nms_boxes


def test_uniform_rectangle_gives_its_box():
    """sqrt(12 Var) of a uniform w-cell run is sqrt(w^2 - 1): 19.97 for 20 cells."""
    w = np.zeros((40, 60))
    w[10:30, 5:45] = 1
    x0, y0, x1, y1 = moment_box(w)
    assert (x0 + x1) / 2 == pytest.approx(25) and (y0 + y1) / 2 == pytest.approx(20)
    assert x1 - x0 == pytest.approx(np.sqrt(40 ** 2 - 1))
    assert y1 - y0 == pytest.approx(np.sqrt(20 ** 2 - 1))


def test_gaussian_blob_box_is_centred_and_sized_by_sigma():
    yy, xx = np.mgrid[0:200, 0:200] + 0.5
    w = np.exp(-((xx - 80) ** 2 / (2 * 10 ** 2) + (yy - 120) ** 2 / (2 * 20 ** 2)))
    x0, y0, x1, y1 = moment_box(w)
    assert ((x0 + x1) / 2, (y0 + y1) / 2) == pytest.approx((80, 120), abs=0.01)  # tails cut
    assert (x1 - x0, y1 - y0) == pytest.approx((np.sqrt(12) * 10, np.sqrt(12) * 20), rel=1e-3)


def _two_blobs(second=1.0, size2=10):
    cam = np.zeros((50, 50))
    cam[5:25, 5:25] = 1.0
    cam[30:30 + size2, 30:30 + size2] = second
    return cam


def test_two_blobs_two_boxes_per_threshold():
    boxes = boxes_from_cam(_two_blobs(size2=16), CamSettings(thresholds=(0.5,)))
    assert len(boxes) == 2  # 16 x 16 = 256 >= 0.5 x 400
    boxes = boxes_from_cam(_two_blobs(size2=10), CamSettings(thresholds=(0.5,)))
    assert len(boxes) == 1  # 100 < 0.5 x 400: the small one is dropped
    assert boxes[0, :4] == pytest.approx([5.1, 5.1, 24.9, 24.9], abs=0.1)


def test_thresholds_and_at_most_four():
    cam = np.zeros((60, 60))
    for i in range(6):  # six equal blobs
        cam[2 + 10 * i:8 + 10 * i, 2:8] = 1
    assert len(boxes_from_cam(cam, CamSettings(thresholds=(0.5,)))) == 4
    # a dim blob is found only at the low thresholds: 2 + 2 + 1 + 1 boxes
    boxes = boxes_from_cam(_two_blobs(second=0.35, size2=20), CamSettings())
    assert len(boxes) == 6
    assert len(nms_boxes(boxes, 0.8)) == 2  # the same two boxes at every threshold


def test_offset_weighs_in_the_low_cells():
    cam = np.zeros((20, 40))
    cam[5:15, 5:35] = np.linspace(0.3, 1.0, 30)  # brighter to the right
    with_offset = boxes_from_cam(cam, CamSettings(thresholds=(0.2,)))[0]
    without = boxes_from_cam(cam, CamSettings(thresholds=(0.2,), offset=0.0))[0]
    # the offset flattens the weights: the centre moves back towards the middle (20)
    assert abs((with_offset[0] + with_offset[2]) / 2 - 20) < abs((without[0] + without[2]) / 2 - 20)


def test_baseline_is_the_tight_box_of_the_largest_component():
    box = baseline_box(_two_blobs(size2=10), 0.2)
    assert box[0, :4].tolist() == [5, 5, 25, 25]
    assert len(baseline_box(np.zeros((5, 5)), 0.2)) == 0
