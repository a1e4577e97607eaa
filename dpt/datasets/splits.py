"""Labelled subsets of a COCO annotation file, for semi-supervised and low-data fine-tuning.

Two samplers, each reproducing the splits the published results used:

* ``semi`` (AlignDet, SoftTeacher, mmdet's ``tools/misc/split_coco.py``): ``percent`` % of the
  images, drawn without replacement by ``numpy.random.RandomState(seed + fold)`` over the
  images in file order; writes ``{stem}.{fold}@{percent}.json`` and the rest as
  ``{stem}.{fold}@{percent}-unlabeled.json``. ``seed`` 0 gives SoftTeacher's folds, on which
  AlignDet reports COCO 1 / 5 / 10 % (fold 1). (mmdet's script draws *with* replacement, so
  its labelled part is a little smaller than the percent says.)
* ``images`` (DETReg, ``--filter_pct``): ``round(N * percent / 100)`` image ids drawn without
  replacement by ``numpy.random.default_rng(seed)`` from the sorted ids, seed 42 by default;
  writes only the subset, ``{stem}.seed{seed}@{percent}.json``.

Annotations follow their images; everything else (categories, info, licenses) is kept.

A third, :func:`few_shot_annotations` (``few-shot``, DETReg's few-shot setting, which takes
TFA's splits: Wang et al., ICML 2020, ucbdrive/few-shot-object-detection
``datasets/prepare_coco_few_shot.py``), keeps K annotated instances of every class instead of
a share of the images; :func:`merge_tfa_split` reads TFA's own per-class files (its seed 0,
the split DETReg reports, is distributed, not generated).
"""

import glob
import json
import os.path as osp
import random

import numpy as np

from ..engine.fileio import atomic_write_bytes
from ..utils.errors import ConfigError, DataError, load_json
from .coco import check_coco

MODES = ('semi', 'images')
DEFAULT_SEED = {'semi': 0, 'images': 42}


def percent_name(percent):
    """10.0 -> '10', 0.5 -> '0.5': the number in mmdet's semi-supervised file names."""
    return f'{float(percent):g}'


def split_names(stem, percent, fold=1, seed=None, mode='semi'):
    """The file names one split writes: [labelled] or [labelled, unlabelled]."""
    p = percent_name(percent)
    if mode == 'images':
        seed = DEFAULT_SEED['images'] if seed is None else seed
        return [f'{stem}.seed{seed}@{p}.json']
    return [f'{stem}.{fold}@{p}.json', f'{stem}.{fold}@{p}-unlabeled.json']


def load_coco(ann_file):
    """Read a COCO instances file and check that every annotation names a listed image."""
    coco = load_json(ann_file)
    check_coco(coco, ann_file)
    return coco


def labelled_ids(coco, percent, fold=1, seed=None, mode='semi', source='annotations'):
    """The ids of the labelled images of one split (a set)."""
    if mode not in MODES:
        raise ConfigError(f'mode={mode}: choose from {", ".join(MODES)}')
    if not 0 < percent <= 100:
        raise ConfigError(f'percent={percent:g}: must be more than 0 and at most 100')
    seed = DEFAULT_SEED[mode] if seed is None else seed
    images = coco['images']
    if mode == 'semi':
        count = int(percent / 100.0 * len(images))  # SoftTeacher and mmdet round down
        picked = np.random.RandomState(seed + fold).choice(len(images), count, replace=False)
        chosen = {images[i]['id'] for i in picked}
    else:
        ids = sorted(img['id'] for img in images)
        count = round(len(ids) * (percent / 100.0))  # DETReg: round(N * filter_pct)
        chosen = set(np.random.default_rng(seed).choice(ids, size=count, replace=False).tolist())
    if not chosen:
        raise DataError(
            f'{source}: {percent:g}% of its {len(images)} images is no image; '
            f'ask for a larger percent'
        )
    return chosen


