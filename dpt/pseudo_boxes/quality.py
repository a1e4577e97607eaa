"""How well pseudo boxes find the labelled objects: CorLoc (the share of images with a
pseudo box at IoU >= 0.5 with a true box of the image's label; Deselaers et al., 2012) and
the recall of those true boxes at IoU 0.5."""

from collections import defaultdict

import torch
from torchvision.ops import box_iou


def _xyxy(boxes):
    b = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    return torch.cat([b[:, :2], b[:, :2] + b[:, 2:]], 1)


def box_quality(pred, gt, iou=0.5):
    """``pred`` and ``gt``: COCO-style dicts (``images`` with ``label``, ``annotations``
    with ``bbox`` x, y, w, h and ``category_id``; matched by image ``file_name``).
    Returns dict(images, corloc, recall, true_boxes)."""
    pred_ids = {im['id']: im['file_name'] for im in pred['images']}
    boxes = defaultdict(list)
    for a in pred['annotations']:
        boxes[pred_ids[a['image_id']]].append(a['bbox'])
    labels = {im['id']: im.get('label') for im in gt['images']}
    names = {im['id']: im['file_name'] for im in gt['images']}
    truth = defaultdict(list)
    for a in gt['annotations']:
        if a['category_id'] == labels[a['image_id']]:
            truth[names[a['image_id']]].append(a['bbox'])
    located = found = total = images = 0
    for name in set(pred_ids.values()):
        if not truth.get(name):
            continue
        images += 1
        t = _xyxy(truth[name])
        p = _xyxy(boxes.get(name, []))
        best = box_iou(t, p).max(1).values if len(p) else torch.zeros(len(t))
        located += bool((best >= iou).any())
        found += int((best >= iou).sum())
        total += len(t)
    return dict(
        images=images,
        corloc=located / max(images, 1),
        recall=found / max(total, 1),
        true_boxes=total,
    )
