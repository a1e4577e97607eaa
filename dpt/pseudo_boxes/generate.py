"""Pseudo boxes for a whole classification set, written COCO-style.

Each output (one per NMS IoU, ``<prefix>_nms<iou>.json``) holds the set's ``images``
(``file_name`` relative to the image root, ``width``, ``height``, ``label`` = category id),
``categories`` (the classifier's classes, ids from 1) and one annotation per box with the
image's label as ``category_id`` and a ``score`` (DAP's: box area over the image's first
box's); ``<prefix>_baseline.json`` holds the single-threshold CAM box of each image.
Unreadable images are listed under ``failed_images`` and skipped.

Every finished image is appended to ``<prefix>.partial.jsonl`` (raw boxes before NMS; a
:class:`~dpt.engine.resumable.PartialFile`), whose first line records what the boxes were made
with (classifier, checkpoint, settings): a killed run continues where it stopped, and a rerun
with other settings is refused with one line. The outputs are written atomically at the end of
each run, and the partial file is removed once they hold every image.
"""

import hashlib
import json
import multiprocessing as mp
import os
import os.path as osp
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import numpy as np
import torch
from PIL import Image

from ..engine.resumable import PARTIAL_SUFFIX, PartialFile
from ..utils.errors import ConfigError, DataError
from ..utils.image_io import read_rgb
from ..utils.workers import pool_initializer
from .cam import CamSettings, class_activation_maps
from .classifier import build_classifier
from .fit import baseline_box, cam_boxes, nms_boxes


def output_names(prefix, settings=CamSettings()):
    return {iou: f'{prefix}_nms{iou:g}.json' for iou in settings.nms}


def _read(path):
    """An RGB PIL image (DAP reads with ``Image.open(...).convert('RGB')``), decoded as the
    detector's loader decodes it (:mod:`dpt.utils.image_io`: EXIF orientation applied, so
    the boxes fit the image trained on; an image training refuses is refused here too).
    Raises ``OSError``."""
    return Image.fromarray(read_rgb(path))


def process_chunk(classifier, img_root, chunk, settings, device='cpu'):
    """Results (one dict per image) for ``chunk`` of (file_name, label index) pairs."""
    results, loaded = [], []
    for name, label in chunk:
        try:
            loaded.append((name, label, _read(osp.join(img_root, name))))
        except OSError as e:
            results.append(dict(file_name=name, error=str(e)))
    by_size = {}
    for item in loaded:
        by_size.setdefault(item[2].size, []).append(item)
    single = CamSettings(scales=settings.scales[:1], flip=False, size_divisor=settings.size_divisor)
    for (w, h), items in by_size.items():
        images, labels = [i[2] for i in items], [i[1] for i in items]
        if max(labels) >= classifier.num_classes:
            raise ConfigError(
                f'class index {max(labels)} of the image list, but the '
                f'classifier has {classifier.num_classes} classes'
            )
        cams, cell = class_activation_maps(classifier, images, labels, settings, device)
        maps1, cell1 = class_activation_maps(classifier, images, labels, single, device)
        for (name, label, _), cam, cam1 in zip(items, cams.cpu().numpy(), maps1.cpu().numpy()):
            base = baseline_box(cam1) * cell1
            base[:, 0::2] = base[:, 0::2].clip(0, w)
            base[:, 1::2] = base[:, 1::2].clip(0, h)
            results.append(
                dict(
                    file_name=name,
                    width=w,
                    height=h,
                    label=label,
                    boxes=cam_boxes(cam, cell, (w, h), settings).tolist(),
                    baseline=base.tolist(),
                )
            )
    return results


_worker = {}


def _init_worker(spec, checkpoint, kwargs, settings, num_classes=None):
    torch.set_num_threads(1)
    _worker.update(
        classifier=build_classifier(spec, checkpoint, kwargs, num_classes), settings=settings
    )


def _work(task):
    img_root, chunk = task
    return process_chunk(_worker['classifier'], img_root, chunk, _worker['settings'])


def _coco(items, classes, done, key, iou=None, meta=None):
    images, anns, failed = [], [], []
    for i, (name, _) in enumerate(items):
        r = done.get(name)
        if r is None:
            continue
        if 'error' in r:
            failed.append(dict(file_name=name, error=r['error']))
            continue
        images.append(
            dict(
                id=i + 1, file_name=name, width=r['width'], height=r['height'], label=r['label'] + 1
            )
        )
        if key == 'boxes':
            boxes = np.asarray(r[key], np.float32).reshape(-1, 5)
            if iou is not None:
                boxes = nms_boxes(boxes, iou)
        else:
            boxes = np.asarray(r[key], np.float32).reshape(-1, 4)
            boxes = np.concatenate([boxes, np.ones((len(boxes), 1), np.float32)], 1)
        for x0, y0, x1, y1, s in boxes.tolist():
            anns.append(
                dict(
                    id=len(anns) + 1,
                    image_id=i + 1,
                    category_id=r['label'] + 1,
                    bbox=[x0, y0, x1 - x0, y1 - y0],
                    area=(x1 - x0) * (y1 - y0),
                    iscrowd=0,
                    score=s,
                )
            )
    cats = [dict(id=i + 1, name=c) for i, c in enumerate(classes)]
    return dict(
        images=images,
        annotations=anns,
        categories=cats,
        failed_images=failed,
        pseudo_boxes=dict(meta or {}, boxes=key, nms=iou),
    )