def split_coco(coco, chosen):
    """(labelled, unlabelled) COCO dicts: the chosen images and the rest, each with the
    annotations of its images and every other top-level entry of ``coco`` unchanged."""

    def part(keep):
        out = {k: v for k, v in coco.items() if k not in ('images', 'annotations')}
        out['images'] = [img for img in coco['images'] if (img['id'] in chosen) == keep]
        out['annotations'] = [a for a in coco['annotations'] if (a['image_id'] in chosen) == keep]
        return out

    return part(True), part(False)


# TFA draws each class's shots in this order, each count extending the one before, from one
# random stream per seed: a K-shot split depends on the draws of the smaller counts
TFA_SHOTS = (1, 2, 3, 5, 10, 30)


def few_shot_name(stem, shots, seed):
    """File name of a few-shot split: ``{stem}.seed{seed}@{shots}shot.json``."""
    return f'{stem}.seed{seed}@{shots}shot.json'


def _draw_shots(rng, by_image, shots, picked, picked_imgs, source, cat, max_draws):
    """TFA's rejection sampler for one shot count: draw ``shots`` images at a time, take each
    image (all of its instances of the class) unless taken already or over the count, until
    exactly ``shots`` instances are held."""
    images = list(by_image)
    for _ in range(max_draws):
        for img in rng.sample(images, shots):
            if img in picked_imgs or len(by_image[img]) + len(picked) > shots:
                continue
            picked.extend(by_image[img])
            picked_imgs.append(img)
            if len(picked) == shots:
                return
        if len(picked) == shots:
            return
    raise DataError(
        f'{source}: category {cat}: no {shots} instances in whole images after '
        f'{max_draws} draws; ask for fewer shots'
    )


def few_shot_annotations(coco, shots, seed, source='annotations', max_draws=100000):
    """{category id: the annotations of its ``shots``-shot sample}, as TFA's
    ``prepare_coco_few_shot.py`` samples seed ``seed``: Python's ``random.seed(seed)``, then
    for every category in id order (crowd annotations left out) the counts 1, 2, 3, 5, 10,
    30 in turn, each drawn by :func:`_draw_shots` on top of the smaller one. Images are
    taken whole per class: all of their instances of that class, so each class ends with
    exactly ``shots`` instances."""
    if shots not in TFA_SHOTS:
        raise ConfigError(f'shots={shots}: TFA samples {", ".join(map(str, TFA_SHOTS))}')
    by_cat = {c['id']: {} for c in coco['categories']}
    for ann in coco['annotations']:
        if ann.get('iscrowd', 0) == 1:
            continue
        by_cat[ann['category_id']].setdefault(ann['image_id'], []).append(ann)
    rng = random.Random(seed)
    out = {}
    for cat in sorted(by_cat):
        by_image = by_cat[cat]
        total = sum(len(v) for v in by_image.values())
        picked, picked_imgs = [], []
        for count in TFA_SHOTS:
            if count > total or count > len(by_image):
                if count <= shots:
                    raise DataError(
                        f'{source}: category {cat} has {total} instances in '
                        f'{len(by_image)} images, fewer than {count} shots need'
                    )
                break  # TFA would loop for ever; nothing of these counts is asked for
            _draw_shots(rng, by_image, count, picked, picked_imgs, source, cat, max_draws)
            if count == shots:
                out[cat] = list(picked)
    return out


def few_shot_coco(coco, per_class):
    """One COCO dict of a few-shot split: the images of every class's sample, each with only
    the annotations sampled (an image picked for class A carries no B boxes unless it was
    also picked for B), as TFA's loader merges its per-class files."""
    anns = sorted((a for group in per_class.values() for a in group), key=lambda a: a['id'])
    ids = {a['image_id'] for a in anns}
    out = {k: v for k, v in coco.items() if k not in ('images', 'annotations')}
    out['images'] = [img for img in coco['images'] if img['id'] in ids]
    out['annotations'] = anns
    return out


