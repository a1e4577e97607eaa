"""DAP's box fit on hand-made maps with known answers: moments, the 1-cell minimum side,
strict thresholds, the component rule, moments over the component's rectangle, DAP's NMS
ranking and maskrcnn-benchmark's +1 overlap convention. (Bit-level agreement with the
original code: test_parity.py.)"""

import numpy as np
import pytest
import torch

from dpt.pseudo_boxes import (
    CamSettings,
    baseline_box,
    boxes_from_cam,
    cam_boxes,
    fuse_scales,
    moment_box,
    nms_boxes,
)


def test_uniform_rectangle_gives_its_box():
    """sqrt(12 Var) of a uniform w-cell run is sqrt(w^2 - 1): 19.97 for 20 cells."""
    w = np.zeros((40, 60))
    w[10:30, 5:45] = 1
    x0, y0, x1, y1 = moment_box(w)
    assert (x0 + x1) / 2 == pytest.approx(25) and (y0 + y1) / 2 == pytest.approx(20)
    assert x1 - x0 == pytest.approx(np.sqrt(40**2 - 1), rel=1e-5)
    assert y1 - y0 == pytest.approx(np.sqrt(20**2 - 1), rel=1e-5)


def test_one_cell_wide_component_gets_a_one_cell_side():
    cam = np.zeros((10, 10))
    cam[2:8, 4] = 1.0  # zero variance across: DAP's max(1, .) keeps a 1-cell width
    ((x0, y0, x1, y1),) = boxes_from_cam(cam, CamSettings(thresholds=(0.5,)))
    assert (x0, x1) == pytest.approx((4.0, 5.0)) and y1 - y0 == pytest.approx(np.sqrt(35))
    assert boxes_from_cam(cam, CamSettings(thresholds=(0.5,), min_side=0.0))[0, 2] == pytest.approx(
        4.5
    )  # without it the box would have no width


def test_threshold_is_strict():
    cam = np.zeros((6, 6))
    cam[1:3, 1:3] = 0.3
    assert len(boxes_from_cam(cam, CamSettings(thresholds=(0.3,)))) == 0
    assert len(boxes_from_cam(cam, CamSettings(thresholds=(0.29,)))) == 1


def test_moments_use_every_cell_above_the_threshold_in_the_rectangle():
    cam = np.zeros((12, 12))
    cam[1:11, 1] = cam[1, 1:11] = cam[1:11, 10] = 1.0  # a U-shaped component ...
    cam[8:10, 4:7] = 1.0  # ... with another one inside its rectangle
    first = boxes_from_cam(cam, CamSettings(thresholds=(0.5,), max_boxes=1))[0]
    u_only = cam.copy()
    u_only[8:10, 4:7] = 0
    alone = boxes_from_cam(u_only, CamSettings(thresholds=(0.5,), max_boxes=1))[0]
    assert first[1] + first[3] > alone[1] + alone[3]  # the inner cells pull the centre down


def test_components_half_the_largest_rectangle_at_most_four():
    cam = np.zeros((60, 60))
    for i in range(6):  # six equal blobs
        cam[2 + 10 * i : 8 + 10 * i, 2:8] = 1
    assert len(boxes_from_cam(cam, CamSettings(thresholds=(0.5,)))) == 4
    cam = np.zeros((50, 50))
    cam[5:25, 5:25] = 1.0
    cam[30:40, 30:40] = 1.0  # 100 < 0.5 x 400: dropped
    assert len(boxes_from_cam(cam, CamSettings(thresholds=(0.5,)))) == 1
    cam[30:45, 30:45] = 1.0  # 225 >= 200: kept
    assert len(boxes_from_cam(cam, CamSettings(thresholds=(0.5,)))) == 2


def test_fused_map_is_not_normalised_again():
    small = torch.tensor([[[0.0, 1.0]]])  # peak on the right
    large = torch.tensor([[[1.0, 0.0, 0.0, 0.0]]])  # peak on the left
    fused = fuse_scales([small, large])
    assert fused.tolist() == [[[0.5, 0.0, 0.5, 0.5]]]  # nearest upsampling, max 0.5


def test_image_boxes_scores_and_clipping():
    cam = np.zeros((4, 6))
    cam[0:2, 0:3] = 1.0
    cam[2:4, 4:6] = 0.9
    b = cam_boxes(cam, 10.0, (55, 38), CamSettings(thresholds=(0.5,)))
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    assert b[0, 4] == 1.0 and b[1, 4] == pytest.approx(area[1] / area[0])
    assert b[1, 2] == 54 and b[1, 3] == 37  # clipped to w - 1, h - 1 as DAP does


def test_nms_plus_one_overlap_and_input_order():
    # IoU 0.795 as continuous boxes, 0.8 with maskrcnn-benchmark's +1 areas: suppressed
    small = [0, 0, 9, 9.5]
    boxes = np.array([small + [0.5], [0, 0, 9, 12] + [1.0]], np.float32)
    kept = nms_boxes(boxes, 0.8)
    assert kept.tolist() == boxes[1:].tolist()
    # kept rows stay in input order, not score order
    far = np.array([[0, 0, 5, 5, 0.2], [20, 20, 30, 30, 1.0]], np.float32)
    assert nms_boxes(far, 0.5).tolist() == far.tolist()


def test_baseline_is_the_tight_box_of_the_largest_component():
    cam = np.zeros((50, 50))
    cam[5:25, 5:25] = 1.0
    cam[30:40, 30:40] = 1.0
    assert baseline_box(cam, 0.2)[0].tolist() == [5, 5, 25, 25]
    assert len(baseline_box(np.zeros((5, 5)), 0.2)) == 0
