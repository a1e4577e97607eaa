"""A small synthetic instance-segmentation dataset in COCO format, made offline.

Six classes of shapes, textured and painted over cluttered backgrounds with occlusion,
so that a detector trained for a few minutes on a CPU learns something but is far from
perfect. Every image comes from its own random generator, seeded by
``(seed, split index, image index)``, so the same parameters give the same bytes.
"""
import json
import math
import os
import shutil
from pathlib import Path

import cv2
import numpy as np

from dpt.utils.errors import DataError

DEMO_CLASSES = ('circle', 'square', 'triangle', 'star', 'ring', 'cross')
FORMAT_VERSION = 1
_GENERATOR = 'dpt.datasets.demo_data'
SPLITS = ('train', 'val')
MIN_VISIBLE_FRACTION = 0.35
MIN_VISIBLE_PIXELS = 40
_JPEG_PARAMS = [cv2.IMWRITE_JPEG_QUALITY, 95]
_SHIFT = 4  # sub-pixel bits for cv2 drawing, so small shapes keep their proportions


# ----------------------------------------------------------------------------- drawing
def _poly(canvas, pts):
    cv2.fillPoly(canvas, [np.round(pts * (1 << _SHIFT)).astype(np.int32)], 1, cv2.LINE_8, _SHIFT)


def _ellipse(canvas, c, axes, angle, value):
    c, axes = np.round(np.asarray(c) * (1 << _SHIFT)), np.round(np.asarray(axes) * (1 << _SHIFT))
    cv2.ellipse(canvas, (int(c[0]), int(c[1])), (int(axes[0]), int(axes[1])), angle, 0, 360, value,
                -1, cv2.LINE_8, _SHIFT)


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
        pts = np.array([[-w, -r], [w, -r], [w, -w], [r, -w], [r, w], [w, w], [w, r], [-w, r],
                        [-w, w], [-r, w], [-r, -w], [-w, -w]])
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
    t = (xx * math.cos(a) + yy * math.sin(a))
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
            rad = r * (1 + rng.uniform(0.25, 0.4) * np.cos(2 * t + rng.uniform(0, 6))
                       + rng.uniform(0.1, 0.2) * np.cos(3 * t + rng.uniform(0, 6)))
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
            cv2.ellipse(m, tuple(int(v) for v in c), (int(r), int(r)), 0, start,
                        start + rng.uniform(60, 180), 1, int(rng.integers(2, 6)))
        _paint(img, rng, m, _colour(rng))
    for _ in range(rng.integers(2, 9)):  # thin lines
        p, q = rng.uniform(-0.1, 1.1, (2, 2)) * s
        colour = tuple(float(v) for v in rng.uniform(0, 255, 3))
        cv2.line(img, tuple(int(v) for v in p), tuple(int(v) for v in q), colour,
                 int(rng.integers(1, 3)), cv2.LINE_AA)
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
        mask = full[pad:pad + s, pad:pad + s]
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
        mask = full[pad:pad + s, pad:pad + s]
        _paint(img, rng, mask, _colour(rng))
    img = np.clip(img + rng.normal(0, rng.uniform(2, 8), img.shape), 0, 255).astype(np.uint8)
    kept, covered = [], np.zeros((s, s), bool)
    for cat, full in reversed(objects):
        mask = full[pad:pad + s, pad:pad + s].astype(bool)
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


