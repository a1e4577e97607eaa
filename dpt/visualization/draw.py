"""Drawing primitives of dpt's pictures, on mmengine's :class:`Visualizer` (matplotlib's Agg
canvas: no display needed).

Every picture is made of *panels*: an RGB image, zoomed, with boxes drawn over it and a
title bar above. :class:`Panel` keeps where each box was drawn in the final picture, so a
test (or a reader) can find a box edge's pixels from the boxes' own coordinates.
"""

import os
import os.path as osp
from dataclasses import dataclass, field

import cv2
import numpy as np

# Distinct, saturated colours (RGB), cycled: box ids, classes, clusters. The true boxes of
# browse_boxes are always TRUE_COLOR, which is not in the cycle.
PALETTE = (
    (230, 25, 75),
    (60, 120, 255),
    (255, 225, 25),
    (245, 130, 48),
    (145, 30, 180),
    (70, 240, 240),
    (240, 50, 230),
    (210, 245, 60),
    (250, 190, 212),
    (0, 128, 128),
    (170, 110, 40),
    (128, 0, 0),
    (170, 255, 195),
    (128, 128, 0),
    (0, 0, 128),
)
TRUE_COLOR = (0, 220, 0)
TITLE_HEIGHT = 18
BACKGROUND = (255, 255, 255)


def color(i):
    """The palette colour of id / class index ``i``."""
    return PALETTE[int(i) % len(PALETTE)]


@dataclass
class Panel:
    """An image with boxes drawn over it (``image``), placed at ``offset`` (x, y) of the
    final picture; ``boxes`` (N, 4) xyxy in the coordinates of the input image, ``zoom`` the
    factor they were drawn at."""

    image: np.ndarray
    boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32))
    colors: list = field(default_factory=list)
    zoom: float = 1.0
    offset: tuple = (0, 0)
    title_height: int = 0

    def to_picture(self, boxes=None):
        """``boxes`` (default: the drawn ones) in pixel coordinates of the final picture."""
        b = np.asarray(self.boxes if boxes is None else boxes, np.float32).reshape(-1, 4)
        ox, oy = self.offset
        return b * self.zoom + np.array([ox, oy + self.title_height] * 2, np.float32)


def _visualizer(image):
    from mmengine.visualization import Visualizer

    return Visualizer(image=image)


def zoomed(img, zoom):
    if zoom == 1:
        return np.ascontiguousarray(img)
    h, w = img.shape[:2]
    return cv2.resize(img, (round(w * zoom), round(h * zoom)), interpolation=cv2.INTER_NEAREST)


def draw_boxes(
    img_rgb, boxes, colors, labels=None, zoom=1.0, line_width=1.5, masks=None, heatmap=None
):
    """``img_rgb`` (H, W, 3) uint8 zoomed by ``zoom`` with ``boxes`` (N, 4) xyxy (input
    image coordinates) drawn in ``colors`` (one RGB tuple per box), opaque, each with its
    text of ``labels`` at its top-left corner; ``masks`` (N, H, W) bool filled in, a
    ``heatmap`` (H, W) in [0, 1] blended under everything. Returns a :class:`Panel`."""
    img = zoomed(np.asarray(img_rgb, np.uint8), zoom)
    if heatmap is not None:
        heat = cv2.resize(np.asarray(heatmap, np.float32), (img.shape[1], img.shape[0]))
        jet = cv2.applyColorMap((np.clip(heat, 0, 1) * 255).astype(np.uint8), cv2.COLORMAP_JET)[
            ..., ::-1
        ]
        img = (0.5 * img + 0.5 * jet).astype(np.uint8)
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    colors = [tuple(int(c) for c in col) for col in colors]
    vis = _visualizer(img)
    if masks is not None and len(masks):
        vis.draw_binary_masks(
            np.stack([zoomed(m.astype(np.uint8), zoom).astype(bool) for m in masks]),
            colors=colors,
            alphas=0.4,
        )
    if len(boxes):
        z = boxes * zoom
        z[:, 2:] = np.maximum(z[:, 2:], z[:, :2])
        vis.draw_bboxes(z, edge_colors=colors, line_widths=line_width, alpha=1.0)
        keep = [i for i, t in enumerate(labels or []) if str(t)]
        if keep:
            vis.draw_texts(
                [str(labels[i]) for i in keep],
                z[keep, :2] + 2,
                colors=[colors[i] for i in keep],
                font_sizes=7,
                bboxes=[dict(facecolor='black', alpha=0.6, pad=0.5, edgecolor='none')] * len(keep),
            )
    return Panel(vis.get_image(), boxes, colors, zoom)


def titled(panel, title):
    """``panel`` with a white title bar of ``title`` (one line) above its image."""
    img = panel.image
    bar = np.full((TITLE_HEIGHT, img.shape[1], 3), BACKGROUND, np.uint8)
    vis = _visualizer(bar)
    vis.draw_texts(title, np.array([2, 2]), colors='black', font_sizes=7)
    panel.image = np.concatenate([vis.get_image(), img], 0)
    panel.title_height = TITLE_HEIGHT
    return panel


def compose(rows, gap=4):
    """One picture of ``rows`` (lists of panels, left to right; rows top to bottom), on a
    white background; sets every panel's ``offset``. Returns the (H, W, 3) RGB image."""
    heights = [max(p.image.shape[0] for p in row) for row in rows]
    widths = [sum(p.image.shape[1] for p in row) + gap * (len(row) - 1) for row in rows]
    out = np.full((sum(heights) + gap * (len(rows) - 1), max(widths), 3), BACKGROUND, np.uint8)
    y = 0
    for row, h in zip(rows, heights):
        x = 0
        for p in row:
            ph, pw = p.image.shape[:2]
            out[y : y + ph, x : x + pw] = p.image
            p.offset = (x, y)
            x += pw + gap
        y += h + gap
    return out


def save_png(img_rgb, path):
    """Write an RGB image as PNG (folders made as needed); return the path."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    if not cv2.imwrite(path, np.ascontiguousarray(img_rgb[..., ::-1])):
        raise OSError(f'{path}: could not write the image')
    return path


def show(img_rgb, title, wait_s):
    """Show ``img_rgb`` in a window when there is a display; return whether it was shown."""
    if not os.environ.get('DISPLAY') and not os.environ.get('WAYLAND_DISPLAY'):
        return False
    cv2.imshow(title, np.ascontiguousarray(img_rgb[..., ::-1]))
    cv2.waitKey(int(wait_s * 1000))
    return True