def _file_digest(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()[:16]


def job_header(prefix, spec, checkpoint, model_kwargs, num_classes, settings):
    """What a partial file's boxes were made with; a resume must match it."""
    ck = (
        None
        if checkpoint is None
        else dict(
            path=osp.abspath(str(checkpoint)),
            sha256=_file_digest(checkpoint) if osp.isfile(str(checkpoint)) else None,
        )
    )
    header = dict(
        partial_of=osp.basename(prefix),
        classifier=spec,
        checkpoint=ck,
        model_kwargs=dict(model_kwargs or {}),
        num_classes=num_classes,
        settings=settings.to_dict(),
    )
    return json.loads(json.dumps(header))  # as it reads back (tuples are lists)


def generate_cam_boxes(
    prefix,
    img_root,
    items,
    classes,
    spec,
    checkpoint,
    model_kwargs=None,
    settings=CamSettings(),
    workers=1,
    batch_size=16,
    device=None,
    limit=None,
    log=print,
    num_classes=None,
):
    """Compute the boxes of ``items`` ([(file_name, class index)]) not yet in the partial
    file, then write the outputs; return a summary dict (computed, failed, files)."""
    if not prefix or prefix.endswith('.json'):
        raise ConfigError(
            f'prefix={prefix}: give a prefix (no .json); outputs are <prefix>_nms<iou>.json'
        )
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    partial = prefix + PARTIAL_SUFFIX
    os.makedirs(osp.dirname(osp.abspath(prefix)), exist_ok=True)
    journal = PartialFile(
        partial,
        job_header(prefix, spec, checkpoint, model_kwargs, num_classes, settings),
        is_record=lambda r: 'boxes' in r or 'error' in r,
    )
    header, done = journal.header, journal.load()
    todo = [it for it in items if it[0] not in done or 'error' in done[it[0]]]
    log(
        f'{len(items)} images, {len(items) - len(todo)} done already, '
        f'{len(todo) if limit is None else min(limit, len(todo))} to do in this run '
        f'({device}, {workers} process{"es" if workers > 1 else ""})'
    )
    if limit is not None:
        todo = todo[:limit]
    chunks = [todo[i : i + batch_size] for i in range(0, len(todo), batch_size)]
    start, count = time.time(), 0
    with journal.appending() as append:

        def record(results):
            nonlocal count
            for r in results:
                done[r['file_name']] = r
                if 'error' in r:
                    log(f"{osp.join(img_root, r['file_name'])}: {r['error']} (skipped)")
            append(*results)
            count += len(results)
            log(f'{count}/{len(todo)} images, {count / (time.time() - start):.1f} img/s')

        if workers > 1 and device == 'cpu':
            ctx = mp.get_context('spawn')
            # an executor, not mp.Pool: a worker that dies (out of memory) breaks it, where
            # mp.Pool would wait for that chunk for good
            pool, finished = (
                ProcessPoolExecutor(
                    workers,
                    ctx,
                    *pool_initializer(
                        _init_worker, spec, checkpoint, model_kwargs, settings, num_classes
                    ),
                ),
                False,
            )
            try:
                for results in pool.map(_work, [(img_root, c) for c in chunks]):
                    record(results)
                pool.shutdown()
                finished = True
            except BrokenProcessPool:
                raise DataError(
                    f'{img_root}: a worker process died (out of memory? an image '
                    f'that crashes the decoder?); the {count} images finished in '
                    f'this run are kept in {partial}, rerun to continue'
                ) from None
            finally:
                if not finished:  # an error or Ctrl-C: stop the workers now
                    procs = list((getattr(pool, '_processes', None) or {}).values())
                    pool.shutdown(wait=False, cancel_futures=True)
                    for proc in procs:
                        proc.terminate()
        else:
            classifier = build_classifier(spec, checkpoint, model_kwargs, num_classes).to(device)
            for chunk in chunks:
                record(process_chunk(classifier, img_root, chunk, settings, device))
    meta = {k: v for k, v in header.items() if k != 'partial_of'}
    files = {f'nms {iou:g}': path for iou, path in output_names(prefix, settings).items()}
    files['baseline'] = f'{prefix}_baseline.json'

    def outputs():  # one at a time: each holds every box of the set
        for iou, path in output_names(prefix, settings).items():
            yield path, _coco(items, classes, done, 'boxes', iou, meta)
        yield files['baseline'], _coco(items, classes, done, 'baseline', meta=meta)

    failed = [n for n, r in done.items() if 'error' in r]
    journal.finish(outputs(), complete=all(it[0] in done for it in items) and not failed)
    return dict(computed=len(todo), failed=failed, files=files, seconds=time.time() - start)