def merge_tfa_split(folder, shots, categories=None):
    """One COCO dict from TFA's per-class files ``full_box_{shots}shot_{name}_trainval.json``
    in ``folder`` (e.g. its ``cocosplit/seed0``): images deduplicated, annotations of every
    file, categories of the first (or ``categories``)."""
    paths = sorted(p for p in glob.glob(osp.join(folder, f'full_box_{shots}shot_*_trainval.json')))
    if not paths:
        raise DataError(
            f'{folder}: no full_box_{shots}shot_*_trainval.json (a TFA cocosplit seed folder)'
        )
    images, anns, out = {}, {}, None
    for path in paths:
        data = load_json(path)
        if out is None:
            out = {k: v for k, v in data.items() if k not in ('images', 'annotations')}
        for img in data['images']:
            images.setdefault(img['id'], img)
        for ann in data['annotations']:
            anns.setdefault(ann['id'], ann)
    if categories is not None:
        out['categories'] = categories
    out['images'] = [images[k] for k in sorted(images)]
    out['annotations'] = [anns[k] for k in sorted(anns)]
    return out


def make_few_shot_splits(
    ann_file, out_dir, shots=(10, 30), seed=1, tfa_dir=None, overwrite=False, progress=None
):
    """Write ``{stem}.seed{seed}@{K}shot.json`` for each K of ``shots``: sampled from
    ``ann_file`` as TFA does (:func:`few_shot_annotations`), or, with ``tfa_dir``, TFA's
    own files merged (:func:`merge_tfa_split`; the file is then named ``seed`` as given)."""
    stem = osp.splitext(osp.basename(ann_file))[0]
    coco = None if tfa_dir else load_coco(ann_file)
    records = []
    for k in shots:
        if tfa_dir:
            data = merge_tfa_split(tfa_dir, k)
        else:
            data = few_shot_coco(coco, few_shot_annotations(coco, k, seed, ann_file))
        path = osp.join(out_dir, few_shot_name(stem, k, seed))
        records.append(_write_record(data, path, overwrite, progress))
    return records


def _write_record(data, path, overwrite, progress):
    """Write ``data`` to ``path`` (:func:`_write`); its record, passed to ``progress`` too."""
    record = dict(
        path=path,
        state=_write(data, path, overwrite),
        images=len(data['images']),
        annotations=len(data['annotations']),
    )
    if progress:
        progress(record)
    return record


def _write(data, path, overwrite):
    """Write JSON atomically; 'wrote', or 'up to date' when the same file is there."""
    payload = json.dumps(data, separators=(',', ':')).encode()
    if osp.isfile(path):
        if osp.getsize(path) == len(payload):
            with open(path, 'rb') as f:
                if f.read() == payload:
                    return 'up to date'
        if not overwrite:
            raise DataError(
                f'{path}: exists with other content (made from another annotation '
                f'file or seed?); pass overwrite=True to replace it'
            )
    atomic_write_bytes(payload, path)
    return 'wrote'


def make_semi_splits(
    ann_file,
    out_dir,
    percents=(1, 2, 5, 10),
    folds=(1,),
    seed=None,
    mode='semi',
    overwrite=False,
    progress=None,
):
    """Write the splits of ``ann_file`` into ``out_dir`` for each percent (and fold, in
    ``semi`` mode); return one record per file: path, state ('wrote' / 'up to date'),
    images, annotations. ``progress(record)`` is called after each file."""
    coco = load_coco(ann_file)
    stem = osp.splitext(osp.basename(ann_file))[0]
    records = []
    for fold in folds if mode == 'semi' else (None,):
        for percent in percents:
            chosen = labelled_ids(coco, percent, fold, seed, mode, ann_file)
            parts = split_coco(coco, chosen)
            names = split_names(stem, percent, fold, seed, mode)
            for name, data in zip(names, parts):
                path = osp.join(out_dir, name)
                records.append(_write_record(data, path, overwrite, progress))
    return records
