"""Boxes from a class activation map as DAP's ``compute_cam_box`` / ``xyxy_by_moments``
fit them (``code/compute_box_imagenet1k.py``), and maskrcnn-benchmark's NMS that DAP runs.

At each threshold t: the cells with cam > t, their 4-connected components
(``scipy.ndimage.label``) and each component's bounding rectangle; rectangles in order of
decreasing area (``np.argsort(...)[::-1]``), kept while their area is at least half the
largest's, at most 4. A kept rectangle's box is the moments of ``(cam + 0.22)`` on the cells
above t INSIDE THE RECTANGLE (cells of other components there count too): the centre of
mass (cell i's centre at i + 0.5), width ``max(1, sqrt(12 Var_x))``, height
``max(1, sqrt(12 Var_y))`` (a uniform w-cell run gives sqrt(w^2 - 1)). Map cells become image
pixels by one factor (32 x short side / 576 in DAP) and boxes are clipped to
[0, W - 1] x [0, H - 1]. A box's score is its area over the first box's (DAP's NMS ranking).
"""

import numpy as np
import torch
from scipy import ndimage

from ..utils.boxes import nms
from .cam import CamSettings


def moment_box(weights, min_side=1.0):
    """(x0, y0, x1, y1) in map cells of the moments of a non-negative (h, w) weight map, in
    float32 like DAP's torch arithmetic; sides at least ``min_side``."""
    m = torch.as_tensor(np.asarray(weights), dtype=torch.float32)
    gy, gx = torch.meshgrid(
        torch.arange(m.shape[0], dtype=torch.float32),
        torch.arange(m.shape[1], dtype=torch.float32),
        indexing='ij',
    )
    total = m.sum()
    cx, cy = (m * gx).sum() / total, (m * gy).sum() / total
    ix, iy = (m * (gx - cx) ** 2).sum() / total, (m * (gy - cy) ** 2).sum() / total
    w = max(min_side, float(np.sqrt(ix.item() * 12)))
    h = max(min_side, float(np.sqrt(iy.item() * 12)))
    x0, y0 = cx.item() + 0.5 - w / 2, cy.item() + 0.5 - h / 2
    return x0, y0, x0 + w, y0 + h


def _rectangles(mask):
    """Bounding rectangles (slices) of the 4-connected components of ``mask`` and their
    areas, in DAP's order (decreasing area, ties as ``np.argsort(...)[::-1]`` puts them)."""
    labels, n = ndimage.label(mask)
    slices = ndimage.find_objects(labels, n)
    areas = [(s[0].stop - s[0].start) * (s[1].stop - s[1].start) for s in slices]
    return [(slices[i], areas[i]) for i in np.argsort(areas)[::-1]] if slices else []


def boxes_from_cam(cam, settings=CamSettings()):
    """(M, 4) float64 [x0, y0, x1, y1] in map cells from an (h, w) map, over every
    threshold in order, before NMS (unclipped)."""
    cam = torch.as_tensor(np.asarray(cam), dtype=torch.float32)
    out = []
    for t in settings.thresholds:
        above = cam > t
        weighted = (cam + settings.offset) * above
        rects = _rectangles(above.numpy())
        if not rects:
            continue
        least = rects[0][1] * settings.min_rel_area
        for rect, area in rects[: settings.max_boxes]:
            if area < least:
                break
            inside = torch.zeros_like(weighted)
            inside[rect] = 1.0
            out.append(moment_box(weighted * inside, settings.min_side))
    return np.asarray(out, np.float64).reshape(-1, 4)


def cam_boxes(cam, cell, size, settings=CamSettings()):
    """(M, 5) float32 image boxes [x0, y0, x1, y1, score] of an (h, w) map whose cells are
    ``cell`` image pixels, for an image of ``size`` (w, h): clipped to [0, w - 1] x
    [0, h - 1]; score = box area / the first box's area."""
    b = boxes_from_cam(cam, settings) * cell
    if not len(b):
        return np.zeros((0, 5), np.float32)
    w, h = size
    b = np.stack(
        [
            np.clip(b[:, 0], 0, w - 1),
            np.clip(b[:, 1], 0, h - 1),
            np.clip(b[:, 2], 0, w - 1),
            np.clip(b[:, 3], 0, h - 1),
        ],
        1,
    )
    b = torch.as_tensor(b, dtype=torch.float32)
    area = (b[:, 2:] - b[:, :2]).prod(1)
    return torch.cat([b, (area / area[0])[:, None]], 1).numpy()


def nms_boxes(boxes, iou):
    """The rows of (M, 5) [x0, y0, x1, y1, score] boxes that maskrcnn-benchmark's CPU NMS
    (``csrc/cpu/nms_cpu.cpp``) keeps at ``iou`` (:func:`dpt.utils.boxes.nms`); kept rows
    stay in their input order."""
    if len(boxes) == 0:
        return boxes
    return boxes[np.sort(nms(boxes[:, :4], boxes[:, 4], iou, kernel='maskrcnn_benchmark'))]


def baseline_box(cam, threshold=0.2):
    """The usual single-threshold CAM box: the tight box of the largest connected component
    above ``threshold`` (Zhou et al., CVPR 2016 use 0.2 of the maximum), in map cells;
    (1, 4) or (0, 4)."""
    labels, n = ndimage.label(np.asarray(cam) >= threshold)
    if n == 0:
        return np.zeros((0, 4), np.float32)
    sizes = ndimage.sum(np.ones_like(labels), labels, range(1, n + 1))
    ys, xs = np.nonzero(labels == int(np.argmax(sizes)) + 1)
    return np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]], np.float32)
