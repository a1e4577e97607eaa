"""Pseudo boxes for a whole classification set, written COCO-style.

Each output (one per NMS IoU, ``<prefix>_nms<iou>.json``) holds the set's ``images``
(``file_name`` relative to the image root, ``width``, ``height``, ``label`` = category id),
``categories`` (the classifier's classes, ids from 1) and one annotation per box with the
image's label as ``category_id`` and a ``score``; ``<prefix>_baseline.json`` holds the
single-threshold CAM box of each image. Unreadable images are listed under
``failed_images`` and skipped. Every finished image is appended to
``<prefix>.partial.jsonl`` (raw boxes before NMS), so a killed run continues where it
stopped; the outputs are written atomically at the end of each run, and the partial file is
removed once they hold every image.
"""
import json
import multiprocessing as mp
import os
import os.path as osp
import time
from dataclasses import asdict

import cv2
import numpy as np
import torch

from ..engine.fileio import atomic_write_bytes
from ..utils.errors import ConfigError
from .cam import CamSettings, class_activation_maps
from .classifier import build_classifier
from .fit import baseline_box, boxes_from_cam, nms_boxes

PARTIAL_SUFFIX = '.partial.jsonl'


def output_names(prefix, settings=CamSettings()):
    return {iou: f'{prefix}_nms{iou:g}.json' for iou in settings.nms}


def _read(path):
    data = np.fromfile(path, np.uint8) if osp.isfile(path) else None
    img = cv2.imdecode(data, cv2.IMREAD_COLOR) if data is not None and data.size else None
    if img is None:
        raise OSError('missing or not a readable image' if data is None else 'corrupt image')
    return img[..., ::-1].copy()


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
        by_size.setdefault(item[2].shape[:2], []).append(item)
    for (h, w), items in by_size.items():
        x = torch.from_numpy(np.stack([i[2] for i in items])).permute(0, 3, 1, 2).float()
        labels = torch.tensor([i[1] for i in items])
        cams = class_activation_maps(classifier, x.to(device), labels.to(device), settings)
        cams = cams.cpu().numpy()
        single = class_activation_maps(classifier, x.to(device), labels.to(device),
                                       CamSettings(scales=settings.scales[:1], flip=False))
        single = single.cpu().numpy()
        for (name, label, _), cam, cam1 in zip(items, cams, single):
            scale = np.array([w / cam.shape[1], h / cam.shape[0]] * 2 + [1], np.float32)
            scale1 = np.array([w / cam1.shape[1], h / cam1.shape[0]] * 2 + [1], np.float32)
            results.append(dict(file_name=name, width=w, height=h, label=label,
                                boxes=(boxes_from_cam(cam, settings) * scale).round(2).tolist(),
                                baseline=(baseline_box(cam1) * scale1).round(2).tolist()))
    return results


_worker = {}


def _init_worker(spec, checkpoint, kwargs, settings):
    torch.set_num_threads(1)
    _worker.update(classifier=build_classifier(spec, checkpoint, kwargs), settings=settings)


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
        images.append(dict(id=i + 1, file_name=name, width=r['width'], height=r['height'],
                           label=r['label'] + 1))
        boxes = np.asarray(r[key], np.float32).reshape(-1, 5)
        if iou is not None:
            boxes = nms_boxes(boxes, iou)
        for x0, y0, x1, y1, s in boxes.tolist():
            if x1 - x0 < 1 or y1 - y0 < 1:
                continue
            anns.append(dict(id=len(anns) + 1, image_id=i + 1, category_id=r['label'] + 1,
                             bbox=[round(x0, 2), round(y0, 2), round(x1 - x0, 2),
                                   round(y1 - y0, 2)],
                             area=round((x1 - x0) * (y1 - y0), 2), iscrowd=0,
                             score=round(s, 4)))
    cats = [dict(id=i + 1, name=c) for i, c in enumerate(classes)]
    return dict(images=images, annotations=anns, categories=cats, failed_images=failed,
                pseudo_boxes=dict(meta or {}, boxes=key, nms=iou))


def generate_cam_boxes(prefix, img_root, items, classes, spec, checkpoint, model_kwargs=None,
                       settings=CamSettings(), workers=1, batch_size=16, device=None,
                       limit=None, log=print):
    """Compute the boxes of ``items`` ([(file_name, class index)]) not yet in the partial
    file, then write the outputs; return a summary dict (computed, failed, files)."""
    if not prefix or prefix.endswith('.json'):
        raise ConfigError(f'--out {prefix}: give a prefix (no .json); outputs are '
                          f'<prefix>_nms<iou>.json')
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    partial = prefix + PARTIAL_SUFFIX
    done = {}
    if osp.isfile(partial):
        with open(partial) as f:
            for line in f:
                try:
                    r = json.loads(line)
                    done[r['file_name']] = r
                except (ValueError, KeyError):
                    break  # a line cut by a kill: recompute from there
    todo = [it for it in items if it[0] not in done or 'error' in done[it[0]]]
    log(f'{len(items)} images, {len(items) - len(todo)} done already, '
        f'{len(todo) if limit is None else min(limit, len(todo))} to do in this run '
        f'({device}, {workers} process{"es" if workers > 1 else ""})')
    if limit is not None:
        todo = todo[:limit]
    chunks = [todo[i:i + batch_size] for i in range(0, len(todo), batch_size)]
    os.makedirs(osp.dirname(osp.abspath(prefix)), exist_ok=True)
    start, count = time.time(), 0
    with open(partial, 'a') as out:
        def record(results):
            nonlocal count
            for r in results:
                done[r['file_name']] = r
                out.write(json.dumps(r) + '\n')
                if 'error' in r:
                    log(f"{osp.join(img_root, r['file_name'])}: {r['error']} (skipped)")
            out.flush()
            count += len(results)
            log(f'{count}/{len(todo)} images, {count / (time.time() - start):.1f} img/s')

        if workers > 1 and device == 'cpu':
            ctx = mp.get_context('spawn')
            with ctx.Pool(workers, _init_worker,
                          (spec, checkpoint, model_kwargs, settings)) as pool:
                for results in pool.imap(_work, [(img_root, c) for c in chunks]):
                    record(results)
        else:
            classifier = build_classifier(spec, checkpoint, model_kwargs).to(device)
            for chunk in chunks:
                record(process_chunk(classifier, img_root, chunk, settings, device))
    meta = dict(classifier=spec, checkpoint=str(checkpoint), settings=asdict(settings))
    files = {}
    for iou, path in output_names(prefix, settings).items():
        data = _coco(items, classes, done, 'boxes', iou, meta)
        atomic_write_bytes(json.dumps(data).encode(), path)
        files[f'nms {iou:g}'] = path
    base = f'{prefix}_baseline.json'
    atomic_write_bytes(json.dumps(_coco(items, classes, done, 'baseline',
                                        meta=meta)).encode(), base)
    files['baseline'] = base
    failed = [n for n, r in done.items() if 'error' in r]
    if all(it[0] in done for it in items) and not failed:
        os.remove(partial)
    return dict(computed=len(todo), failed=failed, files=files,
                seconds=time.time() - start)
