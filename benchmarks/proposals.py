#!/usr/bin/env python
"""Speed and recall of the unsupervised proposal searches (docs/proposals.md).

1. Speed on photos, single process, one core: SoCo's own ``selective_search`` (hologerry/SoCo,
   ``selective_search/selective_search.py``, imported from a checkout given with ``--soco``;
   without one its rows are skipped with a message) against dpt's ``soco`` search, on the
   photos of the parity fixtures (tests/data/parity/soco/photos.json, rebuilt from
   skimage.data, 300-1300 px). Per photo: CPU seconds of each (the smallest of ``--repeats``
   runs, the two alternating), the ratio, and whether the boxes are identical.
2. Recall on the demo data: dpt's ``soco`` and ``opencv_fast`` searches, raw and after SoCo's
   filter ``ratio3size0008`` (with and without NMS 0.5): the fraction of ground-truth boxes that
   one of the first 30 / 100 / all proposals covers at IoU >= 0.5. Images: the demo data
   (160x160) and the same generator at 640x640, or a COCO-style set (--ann-file, --img-dir).

    python benchmarks/proposals.py --soco /path/to/SoCo
    python benchmarks/proposals.py --ann-file A.json --img-dir D --num-images 50
"""

import argparse
import datetime
import importlib.util
import json
import os
import os.path as osp
import platform
import sys
import tempfile
import time
import warnings

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
# the parity fixtures' photos, rebuilt as the SoCo parity tests rebuild them
sys.path.insert(0, osp.join(ROOT, 'tests', 'proposals'))
from soco_photos import build_photo, recipes  # noqa: E402

POST = ('raw', 'ratio3size0008', 'ratio3size0008@0.5')
TOPK = (30, 100, None)


