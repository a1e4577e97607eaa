"""Proposals for a whole image set, written as a COCO-style file with one class.

The layout is that of AlignDet's published ``train2017_ratio3size0008@0.5.json`` (AlignDet's
``configs/selfsup/_base_/datasets/coco_selfsup.py`` loads it with mmdet's ``CocoDataset`` and
``classes = ['selective_search']``): the source set's ``images``, one category
``selective_search`` (id 1), one annotation per proposal with ``bbox`` (x, y, w, h), ``area``,
``iscrowd`` 0, and a ``score`` that falls with the proposal's rank in the search's output (the
annotations of an image are written in rank order). Images that could not be read are left
out of ``images`` and listed under ``failed_images``.

A run appends each finished image to ``<out>.partial.jsonl`` (flushed per image; a
:class:`~dpt.engine.resumable.PartialFile` headed by the settings), so a killed run continues
where it stopped and a rerun with other settings is refused. The output is written atomically
at the end of every run; the partial file is removed only once the output holds every image
of the source, so a run with ``limit`` or with failed images can be continued (only the
missing images are computed).
"""

import itertools
import multiprocessing as mp
import os.path as osp
import signal
import threading
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, as_completed, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager

import numpy as np

from ..engine.resumable import PARTIAL_SUFFIX, PartialFile
from ..utils.errors import ConfigError, DataError
from ..utils.image_io import read_rgb
from ..utils.workers import pool_initializer
from .propose import ProposalSettings, propose
from .sources import coco_images, folder_images

CATEGORY = dict(id=1, name='selective_search', supercategory='selective_search')


# ----------------------------------------------------------------------------- one image
_worker_settings = None


