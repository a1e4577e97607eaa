"""Writing the demo datasets: JPEG images and COCO annotations, built in a hidden folder and
renamed into place when complete, idempotent for the same parameters.

The detection set (:func:`make_demo_dataset`) has instance masks as COCO polygons
(:func:`mask_to_polygons`); the classification set (:func:`make_demo_classification`) has
ImageNet-style class folders and the true boxes kept aside. The images are :mod:`.render`'s.
"""

import json
import os
import shutil
from pathlib import Path

import cv2
import numpy as np

from dpt.utils.errors import DataError

from .render import DEMO_CLASSES, render_classification_image, render_image

FORMAT_VERSION = 1
# recorded in meta.json, and checked before a folder is replaced: the name of this package
_GENERATOR = 'dpt.datasets.demo_data'
SPLITS = ('train', 'val')
_JPEG_PARAMS = [cv2.IMWRITE_JPEG_QUALITY, 95]


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
                pts = np.concatenate([pts[: a + 1], hole[b:], hole[: b + 1], pts[a:]])
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
            anns.append(_annotation(len(anns) + 1, i + 1, cat, visible, segmentation=polys))
    cats = [dict(id=k + 1, name=c, supercategory='shape') for k, c in enumerate(DEMO_CLASSES)]
    coco = dict(
        info=dict(description='dpt synthetic shapes demo', version=str(FORMAT_VERSION)),
        images=images,
        annotations=anns,
        categories=cats,
    )
    (root / 'annotations').mkdir(exist_ok=True)
    with open(root / 'annotations' / f'instances_{split}.json', 'w') as f:
        f.write(json.dumps(coco, separators=(',', ':')))  # dumps uses the C encoder
    return dict(images=len(images), objects=len(anns))


def _annotation(ann_id, image_id, cat, visible, **extra):
    """The COCO annotation of one object's visible mask; ``extra`` items come last."""
    return dict(
        id=ann_id,
        image_id=image_id,
        category_id=cat,
        bbox=_box(visible),
        area=float(visible.sum()),
        iscrowd=0,
        **extra,
    )


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
        img, objs = render_classification_image(p['seed'], split_index, i, label, p['image_size'])
        name = f'{DEMO_CLASSES[label]}/{i:06d}.jpg'
        (root / split / DEMO_CLASSES[label]).mkdir(parents=True, exist_ok=True)
        (root / split / name).write_bytes(cv2.imencode('.jpg', img, _JPEG_PARAMS)[1].tobytes())
        images.append(
            dict(
                id=i + 1,
                file_name=name,
                width=p['image_size'],
                height=p['image_size'],
                label=label + 1,
            )
        )
        for cat, visible in objs:
            anns.append(_annotation(len(anns) + 1, i + 1, cat, visible, dominant=cat == label + 1))
    cats = [dict(id=k + 1, name=c, supercategory='shape') for k, c in enumerate(DEMO_CLASSES)]
    coco = dict(
        info=dict(
            description='dpt synthetic shapes demo, classification split',
            version=str(FORMAT_VERSION),
        ),
        images=images,
        annotations=anns,
        categories=cats,
    )
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
    splits = {
        s: dict(
            meta['counts'][s], img_dir=str(out_dir / s), ann_file=str(_ann_file(out_dir, task, s))
        )
        for s in SPLITS
    }
    return dict(out_dir=str(out_dir), created=created, classes=list(DEMO_CLASSES), **splits)


def _existing_meta(out_dir):
    """meta.json of the demo dataset in ``out_dir``; refuses any other non-empty folder."""
    try:
        meta = json.loads((out_dir / 'meta.json').read_text())
        assert meta['generator'] == _GENERATOR
        return meta
    except Exception:  # missing, unreadable or someone else's: never ours to replace
        raise DataError(
            f'{out_dir}: exists and is not a demo dataset (no meta.json from '
            f'{_GENERATOR}); choose another folder'
        ) from None


def _check_same(out_dir, meta, want):
    have = dict(meta.get('params', {}), format_version=meta.get('format_version'))
    have.setdefault('task', 'detection')  # detection sets record no task
    want = dict(want, task=want.get('task', 'detection'))
    diff = [f'{k} {have.get(k)} != {v}' for k, v in want.items() if have.get(k) != v]
    if diff:
        raise DataError(
            f'{out_dir}: holds a demo dataset made with other parameters '
            f'({", ".join(diff)}; existing != requested); '
            'pass overwrite=True (--overwrite) to replace it'
        )
    task = want.get('task', 'detection')
    missing = [s for s in SPLITS if not _ann_file(out_dir, task, s).is_file()]
    if missing:
        raise DataError(
            f'{out_dir}: demo dataset is incomplete (no annotations for '
            f'{", ".join(missing)}); pass overwrite=True (--overwrite) to rebuild it'
        )


def make_demo_dataset(out_dir, num_train=300, num_val=60, image_size=160, seed=0, overwrite=False):
    """Write the demo dataset to ``out_dir`` (see module doc) and return a summary dict.

    Returns at once if ``out_dir`` already holds it with the same parameters. The data is
    built in a hidden sibling folder and renamed into place when complete, so a crash
    never leaves a half-written dataset. ``overwrite`` replaces only an earlier demo dataset.
    """
    p = dict(
        num_train=int(num_train), num_val=int(num_val), image_size=int(image_size), seed=int(seed)
    )
    return _make(Path(out_dir).absolute(), p, overwrite)


def make_demo_classification(
    out_dir, num_train=1200, num_val=120, image_size=160, seed=0, overwrite=False
):
    """Write the classification demo split to ``out_dir``: ``train/`` and ``val/`` as
    ImageNet-style class folders (balanced; one dominant object of the folder's class per
    image, small objects of other classes beside it) and, kept aside for checking pseudo
    boxes, the true boxes of every visible object in ``annotations/{train,val}_gt.json``
    (COCO; ``file_name`` relative to the split folder, each image's ``label`` and each
    annotation's ``dominant`` flag). Idempotent and atomic as :func:`make_demo_dataset`."""
    p = dict(
        num_train=int(num_train),
        num_val=int(num_val),
        image_size=int(image_size),
        seed=int(seed),
        task='classification',
    )
    return _make(Path(out_dir).absolute(), p, overwrite)


def _make(out_dir, p, overwrite):
    if p['num_train'] < 1 or p['num_val'] < 0 or p['image_size'] < 64:
        raise DataError(
            f'{out_dir}: need num_train >= 1, num_val >= 0 and image_size >= 64, got {p}'
        )
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
        meta = dict(
            format_version=FORMAT_VERSION,
            generator=_GENERATOR,
            params=p,
            classes=list(DEMO_CLASSES),
            counts=counts,
        )
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
