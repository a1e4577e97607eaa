"""Boxes of a COCO-style file drawn over their images: proposals
(``tools/misc/make_proposals.py``, AlignDet's published ``selective_search`` files), DETReg's
region priors (the same tool, ``--method opencv_fast``), DAP's CAM pseudo boxes
(``tools/misc/make_cam_boxes.py``: one category per class, the image's ``label``) and
proposal clusters (``tools/misc/cluster_proposals.py``: categories ``cluster_1 .. K``).

With the true boxes, each image's title says how many of them a box finds at IoU >= 0.5
(recall) and whether one is found (CorLoc; Deselaers et al., 2012): the true boxes of the
image's ``label`` where the file has one (DAP), else all of them, as
:func:`dpt.pseudo_boxes.box_quality` counts them over a whole file.
"""

import os.path as osp
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from ..utils.errors import DataError, load_json
from .draw import TRUE_COLOR, color, compose, draw_boxes, save_png, titled

IOU = 0.5


@dataclass
class ImageBoxes:
    """One image's boxes (xyxy), their category ids and scores, and its label (or None)."""

    file_name: str
    boxes: np.ndarray
    categories: np.ndarray
    label: int = None
    width: int = None
    height: int = None
    scores: list = field(default_factory=list)


def read_boxes(path, what='box file'):
    """({file_name: ImageBoxes} in the file's image order, {category id: name}) of a
    COCO-style file; a file that is not one is a one-line DataError naming it."""
    data = load_json(path, what)
    try:
        cats = {c['id']: c['name'] for c in data.get('categories', [])}
        images = {im['id']: im for im in data['images']}
        per = defaultdict(list)
        for a in data['annotations']:
            x, y, w, h = a['bbox']
            per[a['image_id']].append(
                (x, y, x + w, y + h, a.get('category_id', 1), a.get('score', 1.0))
            )
            if a['image_id'] not in images:
                raise DataError(
                    f"{path}: annotation {a.get('id')} names image id "
                    f"{a['image_id']}, which is not in 'images'"
                )
        out = {}
        for iid, im in images.items():
            rows = np.asarray(per.get(iid, []), np.float64).reshape(-1, 6)
            out[im['file_name']] = ImageBoxes(
                im['file_name'],
                rows[:, :4].astype(np.float32),
                rows[:, 4].astype(int),
                im.get('label'),
                im.get('width'),
                im.get('height'),
                rows[:, 5].tolist(),
            )
    except (KeyError, TypeError, ValueError) as e:
        raise DataError(f'{path}: not a COCO-style {what} ({type(e).__name__}: {e})') from None
    return out, cats


def _iou(a, b):
    import torch
    from torchvision.ops import box_iou

    return box_iou(torch.as_tensor(a).reshape(-1, 4), torch.as_tensor(b).reshape(-1, 4)).numpy()


def image_quality(pred, truth, iou=IOU):
    """dict(recall, found, true, corloc) of one image's boxes ``pred`` (ImageBoxes) against
    its true boxes ``truth`` (ImageBoxes): only the true boxes of the image's label where
    either file gives one."""
    label = truth.label if truth.label is not None else pred.label
    keep = truth.categories == label if label is not None else np.ones(len(truth.boxes), bool)
    t = truth.boxes[keep]
    if not len(t):
        return dict(recall=None, found=0, true=0, corloc=None)
    best = _iou(t, pred.boxes).max(1) if len(pred.boxes) else np.zeros(len(t))
    found = int((best >= iou).sum())
    return dict(recall=found / len(t), found=found, true=len(t), corloc=bool(found))


def _lookup(table, name):
    if name in table:
        return table[name]
    base = {osp.basename(k): v for k, v in table.items()}
    return base.get(osp.basename(name))


def box_panel(img_rgb, boxes, cats, truth=None, max_boxes=None, zoom=1.0, heatmap=None):
    """One image's boxes (the first ``max_boxes``, file order) and, on top, its true boxes
    (green). Boxes of a one-category file (proposals) are coloured by rank, of a
    multi-category file (clusters, CAM classes) by category, named."""
    n = len(boxes.boxes) if max_boxes is None else min(max_boxes, len(boxes.boxes))
    b, c = boxes.boxes[:n], boxes.categories[:n]
    many = len(cats) > 1
    colors = [color(k) for k in c] if many else [color(i) for i in range(n)]
    labels = [cats.get(int(k), str(k)) for k in c] if many else None
    all_boxes, all_colors, all_labels = list(b), colors, labels
    if truth is not None and len(truth.boxes):
        all_boxes += list(truth.boxes)
        all_colors = colors + [TRUE_COLOR] * len(truth.boxes)
        if labels is not None:
            all_labels = labels + [''] * len(truth.boxes)
    panel = draw_boxes(
        img_rgb,
        np.asarray(all_boxes, np.float32).reshape(-1, 4),
        all_colors,
        all_labels,
        zoom,
        heatmap=heatmap,
    )
    panel.drawn = n
    return panel


def title_of(name, boxes, shown, quality):
    text = f'{name}: {len(boxes.boxes)} boxes' + (
        f' ({shown} shown)' if shown < len(boxes.boxes) else ''
    )
    if quality is not None:
        if quality['recall'] is None:
            text += ', no true boxes'
        else:
            text += (
                f", recall@0.5 {100 * quality['recall']:.0f}% "
                f"({quality['found']}/{quality['true']}), CorLoc {int(quality['corloc'])}"
            )
    return text


def browse_boxes(
    box_file,
    img_dir,
    output_dir,
    gt_file=None,
    max_images=None,
    max_boxes=None,
    zoom=None,
    heatmaps=None,
):
    """Draw the boxes of ``box_file`` over their images (``img_dir`` + file_name) into
    ``output_dir/<image>.png``; with ``gt_file`` the true boxes too and each image's recall
    and CorLoc in its title. ``heatmaps``: a callable (file_name, image) -> (H, W) map in
    [0, 1] or None (DAP's CAM). Returns one record per image and the file's totals."""
    import mmcv

    from .browse import auto_zoom

    boxes, cats = read_boxes(box_file)
    truth = read_boxes(gt_file, 'true-box file')[0] if gt_file else None
    names = list(boxes)[:max_images] if max_images else list(boxes)
    records, found, total, located, counted = [], 0, 0, 0, 0
    for name in names:
        path = osp.join(img_dir, name)
        if not osp.isfile(path):
            raise DataError(f'{box_file}: image {name!r} not found under {img_dir}')
        img = mmcv.imread(path, channel_order='rgb')
        if img is None:
            raise DataError(f'{path}: not a readable image')
        t = _lookup(truth, name) if truth is not None else None
        quality = image_quality(boxes[name], t) if t is not None else None
        if quality and quality['recall'] is not None:
            found, total = found + quality['found'], total + quality['true']
            located, counted = located + quality['corloc'], counted + 1
        heat = heatmaps(name, img) if heatmaps else None
        panel = box_panel(img, boxes[name], cats, t, max_boxes, zoom or auto_zoom(img), heat)
        panel = titled(panel, title_of(name, boxes[name], panel.drawn, quality))
        picture = compose([[panel]])
        out = save_png(
            picture, osp.join(output_dir, osp.splitext(name)[0].replace('/', '_') + '.png')
        )
        records.append(dict(path=out, file_name=name, panel=panel, quality=quality))
    summary = dict(
        images=len(records),
        recall=found / total if total else None,
        corloc=located / counted if counted else None,
    )
    return records, summary
