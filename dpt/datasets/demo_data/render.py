"""Rendering of the demo images: textured shapes over cluttered backgrounds, with occlusion.

Every image comes from its own random generator, seeded by ``(seed, split index, image
index)``, so that any image can be made again alone and the same parameters give the same
pixels. What is written, and how, is :mod:`.write`'s.
"""

import math

import cv2
import numpy as np

DEMO_CLASSES = ('circle', 'square', 'triangle', 'star', 'ring', 'cross')
MIN_VISIBLE_FRACTION = 0.35
MIN_VISIBLE_PIXELS = 40
_SHIFT = 4  # sub-pixel bits for cv2 drawing, so small shapes keep their proportions


# ----------------------------------------------------------------------------- drawing
def _poly(canvas, pts):
    cv2.fillPoly(canvas, [np.round(pts * (1 << _SHIFT)).astype(np.int32)], 1, cv2.LINE_8, _SHIFT)


def _ellipse(canvas, c, axes, angle, value):
    c, axes = np.round(np.asarray(c) * (1 << _SHIFT)), np.round(np.asarray(axes) * (1 << _SHIFT))
    cv2.ellipse(
        canvas,
        (int(c[0]), int(c[1])),
        (int(axes[0]), int(axes[1])),
        angle,
        0,
        360,
        value,
        -1,
        cv2.LINE_8,
        _SHIFT,
    )


def _rot(pts, angle_deg, c):
    a = math.radians(angle_deg)
    r = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return pts @ r.T + c


def _shape_mask(rng, cls, c, size, canvas_shape):
    """Full (unoccluded) mask of one shape of nominal diameter ``size`` centred at ``c``."""
    m = np.zeros(canvas_shape, np.uint8)
    r = size / 2
    if cls in ('circle', 'ring'):
        # Slightly elliptic, so circles are not a single template.
        axes = (r, r * rng.uniform(0.85, 1.0))
        ang = rng.uniform(0, 180)
        _ellipse(m, c, axes, ang, 1)
        if cls == 'ring':
            k = rng.uniform(0.45, 0.68)
            _ellipse(m, c, (axes[0] * k, axes[1] * k), ang, 0)
        return m
    if cls == 'square':
        h = r * 0.8
        a = rng.uniform(0.88, 1.12)
        pts = np.array([[-h * a, -h / a], [h * a, -h / a], [h * a, h / a], [-h * a, h / a]])
        ang = rng.uniform(-20, 20)  # beyond ~45 degrees a square becomes a diamond
    elif cls == 'triangle':
        t = np.radians([-90, 30, 150])
        pts = np.stack([np.cos(t), np.sin(t)], 1) * r
        pts[:, 1] += r * 0.2  # centre the box, not the centroid
        ang = rng.uniform(-25, 25)
    elif cls == 'star':
        t = np.radians(np.arange(10) * 36 - 90)
        rad = np.where(np.arange(10) % 2 == 0, r, r * rng.uniform(0.38, 0.5))
        pts = np.stack([np.cos(t), np.sin(t)], 1) * rad[:, None]
        ang = rng.uniform(0, 72)
    else:  # cross
        w = r * rng.uniform(0.28, 0.4)
        pts = np.array(
            [
                [-w, -r],
                [w, -r],
                [w, -w],
                [r, -w],
                [r, w],
                [w, w],
                [w, r],
                [-w, r],
                [-w, w],
                [-r, w],
                [-r, -w],
                [-w, -w],
            ]
        )
        ang = rng.uniform(-20, 20)
    _poly(m, _rot(pts, ang, c))
    return m


def _colour(rng, near=None):
    if near is None:
        return rng.uniform(0, 255, 3)
    # Low contrast: a colour a little away from the background it lies on.
    return np.clip(near + rng.choice([-1, 1], 3) * rng.uniform(15, 40, 3), 0, 255)