@contextmanager
def _sigint_ignored():
    """Ignore Ctrl-C in this block (main thread only; elsewhere signals cannot be set)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _init_worker(settings, pool=True):
    global _worker_settings
    _worker_settings = settings
    if not pool:
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the pool
    import cv2

    cv2.setNumThreads(1)  # one image per process: threads would only compete
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass


def _process(task):
    """One image -> a JSON-able record, or ``{file_name, error}`` if it cannot be used."""
    file_name, path, expect_wh = task
    try:
        img = read_rgb(path)
        h, w = img.shape[:2]
        if expect_wh and tuple(expect_wh) != (w, h):
            raise OSError(
                f'the image is {w}x{h} but the annotation file says {expect_wh[0]}x{expect_wh[1]}'
            )
        p = propose(img, _worker_settings)
    except OSError as e:
        return dict(file_name=file_name, error=str(e))
    except Exception as e:  # a broken image can make any decoder or search step fail
        return dict(file_name=file_name, error=f'{type(e).__name__}: {e}')
    b = p['boxes'].astype(np.float64)
    xywh = np.concatenate([b[:, :2], b[:, 2:] - b[:, :2]], 1).round(2)
    boxes = [[int(v) if v.is_integer() else v for v in row] for row in xywh.tolist()]
    return dict(
        file_name=file_name,
        width=w,
        height=h,
        boxes=boxes,
        scores=[round(float(s), 6) for s in p['scores']],
        raw=p['raw'],
        filter=p['filter'],
    )


# ----------------------------------------------------------------------------- the job
class ProposalJob:
    """Proposals for every image of a COCO-style file (``ann_file``) or of a folder.

    ``run()`` yields one record per image as it finishes (and appends it to the partial
    file); ``finish()`` writes the output. :func:`generate_proposals` does both.
    """

    def __init__(self, out, img_dir, ann_file=None, settings=None, limit=None):
        self.out, self.img_dir, self.ann_file = str(out), str(img_dir), ann_file
        self.settings = settings or ProposalSettings()
        if not self.out.endswith('.json'):
            raise ConfigError(f'{self.out}: the output file must end in .json')
        images = coco_images(ann_file, img_dir) if ann_file else folder_images(img_dir)
        names = Counter(im['file_name'] for im in images)
        repeated = [n for n, c in names.items() if c > 1]
        if repeated:
            raise DataError(
                f"{ann_file}: file_name '{repeated[0]}' is listed "
                f'{names[repeated[0]]} times in images'
            )
        self.total = len(images)
        self.images = images[:limit] if limit else images
        self.partial = self.out + PARTIAL_SUFFIX
        self.journal = PartialFile(
            self.partial,
            dict(partial_of=osp.basename(self.out), settings=self.settings.to_dict()),
            is_record=lambda rec: 'boxes' in rec,
        )
        self.done = self.journal.load()
        self.reused = sum(im['file_name'] in self.done for im in self.images)
        self.todo = [im for im in self.images if im['file_name'] not in self.done]
        self.failed = {}
        self.computed = 0

    def _tasks(self):
        for im in self.todo:
            wh = (
                (im['width'], im['height'])
                if self.ann_file and 'width' in im and 'height' in im
                else None
            )
            yield im['file_name'], osp.join(self.img_dir, im['file_name']), wh

    def run(self, workers=1):
        """Process the images not done yet, yielding each record as it finishes."""
        if not self.todo:
            return
        with self.journal.appending() as append:
            if workers <= 1:
                _init_worker(self.settings, pool=False)
                yield from self._record(map(_process, self._tasks()), append)
            else:
                yield from self._record(self._in_processes(workers), append)

    def _in_processes(self, workers):
        """Records from ``workers`` forked processes, a few tasks ahead of the finished ones.

        A worker that dies (out of memory, a decoder crash) breaks the pool: that becomes a
        :class:`DataError` naming the images in flight, instead of a run that waits forever.
        """
        import cv2
        import torchvision.ops  # noqa: F401  (NMS: imported once here, shared by the forks)

        # OpenCV's worker threads do not survive a fork: a child calling into a pool the
        # parent had started hung (in pthread_cond_destroy). Stop them before forking.
        threads = cv2.getNumThreads()
        cv2.setNumThreads(1)
        tasks, pool, running, finished_cleanly = self._tasks(), None, {}, False
        ctx = mp.get_context('fork' if 'fork' in mp.get_all_start_methods() else 'spawn')
        try:
            # Ctrl-C reaches every process of the terminal's group: the workers are forked
            # (all of them, at the first submit) with it ignored, so only the parent stops.
            with _sigint_ignored():
                pool = ProcessPoolExecutor(
                    workers, ctx, *pool_initializer(_init_worker, self.settings)
                )
                for task in itertools.islice(tasks, 1):
                    running[pool.submit(_process, task)] = task[0]
            for task in tasks:
                running[pool.submit(_process, task)] = task[0]
                if len(running) < 4 * workers:
                    continue
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in finished:
                    yield self._result(fut, running)
            for fut in as_completed(list(running)):
                yield self._result(fut, running)
            pool.shutdown()
            finished_cleanly = True
        finally:
            if pool and not finished_cleanly:  # interrupted or failed: do not wait for the rest
                # The workers only compute (this process writes the results): stop them now,
                # not after their current image. No public API; shutdown() forgets them.
                procs = list((getattr(pool, '_processes', None) or {}).values())
                pool.shutdown(wait=False, cancel_futures=True)
                for proc in procs:
                    proc.terminate()
            cv2.setNumThreads(threads)

    def _result(self, fut, running):
        try:
            return fut.result()
        except BrokenProcessPool:
            names = ', '.join(sorted(running.values())[:5])
            raise DataError(
                f'{self.img_dir}: a worker process died while working on {names} '
                f'(out of memory? an image that crashes the decoder?); the '
                f'{len(self.done)} finished images are kept in {self.partial}, '
                f'rerun to continue'
            ) from None
        finally:
            running.pop(fut, None)

    def _record(self, results, append):
        for rec in results:
            if 'error' in rec:
                self.failed[rec['file_name']] = rec['error']
            else:
                append(rec)
                self.done[rec['file_name']] = rec
                self.computed += 1
            yield rec

    def finish(self):
        """Write the COCO-style output (atomically) and return a summary dict."""
        ok = [im for im in self.images if im['file_name'] in self.done]
        if self.images and not ok:
            first = next(iter(self.failed.items()), ('?', 'not processed'))
            raise DataError(
                f'{self.ann_file or self.img_dir}: none of the {len(self.images)} '
                f'images could be used (first: {first[0]}: {first[1]})'
            )
        images, anns, used = [], [], Counter()
        for im in ok:
            rec = self.done[im['file_name']]
            entry = dict(im, width=rec['width'], height=rec['height'])
            images.append(entry)
            used[rec['filter']] += 1
            for box, score in zip(rec['boxes'], rec['scores']):
                anns.append(
                    dict(
                        id=len(anns) + 1,
                        image_id=entry['id'],
                        category_id=1,
                        bbox=box,
                        area=round(box[2] * box[3], 2),
                        iscrowd=0,
                        score=score,
                    )
                )
        failed = [
            dict(
                id=im['id'],
                file_name=im['file_name'],
                error=self.failed.get(im['file_name'], 'not processed'),
            )
            for im in self.images
            if im['file_name'] not in self.done
        ]
        info = dict(
            description=f'unsupervised proposals ({self.settings.method}, {self.settings.name})',
            source=self.ann_file or self.img_dir,
            settings=self.settings.to_dict(),
            date_created=time.strftime('%Y-%m-%d %H:%M:%S'),
        )
        data = dict(
            info=info, images=images, annotations=anns, categories=[CATEGORY], failed_images=failed
        )
        complete = len(self.images) == self.total and not failed
        # the partial file goes only once the output holds every image; else a rerun continues
        self.journal.finish({self.out: data}, complete)
        return dict(
            out=self.out,
            images=len(self.images),
            written=len(images),
            computed=self.computed,
            reused=self.reused,
            failed=len(failed),
            proposals=len(anns),
            filters=dict(used),
            complete=complete,
            partial=self.partial if osp.isfile(self.partial) else None,
        )


def generate_proposals(
    out, img_dir, ann_file=None, settings=None, workers=1, limit=None, on_record=None
):
    """Make proposals for every image (see :class:`ProposalJob`) and return the summary.

    ``limit`` keeps the first images only; the partial file then stays so that a run without
    it continues from there. ``on_record(record)`` is called as each image finishes.
    """
    job = ProposalJob(out, img_dir, ann_file, settings, limit)
    for rec in job.run(workers):
        if on_record:
            on_record(rec)
    return job.finish()