def load_soco(path):
    """SoCo's ``selective_search`` module from a checkout, or None with the reason printed."""
    if not path:
        print('no SoCo checkout given (--soco PATH or SOCO_ROOT): its rows are skipped')
        return None
    file = osp.join(path, 'selective_search', 'selective_search.py')
    if not osp.isfile(file):
        print(f'{file} not found: SoCo rows skipped')
        return None
    spec = importlib.util.spec_from_file_location('soco_selective_search', file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def soco_boxes(soco, img):
    """SoCo's call of its generate script; its ``rect`` (x, y, w, h) as dpt's xyxy boxes."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # scikit-image: LBP of a float image
        _, regions, _ = soco.selective_search(img, scale=300, sigma=0.9, min_size=100)
    r = np.array([reg['rect'] for reg in regions], np.float32).reshape(-1, 4)
    return np.concatenate([r[:, :2], r[:, :2] + r[:, 2:]], 1)


def cpu_seconds(fn, img):
    t = time.process_time()
    out = fn(img)
    return time.process_time() - t, out


def speed_on_photos(soco, repeats):
    from dpt.proposals import selective_search

    photos = recipes()
    selective_search(build_photo(photos['chelsea'])[:64, :64])  # compile (cached on disk)
    rows = []
    for name, recipe in photos.items():
        img = build_photo(recipe)
        ours, theirs, same = [], [], None
        for _ in range(repeats):  # alternate, so both see the same load
            t, boxes = cpu_seconds(selective_search, img)
            ours.append(t)
            if soco is not None:
                t, want = cpu_seconds(lambda im: soco_boxes(soco, im), img)
                theirs.append(t)
                same = boxes.shape == want.shape and bool(np.array_equal(boxes, want))
        row = dict(
            photo=name,
            size=f'{img.shape[1]}x{img.shape[0]}',
            boxes=len(boxes),
            dpt_s=min(ours),
            soco_s=min(theirs) if theirs else None,
            identical=same,
        )
        rows.append(row)
        print(
            f"{name} {row['size']}: dpt {row['dpt_s']:.3f} s"
            + (
                f", SoCo {row['soco_s']:.2f} s, {row['soco_s'] / row['dpt_s']:.1f}x, "
                f"boxes identical: {same}"
                if theirs
                else ''
            ),
            flush=True,
        )
    return rows


def speed_table(rows):
    head = [
        'photo',
        'W x H',
        'boxes',
        'SoCo s (CPU)',
        'dpt s (CPU)',
        'SoCo / dpt',
        'identical boxes',
    ]
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for r in rows:
        soco = r['soco_s'] is not None
        lines.append(
            '| '
            + ' | '.join(
                [
                    r['photo'],
                    r['size'],
                    str(r['boxes']),
                    f"{r['soco_s']:.2f}" if soco else '-',
                    f"{r['dpt_s']:.3f}",
                    f"{r['soco_s'] / r['dpt_s']:.1f}x" if soco else '-',
                    ('yes' if r['identical'] else 'NO') if soco else '-',
                ]
            )
            + ' |'
        )
    if rows and rows[0]['soco_s'] is not None:
        ts, td = sum(r['soco_s'] for r in rows), sum(r['dpt_s'] for r in rows)
        n_same = sum(r['identical'] for r in rows)
        lines.append(
            f"| all {len(rows)} | | {sum(r['boxes'] for r in rows)} | {ts:.2f} | "
            f"{td:.3f} | {ts / td:.1f}x | {n_same} of {len(rows)} |"
        )
    return '\n'.join(lines)


def load_set(ann_file, img_dir, num):
    """[(RGB image, (G, 4) xyxy ground truth)] for the first ``num`` images of a COCO file."""
    import cv2

    with open(ann_file) as f:
        coco = json.load(f)
    gt = {}
    for a in coco['annotations']:
        if not a.get('iscrowd', 0):
            x, y, w, h = a['bbox']
            gt.setdefault(a['image_id'], []).append([x, y, x + w, y + h])
    return [
        (
            cv2.imread(osp.join(img_dir, im['file_name']))[:, :, ::-1].copy(),
            np.array(gt.get(im['id'], []), np.float32).reshape(-1, 4),
        )
        for im in coco['images'][:num]
    ]


def covered(gt, boxes, thr=0.5):
    """How many ground-truth boxes one of ``boxes`` overlaps at IoU >= thr."""
    if not len(gt) or not len(boxes):
        return 0
    lt = np.maximum(gt[:, None, :2], boxes[None, :, :2])
    rb = np.minimum(gt[:, None, 2:], boxes[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    area = lambda b: (b[:, 2:] - b[:, :2]).prod(-1)  # noqa: E731
    iou = inter / (area(gt)[:, None] + area(boxes)[None] - inter)
    return int((iou.max(1) >= thr).sum())


def recall_rows(images, title):
    from dpt.proposals import ProposalSettings, opencv_fast_search, select, selective_search

    searches = {
        'soco': selective_search,
        'opencv_fast': lambda img: opencv_fast_search(img, topk=None),
    }
    n_gt = sum(len(g) for _, g in images)
    rows = []
    for name, fn in searches.items():
        fn(images[0][0])  # warm-up
        raw, cpu = [], 0.0
        for img, _ in images:
            t, boxes = cpu_seconds(fn, img)
            raw.append(boxes)
            cpu += t
        for post in POST:
            if post == 'raw':
                kept = raw
            else:
                s = ProposalSettings.from_options(
                    'soco', 'ratio3size0008', nms_iou=0.5 if '@' in post else 'off'
                )
                kept = [b[select(b, img.shape[:2], s)[0]] for b, (img, _) in zip(raw, images)]
            rec = {
                k: sum(covered(g, b[:k]) for b, (_, g) in zip(kept, images)) / max(n_gt, 1)
                for k in TOPK
            }
            rows.append(
                [
                    title,
                    name,
                    post,
                    f'{len(images) / cpu:.3g}',
                    f'{np.mean([len(b) for b in kept]):.1f}',
                ]
                + [f'{rec[k]:.3f}' for k in TOPK]
            )
    head = [
        'images',
        'search',
        'post-processing',
        'img/s (CPU)',
        'boxes/img',
        'recall@30',
        'recall@100',
        'recall@all',
    ]
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    return '\n'.join(lines + ['| ' + ' | '.join(r) + ' |' for r in rows]), n_gt


def machine():
    cpu = next(
        (
            ln.split(':', 1)[1].strip()
            for ln in open('/proc/cpuinfo')
            if ln.startswith('model name')
        ),
        platform.processor() or 'unknown',
    )
    import numba
    import skimage

    return (
        f'{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {cpu}, '
        f'{len(os.sched_getaffinity(0))} cores, load average {os.getloadavg()[0]:.1f}; '
        f'python {platform.python_version()}, numpy {np.__version__}, '
        f'scikit-image {skimage.__version__}, numba {numba.__version__}'
    )


def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        '--soco',
        default=os.environ.get('SOCO_ROOT'),
        help='SoCo checkout (holds selective_search/selective_search.py)',
    )
    p.add_argument('--repeats', type=int, default=2, help='runs per photo and search (min)')
    p.add_argument('--skip-photos', action='store_true', help='only the recall tables')
    p.add_argument('--skip-recall', action='store_true', help='only the speed table')
    p.add_argument('--ann-file', help='COCO-style file with ground truth (instead of demo data)')
    p.add_argument('--img-dir', help='its images')
    p.add_argument('--num-images', type=int, default=16, help='images of the set (default 16)')
    p.add_argument(
        '--num-large',
        type=int,
        default=4,
        help='demo images rendered at 640x640 (default 4; 0 skips them)',
    )
    args = p.parse_args(argv)
    import cv2

    cv2.setNumThreads(1)  # single process, single thread: what one worker of the tool does
    print(machine())
    if not args.skip_photos:
        rows = speed_on_photos(load_soco(args.soco), args.repeats)
        print(f'\nSoCo selective_search vs dpt, CPU seconds per photo\n\n{speed_table(rows)}\n')
    if args.skip_recall:
        return
    from dpt.datasets import make_demo_dataset

    sets = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.ann_file:
            sets.append(
                (
                    f'{args.num_images} of {osp.basename(args.ann_file)}',
                    load_set(args.ann_file, args.img_dir, args.num_images),
                )
            )
        else:
            for size, num, seed in ((160, args.num_images, 0), (640, args.num_large, 1)):
                if num:
                    root = make_demo_dataset(
                        osp.join(tmp, str(size)),
                        num_train=num,
                        num_val=0,
                        image_size=size,
                        seed=seed,
                    )['out_dir']
                    sets.append(
                        (
                            f'{num} demo {size}x{size}',
                            load_set(
                                osp.join(root, 'annotations', 'instances_train.json'),
                                osp.join(root, 'train'),
                                num,
                            ),
                        )
                    )
    for title, images in sets:
        table, n_gt = recall_rows(images, title)
        print(f'\n{title}, {n_gt} ground-truth boxes\n\n{table}\n')


if __name__ == '__main__':
    main()
