"""Boxes from a class activation map, DAP's way: at each threshold the connected components
of the map above it (``scipy.ndimage.label``), those whose box has at least half the area of
the largest's, at most 4; each gives the box of the moments of ``(cam + 0.22) * mask``:
centre of mass, width ``sqrt(12 Var_x)``, height ``sqrt(12 Var_y)`` (a uniform w x h
rectangle gives w x h). Coordinates are in map cells (cell i spans [i, i + 1))."""
import numpy as np
import torch
from scipy import ndimage
from torchvision.ops import nms

from .cam import CamSettings


def moment_box(weights):
    """(x0, y0, x1, y1) of the moments of a non-negative (h, w) weight map."""
    total = weights.sum()
    h, w = weights.shape
    ys, xs = np.arange(h) + 0.5, np.arange(w) + 0.5
    px, py = weights.sum(0) / total, weights.sum(1) / total
    cx, cy = (px * xs).sum(), (py * ys).sum()
    vx, vy = (px * (xs - cx) ** 2).sum(), (py * (ys - cy) ** 2).sum()
    bw, bh = np.sqrt(12 * vx), np.sqrt(12 * vy)
    return cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2


def _components(mask):
    labels, n = ndimage.label(mask)
    if n == 0:
        return []
    slices = ndimage.find_objects(labels)
    areas = np.array([(s[0].stop - s[0].start) * (s[1].stop - s[1].start) for s in slices])
    return [(labels == i + 1, areas[i]) for i in range(n)]


def boxes_from_cam(cam, settings=CamSettings()):
    """(M, 5) float32 [x0, y0, x1, y1, score] in map cells from an (h, w) map in [0, 1],
    over every threshold, before NMS; score = the map's mean inside the component."""
    cam = np.asarray(cam, dtype=np.float64)
    h, w = cam.shape
    out = []
    for t in settings.thresholds:
        comps = _components(cam >= t)
        if not comps:
            continue
        largest = max(a for _, a in comps)
        kept = sorted((c for c in comps if c[1] >= settings.min_rel_area * largest),
                      key=lambda c: -c[1])[:settings.max_boxes]
        for mask, _ in kept:
            x0, y0, x1, y1 = moment_box((cam + settings.offset) * mask)
            out.append([max(x0, 0), max(y0, 0), min(x1, w), min(y1, h),
                        float(cam[mask].mean())])
    return np.asarray(out, np.float32).reshape(-1, 5)


def nms_boxes(boxes, iou):
    """The rows of (M, 5) boxes that NMS at ``iou`` keeps, highest score first."""
    if len(boxes) == 0:
        return boxes
    t = torch.from_numpy(boxes)
    return boxes[nms(t[:, :4], t[:, 4], iou).numpy()]


def baseline_box(cam, threshold=0.2):
    """The usual single-threshold CAM box: the tight box of the largest connected component
    above ``threshold`` (Zhou et al., CVPR 2016 use 0.2 of the maximum); (1, 5) or (0, 5)."""
    comps = _components(np.asarray(cam) >= threshold)
    if not comps:
        return np.zeros((0, 5), np.float32)
    mask = max(comps, key=lambda c: c[0].sum())[0]
    ys, xs = np.nonzero(mask)
    return np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1,
                      float(np.asarray(cam)[mask].mean())]], np.float32)