def _texture(rng, h, w, c1):
    """An ``h x w x 3`` float texture: flat, stripes, checkerboard, gradient or smooth noise."""
    c2 = np.clip(c1 + rng.choice([-1, 1], 3) * rng.uniform(30, 130, 3), 0, 255)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a = rng.uniform(0, np.pi)
    u = xx * math.cos(a) + yy * math.sin(a)
    v = -xx * math.sin(a) + yy * math.cos(a)
    kind = rng.integers(5)
    if kind == 0:  # flat
        t = np.zeros((h, w), np.float32)
    elif kind == 1:  # stripes
        t = ((u / rng.uniform(3, 12)) % 1 < rng.uniform(0.3, 0.7)).astype(np.float32)
    elif kind == 2:  # checkerboard
        cell = rng.uniform(2, 9)
        t = ((np.floor(u / cell) + np.floor(v / cell)) % 2).astype(np.float32)
    elif kind == 3:  # gradient
        t = (u - u.min()) / max(float(np.ptp(u)), 1.0)
    else:  # smooth noise
        g = rng.random((rng.integers(2, 6), rng.integers(2, 6))).astype(np.float32)
        t = cv2.resize(g, (w, h), interpolation=cv2.INTER_CUBIC).clip(0, 1)
    return c1 + t[..., None] * (c2 - c1) + rng.normal(0, rng.uniform(0, 14), (h, w, 1))


def _paint(img, rng, mask, colour):
    """Fill ``img`` where ``mask`` is set with a random texture, working in the mask's box."""
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        return
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    sub = mask[y0:y1, x0:x1].astype(bool)
    img[y0:y1, x0:x1][sub] = _texture(rng, y1 - y0, x1 - x0, colour)[sub]


def _background(rng, s):
    """Gradient, smooth noise, lines, blobs and shapeless distractors of object-like texture."""
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) / s
    a = rng.uniform(0, 2 * np.pi)
    t = xx * math.cos(a) + yy * math.sin(a)
    t = (t - t.min()) / max(float(np.ptp(t)), 1e-6)
    c1, c2 = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    g = rng.normal(0, rng.uniform(5, 25), (5, 5, 3)).astype(np.float32)
    img = c1 + t[..., None] * (c2 - c1) + cv2.resize(g, (s, s), interpolation=cv2.INTER_CUBIC)
    for _ in range(rng.integers(1, 5)):  # soft blobs
        m = np.zeros((s, s), np.uint8)
        _ellipse(m, rng.uniform(0, s, 2), rng.uniform(0.05, 0.25, 2) * s, rng.uniform(0, 180), 1)
        w = cv2.GaussianBlur(m.astype(np.float32), (0, 0), s * 0.03)[..., None]
        img = img * (1 - w) + w * rng.uniform(0, 255, 3)
    for _ in range(rng.integers(0, 4)):  # distractors, shaped unlike any class
        m = np.zeros((s, s), np.uint8)
        c, r = rng.uniform(0, s, 2), rng.uniform(0.04, 0.22) * s
        kind = rng.integers(4)
        if kind == 0:  # lumpy blob: strong 2nd and 3rd harmonics keep it far from a circle
            t = np.linspace(0, 2 * np.pi, 48, endpoint=False)
            rad = r * (
                1
                + rng.uniform(0.25, 0.4) * np.cos(2 * t + rng.uniform(0, 6))
                + rng.uniform(0.1, 0.2) * np.cos(3 * t + rng.uniform(0, 6))
            )
            _poly(m, np.stack([np.cos(t), np.sin(t)], 1) * rad[:, None] + c)
        elif kind == 1:  # bar
            pts = np.array([[-r, -r / 5], [r, -r / 5], [r, r / 5], [-r, r / 5]])
            _poly(m, _rot(pts * rng.uniform(0.6, 1.0), rng.uniform(0, 180), c))
        elif kind == 2:  # L shape
            w = r * rng.uniform(0.3, 0.45)
            pts = np.array([[-r, -r], [-r + w, -r], [-r + w, r - w], [r, r - w], [r, r], [-r, r]])
            _poly(m, _rot(pts, rng.uniform(0, 360), c))
        else:  # open arc, at most half a turn so it does not pass for a ring
            start = rng.uniform(0, 360)
            cv2.ellipse(
                m,
                tuple(int(v) for v in c),
                (int(r), int(r)),
                0,
                start,
                start + rng.uniform(60, 180),
                1,
                int(rng.integers(2, 6)),
            )
        _paint(img, rng, m, _colour(rng))
    for _ in range(rng.integers(2, 9)):  # thin lines
        p, q = rng.uniform(-0.1, 1.1, (2, 2)) * s
        colour = tuple(float(v) for v in rng.uniform(0, 255, 3))
        cv2.line(
            img,
            tuple(int(v) for v in p),
            tuple(int(v) for v in q),
            colour,
            int(rng.integers(1, 3)),
            cv2.LINE_AA,
        )
    return img


