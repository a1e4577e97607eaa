"""The one NMS: torchvision's kernel, and maskrcnn-benchmark's (DAP) with its +1 pixel sides
and its drop at overlap >= the threshold."""

import numpy as np
import pytest
import torch

from dpt.utils.boxes import nms


def test_torchvision_kernel_is_torchvisions_op():
    from torchvision.ops import nms as tv_nms

    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 50, (60, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(5, 30, (60, 2))], 1).astype(np.float32)
    scores = rng.uniform(0, 1, 60).astype(np.float32)
    ref = tv_nms(torch.from_numpy(boxes), torch.from_numpy(scores), 0.5).numpy()
    assert np.array_equal(nms(boxes, scores, 0.5), ref) and 0 < len(ref) < 60
    assert nms(np.zeros((0, 4)), np.zeros(0), 0.5).dtype == np.int64


def test_kernels_differ_where_the_originals_do():
    # sides 2 x 3 with +1 (area 6 each, overlap 4: IoU exactly 0.5), 1 x 2 without (IoU 1/3)
    boxes = np.array([[0, 0, 1, 2], [0, 1, 1, 3]], np.float32)
    scores = np.array([0.9, 0.8], np.float32)
    assert nms(boxes, scores, 0.5, kernel='maskrcnn_benchmark').tolist() == [0]  # >= 0.5
    assert nms(boxes, scores, 0.5).tolist() == [0, 1]
    assert nms(boxes, scores, 0.51, kernel='maskrcnn_benchmark').tolist() == [0, 1]
    # highest score first, whatever the input order
    assert nms(boxes[::-1], scores[::-1], 0.5, kernel='maskrcnn_benchmark').tolist() == [1]
    with pytest.raises(ValueError, match="kernel='mmcv'"):
        nms(boxes, scores, 0.5, kernel='mmcv')
