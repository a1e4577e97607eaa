"""A preview of a demo dataset: a grid of its first images with boxes, names and outlines."""

import json
from pathlib import Path

import cv2
import numpy as np

from dpt.utils.errors import DataError

from .write import _ann_file

_PALETTE = [
    (60, 60, 255),
    (60, 220, 60),
    (255, 120, 40),
    (0, 215, 255),
    (255, 60, 255),
    (255, 255, 0),
]


def draw_samples(data_dir, split='train', num=8, out_file=None, cols=4, zoom=2):
    """Grid of the first ``num`` images of ``split`` with boxes, names and mask outlines.

    Returns the grid (``uint8`` BGR) and writes it to ``out_file`` if given.
    """
    data_dir = Path(data_dir)
    try:
        task = json.loads((data_dir / 'meta.json').read_text())['params'].get('task')
    except (OSError, ValueError, KeyError):
        task = None
    ann_file = _ann_file(data_dir, task or 'detection', split)
    try:
        with open(ann_file) as f:
            coco = json.load(f)
    except (OSError, ValueError) as e:
        raise DataError(f'{ann_file}: cannot read annotations ({e})') from e
    names = {c['id']: c['name'] for c in coco['categories']}
    tiles = []
    for info in coco['images'][:num]:
        img = cv2.imread(str(data_dir / split / info['file_name']))
        if img is None:
            raise DataError(f'{data_dir / split / info["file_name"]}: cannot read image')
        img = cv2.resize(img, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_NEAREST)
        for a in (a for a in coco['annotations'] if a['image_id'] == info['id']):
            col = _PALETTE[(a['category_id'] - 1) % len(_PALETTE)]
            for poly in a.get('segmentation', []):  # the classification split has none
                pts = np.round(np.array(poly).reshape(-1, 2) * zoom).astype(np.int32)
                cv2.polylines(img, [pts], True, col, 1, cv2.LINE_AA)
            x, y, w, h = (round(v * zoom) for v in a['bbox'])
            cv2.rectangle(img, (x, y), (x + w - 1, y + h - 1), col, 1)
            label, font = names[a['category_id']], cv2.FONT_HERSHEY_SIMPLEX
            (tw, th), _ = cv2.getTextSize(label, font, 0.35, 1)
            ty = max(y, th + 2)  # label above the box, inside the tile
            cv2.rectangle(img, (x, ty - th - 2), (x + tw + 1, ty), col, -1)
            cv2.putText(img, label, (x + 1, ty - 2), font, 0.35, (0, 0, 0), 1, cv2.LINE_AA)
        tiles.append(cv2.copyMakeBorder(img, 2, 2, 2, 2, cv2.BORDER_CONSTANT, value=(255,) * 3))
    if not tiles:
        raise DataError(f'{ann_file}: no images to draw')
    while len(tiles) % cols:
        tiles.append(np.full_like(tiles[0], 255))
    grid = np.vstack([np.hstack(tiles[r : r + cols]) for r in range(0, len(tiles), cols)])
    if out_file is not None:
        Path(out_file).parent.mkdir(parents=True, exist_ok=True)
        params = [cv2.IMWRITE_PNG_COMPRESSION, 9] if str(out_file).lower().endswith('.png') else []
        if not cv2.imwrite(str(out_file), grid, params):
            raise DataError(f'{out_file}: cannot write image')
    return grid