# ----------------------------------------------------------------------------- one image
def render_image(seed, split_index, image_index, image_size=160):
    """One image (``uint8`` BGR) and its objects as ``[(category_id, visible_mask), ...]``.

    Objects whose visible part is under 35% of the shape or under 40 pixels are painted
    but not annotated, like hidden objects in real data.
    """
    rng = np.random.default_rng([seed, split_index, image_index])
    s = image_size
    img = _background(rng, s)
    lo, hi = 10 * s / 160, 90 * s / 160
    pad = int(math.ceil(hi / 2)) + 2
    # Full masks are drawn on a padded canvas so that a shape cut by the border still
    # counts its whole area when its visible fraction is judged.
    objects = []
    for _ in range(rng.integers(2, 8)):
        cls = int(rng.integers(len(DEMO_CLASSES)))
        size = math.exp(rng.uniform(math.log(lo), math.log(hi)))  # log-uniform: many small ones
        c = rng.uniform(size * 0.35, s - size * 0.35, 2) + pad  # mostly inside
        full = _shape_mask(rng, DEMO_CLASSES[cls], c, size, (s + 2 * pad, s + 2 * pad))
        mask = full[pad : pad + s, pad : pad + s]
        local = img[mask.astype(bool)].mean(0) if mask.any() else None
        _paint(img, rng, mask, _colour(rng, local if rng.random() < 0.25 else None))
        objects.append((cls + 1, mask.astype(bool), int(full.sum())))
    if rng.random() < 0.3:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 1.0))
    img = np.clip(img + rng.normal(0, rng.uniform(2, 8), img.shape), 0, 255).astype(np.uint8)

    kept, covered = [], np.zeros((s, s), bool)
    for cat, mask, full_area in reversed(objects):  # later objects hide earlier ones
        visible = _clean(mask & ~covered)
        covered |= mask
        if visible.sum() >= max(MIN_VISIBLE_PIXELS, MIN_VISIBLE_FRACTION * full_area):
            kept.append((cat, visible))
    return img, kept[::-1]


def render_classification_image(seed, split_index, image_index, label, image_size=160):
    """One image with a dominant object of class ``label`` (0-based) and its objects as
    ``[(category_id, visible_mask), ...]``, the dominant one first.

    The dominant object is 45-75 % of the image side, near the centre; up to two small
    objects of other classes (10-25 %) are painted first and may be partly hidden by it.
    """
    rng = np.random.default_rng([seed, 100 + split_index, image_index])
    s = image_size
    img = _background(rng, s)
    pad = s // 2
    canvas = (s + 2 * pad, s + 2 * pad)
    objects = []
    others = [c for c in range(len(DEMO_CLASSES)) if c != label]
    for _ in range(rng.integers(0, 3)):
        cls = int(rng.choice(others))
        size = rng.uniform(0.10, 0.25) * s
        c = rng.uniform(size * 0.5, s - size * 0.5, 2) + pad
        mask = _shape_mask(rng, DEMO_CLASSES[cls], c, size, canvas)
        objects.append((cls + 1, mask))
    size = rng.uniform(0.45, 0.75) * s
    c = s / 2 + rng.uniform(-0.15, 0.15, 2) * s + pad
    objects.append((label + 1, _shape_mask(rng, DEMO_CLASSES[label], c, size, canvas)))
    for _, full in objects:
        mask = full[pad : pad + s, pad : pad + s]
        _paint(img, rng, mask, _colour(rng))
    img = np.clip(img + rng.normal(0, rng.uniform(2, 8), img.shape), 0, 255).astype(np.uint8)
    kept, covered = [], np.zeros((s, s), bool)
    for cat, full in reversed(objects):
        mask = full[pad : pad + s, pad : pad + s].astype(bool)
        visible = _clean(mask & ~covered)
        covered |= mask
        if visible.sum() >= MIN_VISIBLE_PIXELS:
            kept.append((cat, visible))
    return img, kept


def _clean(mask):
    """Drop specks under 8 pixels left by occlusion: they cannot form a useful polygon."""
    n, lab, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    keep = np.zeros(n, bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= 8
    return keep[lab]
