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
"""
import json
import os.path as osp

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
        raise ConfigError(f'--mode {mode}: choose from {", ".join(MODES)}')
    if not 0 < percent <= 100:
        raise ConfigError(f'--percent {percent:g}: must be more than 0 and at most 100')
    seed = DEFAULT_SEED[mode] if seed is None else seed
    images = coco['images']
    if mode == 'semi':
        count = int(percent / 100. * len(images))  # SoftTeacher and mmdet round down
        picked = np.random.RandomState(seed + fold).choice(len(images), count, replace=False)
        chosen = {images[i]['id'] for i in picked}
    else:
        ids = sorted(img['id'] for img in images)
        count = round(len(ids) * (percent / 100.))  # DETReg: round(N * filter_pct)
        chosen = set(np.random.default_rng(seed).choice(ids, size=count, replace=False).tolist())
    if not chosen:
        raise DataError(f'{source}: {percent:g}% of its {len(images)} images is no image; '
                        f'ask for a larger percent')
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


def _write(data, path, overwrite):
    """Write JSON atomically; 'wrote', or 'up to date' when the same file is there."""
    payload = json.dumps(data, separators=(',', ':')).encode()
    if osp.isfile(path):
        if osp.getsize(path) == len(payload):
            with open(path, 'rb') as f:
                if f.read() == payload:
                    return 'up to date'
        if not overwrite:
            raise DataError(f'{path}: exists with other content (made from another annotation '
                            f'file or seed?); pass --overwrite to replace it')
    atomic_write_bytes(payload, path)
    return 'wrote'


def make_semi_splits(ann_file, out_dir, percents=(1, 2, 5, 10), folds=(1,), seed=None,
                     mode='semi', overwrite=False, progress=None):
    """Write the splits of ``ann_file`` into ``out_dir`` for each percent (and fold, in
    ``semi`` mode); return one record per file: path, state ('wrote' / 'up to date'),
    images, annotations. ``progress(record)`` is called after each file."""
    coco = load_coco(ann_file)
    stem = osp.splitext(osp.basename(ann_file))[0]
    records = []
    for fold in (folds if mode == 'semi' else (None,)):
        for percent in percents:
            chosen = labelled_ids(coco, percent, fold, seed, mode, ann_file)
            parts = split_coco(coco, chosen)
            names = split_names(stem, percent, fold, seed, mode)
            for name, data in zip(names, parts):
                path = osp.join(out_dir, name)
                record = dict(path=path, state=_write(data, path, overwrite),
                              images=len(data['images']),
                              annotations=len(data['annotations']))
                records.append(record)
                if progress:
                    progress(record)
    return records
