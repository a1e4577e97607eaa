"""Non-maximum suppression, the one copy every box job uses.

Two kernels are reproduced, because the originals differ: torchvision's ``nms`` (SoCo's and
DETReg's proposals; box sides ``x1 - x0``, a box dropped at overlap > the threshold) and
maskrcnn-benchmark's CPU ``nms`` (``csrc/cpu/nms_cpu.cpp``, which DAP runs on its CAM boxes;
sides ``x1 - x0 + 1``, dropped at overlap >= the threshold, the threshold a C float). mmcv's
``nms(offset=1)`` has the +1 sides but drops at > only, so a tie would keep a box DAP drops.
"""

import numpy as np
import torch

NMS_KERNELS = ('torchvision', 'maskrcnn_benchmark')


def _maskrcnn_benchmark_nms(t, scores, iou_threshold):
    x0, y0, x1, y1 = t.unbind(1)
    areas = (x1 - x0 + 1) * (y1 - y0 + 1)
    order = scores.sort(0, descending=True)[1]
    thr = float(np.float32(iou_threshold))  # the kernel takes a C float
    suppressed = np.zeros(len(t), bool)
    keep = []
    for a, i in enumerate(order.tolist()):
        if suppressed[i]:
            continue
        keep.append(i)
        rest = order[a + 1 :]
        w = (torch.minimum(x1[i], x1[rest]) - torch.maximum(x0[i], x0[rest]) + 1).clamp_min(0)
        h = (torch.minimum(y1[i], y1[rest]) - torch.maximum(y0[i], y0[rest]) + 1).clamp_min(0)
        inter = w * h
        ovr = inter / (areas[i] + areas[rest] - inter)
        for j, o in zip(rest.tolist(), ovr.tolist()):
            if o >= thr and not suppressed[j]:
                suppressed[j] = True
    return np.asarray(keep, np.int64)


def nms(boxes, scores, iou_threshold, kernel='torchvision'):
    """Indices of the (N, 4) xyxy ``boxes`` that greedy NMS keeps, highest score first.

    ``kernel``: ``'torchvision'`` (torchvision's op) or ``'maskrcnn_benchmark'`` (its CPU
    kernel, +1 pixel sides, a box dropped at overlap >= ``iou_threshold``)."""
    if kernel not in NMS_KERNELS:
        raise ValueError(f'kernel={kernel!r}: choose from {", ".join(NMS_KERNELS)}')
    if len(boxes) == 0:
        return np.zeros(0, np.int64)
    t = torch.as_tensor(np.ascontiguousarray(boxes, np.float32))
    s = torch.as_tensor(np.ascontiguousarray(scores, np.float32))
    if kernel == 'maskrcnn_benchmark':
        return _maskrcnn_benchmark_nms(t, s, iou_threshold)
    from torchvision.ops import nms as tv_nms

    return tv_nms(t, s, float(iou_threshold)).numpy()