def mask_to_polygons(mask):
    """COCO polygons whose rasterisation by pycocotools gives back ``mask``.

    Contours are traced on a 2x upsampled mask, so their vertices lie a quarter pixel
    outside the border pixels' centres and cover them. Holes are joined to their outer
    contour by a zero-width cut, which even-odd filling removes again.
    """
    m = cv2.resize(mask.astype(np.uint8), None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
    contours, hier = cv2.findContours(m, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    polys = []
    for i, cnt in enumerate(contours):
        if hier[0][i][3] >= 0:  # a hole, joined to its parent below
            continue
        pts = cv2.approxPolyDP(cnt, 0.7, True).reshape(-1, 2)
        if len(pts) < 3:
            continue
        child = hier[0][i][2]
        while child >= 0:
            hole = cv2.approxPolyDP(contours[child], 0.7, True).reshape(-1, 2)
            if len(hole) >= 3:
                d = ((pts[:, None, :] - hole[None, :, :]) ** 2).sum(-1)
                a, b = np.unravel_index(np.argmin(d), d.shape)
                pts = np.concatenate([pts[:a + 1], hole[b:], hole[:b + 1], pts[a:]])
            child = hier[0][child][0]
        polys.append([round(float(v), 2) for v in ((pts + 0.5) / 2).ravel()])
    return polys


# ----------------------------------------------------------------------------- dataset
def _write_split(root, split, split_index, n, p):
    (root / split).mkdir(parents=True)
    images, anns = [], []
    for i in range(n):
        img, objs = render_image(p['seed'], split_index, i, p['image_size'])
        name = f'{i:06d}.jpg'
        (root / split / name).write_bytes(cv2.imencode('.jpg', img, _JPEG_PARAMS)[1].tobytes())
        images.append(dict(id=i + 1, file_name=name, width=p['image_size'], height=p['image_size']))
        for cat, visible in objs:
            polys = mask_to_polygons(visible)
            if not polys:
                continue
            anns.append(dict(id=len(anns) + 1, image_id=i + 1, category_id=cat, bbox=_box(visible),
                             area=float(visible.sum()), iscrowd=0, segmentation=polys))
    cats = [dict(id=k + 1, name=c, supercategory='shape') for k, c in enumerate(DEMO_CLASSES)]
    coco = dict(info=dict(description='dpt synthetic shapes demo', version=str(FORMAT_VERSION)),
                images=images, annotations=anns, categories=cats)
    (root / 'annotations').mkdir(exist_ok=True)
    with open(root / 'annotations' / f'instances_{split}.json', 'w') as f:
        f.write(json.dumps(coco, separators=(',', ':')))  # dumps uses the C encoder
    return dict(images=len(images), objects=len(anns))


def _box(visible):
    ys, xs = np.nonzero(visible)
    x0, y0 = int(xs.min()), int(ys.min())
    return [float(x0), float(y0), float(xs.max() + 1 - x0), float(ys.max() + 1 - y0)]


def _write_classification_split(root, split, split_index, n, p):
    """``split/<class>/<index>.jpg`` (ImageNet-style, class ``index % 6``) and the true boxes
    of every visible object in ``annotations/<split>_gt.json``."""
    images, anns = [], []
    for i in range(n):
        label = i % len(DEMO_CLASSES)
        img, objs = render_classification_image(p['seed'], split_index, i, label,
                                                p['image_size'])
        name = f'{DEMO_CLASSES[label]}/{i:06d}.jpg'
        (root / split / DEMO_CLASSES[label]).mkdir(parents=True, exist_ok=True)
        (root / split / name).write_bytes(cv2.imencode('.jpg', img, _JPEG_PARAMS)[1].tobytes())
        images.append(dict(id=i + 1, file_name=name, width=p['image_size'],
                           height=p['image_size'], label=label + 1))
        for cat, visible in objs:
            anns.append(dict(id=len(anns) + 1, image_id=i + 1, category_id=cat,
                             bbox=_box(visible), area=float(visible.sum()), iscrowd=0,
                             dominant=cat == label + 1))
    cats = [dict(id=k + 1, name=c, supercategory='shape') for k, c in enumerate(DEMO_CLASSES)]
    coco = dict(info=dict(description='dpt synthetic shapes demo, classification split',
                          version=str(FORMAT_VERSION)),
                images=images, annotations=anns, categories=cats)
    (root / 'annotations').mkdir(exist_ok=True)
    with open(root / 'annotations' / f'{split}_gt.json', 'w') as f:
        f.write(json.dumps(coco, separators=(',', ':')))
    return dict(images=len(images), objects=len(anns))


# what each kind of demo set writes: the split writer and its annotation file per split
TASKS = {
    'detection': (_write_split, 'instances_{}.json'),
    'classification': (_write_classification_split, '{}_gt.json'),
}


def _ann_file(out_dir, task, split):
    return out_dir / 'annotations' / TASKS[task][1].format(split)


def _summary(out_dir, meta, created):
    task = meta['params'].get('task', 'detection')
    splits = {s: dict(meta['counts'][s], img_dir=str(out_dir / s),
                      ann_file=str(_ann_file(out_dir, task, s)))
              for s in SPLITS}
    return dict(out_dir=str(out_dir), created=created, classes=list(DEMO_CLASSES), **splits)


def _existing_meta(out_dir):
    """meta.json of the demo dataset in ``out_dir``; refuses any other non-empty folder."""
    try:
        meta = json.loads((out_dir / 'meta.json').read_text())
        assert meta['generator'] == _GENERATOR
        return meta
    except Exception:  # missing, unreadable or someone else's: never ours to replace
        raise DataError(f'{out_dir}: exists and is not a demo dataset (no meta.json from '
                        f'{_GENERATOR}); choose another folder') from None


def _check_same(out_dir, meta, want):
    have = dict(meta.get('params', {}), format_version=meta.get('format_version'))
    have.setdefault('task', 'detection')  # detection sets record no task
    want = dict(want, task=want.get('task', 'detection'))
    diff = [f'{k} {have.get(k)} != {v}' for k, v in want.items() if have.get(k) != v]
    if diff:
        raise DataError(f'{out_dir}: holds a demo dataset made with other parameters '
                        f'({", ".join(diff)}; existing != requested); '
                        'pass overwrite=True (--overwrite) to replace it')
    task = want.get('task', 'detection')
    missing = [s for s in SPLITS if not _ann_file(out_dir, task, s).is_file()]
    if missing:
        raise DataError(f'{out_dir}: demo dataset is incomplete (no annotations for '
                        f'{", ".join(missing)}); pass overwrite=True (--overwrite) to rebuild it')


def make_demo_dataset(out_dir, num_train=300, num_val=60, image_size=160, seed=0, overwrite=False):
    """Write the demo dataset to ``out_dir`` (see module doc) and return a summary dict.

    Returns at once if ``out_dir`` already holds it with the same parameters. The data is
    built in a hidden sibling folder and renamed into place when complete, so a crash
    never leaves a half-written dataset. ``overwrite`` replaces only an earlier demo dataset.
    """
    p = dict(num_train=int(num_train), num_val=int(num_val), image_size=int(image_size),
             seed=int(seed))
    return _make(Path(out_dir).absolute(), p, overwrite)


def make_demo_classification(out_dir, num_train=1200, num_val=120, image_size=160, seed=0,
                             overwrite=False):
    """Write the classification demo split to ``out_dir``: ``train/`` and ``val/`` as
    ImageNet-style class folders (balanced; one dominant object of the folder's class per
    image, small objects of other classes beside it) and, kept aside for checking pseudo
    boxes, the true boxes of every visible object in ``annotations/{train,val}_gt.json``
    (COCO; ``file_name`` relative to the split folder, each image's ``label`` and each
    annotation's ``dominant`` flag). Idempotent and atomic as :func:`make_demo_dataset`."""
    p = dict(num_train=int(num_train), num_val=int(num_val), image_size=int(image_size),
             seed=int(seed), task='classification')
    return _make(Path(out_dir).absolute(), p, overwrite)


def _make(out_dir, p, overwrite):
    if p['num_train'] < 1 or p['num_val'] < 0 or p['image_size'] < 64:
        raise DataError(f'{out_dir}: need num_train >= 1, num_val >= 0 and image_size >= 64, '
                        f'got {p}')
    want = dict(p, format_version=FORMAT_VERSION)
    exists = out_dir.exists() and not (out_dir.is_dir() and not any(out_dir.iterdir()))
    if exists:
        meta = _existing_meta(out_dir)
        if not overwrite:
            _check_same(out_dir, meta, want)
            return _summary(out_dir, meta, created=False)

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.parent / f'.{out_dir.name}.tmp-{os.getpid()}'
    old = out_dir.parent / f'.{out_dir.name}.old-{os.getpid()}'
    if tmp.exists():  # left by an earlier crashed run that had this process id
        shutil.rmtree(tmp)
    try:
        write = TASKS[p.get('task', 'detection')][0]
        counts = {s: write(tmp, s, k, p[f'num_{s}'], p) for k, s in enumerate(SPLITS)}
        meta = dict(format_version=FORMAT_VERSION, generator=_GENERATOR, params=p,
                    classes=list(DEMO_CLASSES), counts=counts)
        (tmp / 'meta.json').write_text(json.dumps(meta, indent=2, sort_keys=True) + '\n')
        if exists:  # overwrite: move the old data aside and delete it only after the swap
            os.replace(out_dir, old)
        try:
            os.replace(tmp, out_dir)
        except OSError:
            if exists:
                os.replace(old, out_dir)
            elif (out_dir / 'meta.json').is_file():  # another process finished first
                other = _existing_meta(out_dir)
                _check_same(out_dir, other, want)
                return _summary(out_dir, other, created=False)
            raise
        if exists:
            shutil.rmtree(old)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return _summary(out_dir, meta, created=True)


# ----------------------------------------------------------------------------- preview
_PALETTE = [(60, 60, 255), (60, 220, 60), (255, 120, 40), (0, 215, 255), (255, 60, 255),
            (255, 255, 0)]


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
    grid = np.vstack([np.hstack(tiles[r:r + cols]) for r in range(0, len(tiles), cols)])
    if out_file is not None:
        Path(out_file).parent.mkdir(parents=True, exist_ok=True)
        params = [cv2.IMWRITE_PNG_COMPRESSION, 9] if str(out_file).lower().endswith('.png') else []
        if not cv2.imwrite(str(out_file), grid, params):
            raise DataError(f'{out_file}: cannot write image')
    return grid
