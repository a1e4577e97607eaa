#!/usr/bin/env python
"""Speed and recall of the unsupervised proposal searches (docs/proposals.md).

Compares, on the same images, single process:
  * original: the ``selectivesearch`` 0.4 package (AlpacaDB), the code SoCo copied for
    AlignDet's proposals, per-pixel Python loops (benchmark-only dependency, see
    benchmarks/README.md; its rows are skipped with a message when it is not installed);
  * soco: dpt's vectorised version (dpt.proposals.selective_search), same settings;
  * opencv_fast: DETReg's OpenCV fast search on a 128x128 copy (all boxes, in OpenCV's order).
Each search's boxes then go through two post-processings: ``raw`` (the search's order, no
filter) and AlignDet's ``ratio3size0008@0.5`` (SoCo's filter with its fall-backs, NMS 0.5).
Recall is the fraction of ground-truth boxes that one of the first 30 / 100 proposals covers
at IoU >= 0.5. Images: the demo data (160x160) and the same generator at 640x640, or a
COCO-style set (--ann-file, --img-dir).

    python benchmarks/proposals.py                       # demo data, 16 + 4 images
    python benchmarks/proposals.py --ann-file A.json --img-dir D --num-images 50
"""
import argparse
import datetime
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
POST = ('raw', 'ratio3size0008@0.5')
TOPK = (30, 100)


def load_set(ann_file, img_dir, num):
    """[(RGB image, (G, 4) xyxy ground truth)] for the first ``num`` images of a COCO file."""
    from dpt.proposals.sources import read_rgb
    with open(ann_file) as f:
        coco = json.load(f)
    gt = {}
    for a in coco['annotations']:
        if not a.get('iscrowd', 0):
            x, y, w, h = a['bbox']
            gt.setdefault(a['image_id'], []).append([x, y, x + w, y + h])
    return [(read_rgb(osp.join(img_dir, im['file_name'])),
             np.array(gt.get(im['id'], []), np.float32).reshape(-1, 4))
            for im in coco['images'][:num]]


def searches():
    """name -> function(RGB image) -> (N, 4) xyxy boxes in the search's order."""
    from dpt.proposals import opencv_fast_search, selective_search
    out = {}
    try:
        import selectivesearch

        def original(img):
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')  # skimage's LBP warns about float images
                _, regions = selectivesearch.selective_search(img, scale=300, sigma=0.9,
                                                              min_size=100)
            return np.array([(x, y, x + w, y + h) for x, y, w, h in
                             (r['rect'] for r in regions)], np.float32).reshape(-1, 4)
        out['original (selectivesearch 0.4)'] = original
    except ImportError:
        print('selectivesearch is not installed: no "original" rows '
              '(pip install selectivesearch==0.4, see benchmarks/README.md)')
    out['soco (dpt, vectorised)'] = selective_search
    out['opencv_fast (DETReg, 128 px)'] = lambda img: opencv_fast_search(img, topk=None)
    return out


def post_process(boxes, image_hw, how):
    """``raw``: the search's order; else AlignDet's filter + NMS, as the generator does."""
    from dpt.proposals import ProposalSettings, select
    if how == 'raw':
        return boxes
    return boxes[select(boxes, image_hw, ProposalSettings.from_options('soco'))[0]]


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


def measure(images, name, fn):
    wall = cpu = 0.0
    raw = []
    for img, _ in images:
        w0, c0 = time.perf_counter(), time.process_time()
        raw.append(fn(img))
        wall += time.perf_counter() - w0
        cpu += time.process_time() - c0
    n_gt = sum(len(g) for _, g in images)
    rows = []
    for how in POST:
        kept = [post_process(b, img.shape[:2], how) for b, (img, _) in zip(raw, images)]
        rec = {k: sum(covered(g, b[:k]) for b, (_, g) in zip(kept, images)) / max(n_gt, 1)
               for k in TOPK}
        rows.append(dict(method=name, post=how, img_s_wall=len(images) / wall,
                         img_s_cpu=len(images) / cpu if cpu else float('nan'),
                         raw=np.mean([len(b) for b in raw]), kept=np.mean([len(b) for b in kept]),
                         **{f'recall@{k}': v for k, v in rec.items()}, gt=n_gt))
    return rows


def table(rows, title):
    head = ['images', 'method', 'post-processing', 'img/s (wall)', 'img/s (CPU time)',
            'boxes/img raw', 'kept', 'recall@30', 'recall@100']
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for r in rows:
        lines.append('| ' + ' | '.join([
            title, r['method'], r['post'], f"{r['img_s_wall']:.3g}", f"{r['img_s_cpu']:.3g}",
            f"{r['raw']:.0f}", f"{r['kept']:.1f}", f"{r['recall@30']:.3f}",
            f"{r['recall@100']:.3f}"]) + ' |')
    return '\n'.join(lines)


def machine():
    cpu = next((ln.split(':', 1)[1].strip() for ln in open('/proc/cpuinfo')
                if ln.startswith('model name')), platform.processor() or 'unknown')
    import cv2
    import skimage
    return (f'{datetime.date.today()}, {cpu}, {len(os.sched_getaffinity(0))} cores, '
            f'load average {os.getloadavg()[0]:.1f}; python {platform.python_version()}, '
            f'numpy {np.__version__}, scikit-image {skimage.__version__}, '
            f'opencv {cv2.__version__}')


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--ann-file', help='COCO-style file with ground truth (instead of demo data)')
    p.add_argument('--img-dir', help='its images')
    p.add_argument('--num-images', type=int, default=16, help='images of the set (default 16)')
    p.add_argument('--num-large', type=int, default=4,
                   help='demo images rendered at 640x640 (default 4; 0 skips them)')
    args = p.parse_args(argv)
    import cv2
    cv2.setNumThreads(1)  # single process, single thread: what one worker of the tool does
    import torch
    torch.set_num_threads(1)
    from dpt.datasets import make_demo_dataset

    sets = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.ann_file:
            sets.append((f'{args.num_images} of {osp.basename(args.ann_file)}',
                         load_set(args.ann_file, args.img_dir, args.num_images)))
        else:
            root = make_demo_dataset(osp.join(tmp, 'demo'), num_train=args.num_images,
                                     num_val=0, seed=0)['out_dir']
            sets.append((f'{args.num_images} demo 160x160', load_set(
                osp.join(root, 'annotations', 'instances_train.json'),
                osp.join(root, 'train'), args.num_images)))
            if args.num_large:
                root = make_demo_dataset(osp.join(tmp, 'large'), num_train=args.num_large,
                                         num_val=0, image_size=640, seed=1)['out_dir']
                sets.append((f'{args.num_large} demo 640x640', load_set(
                    osp.join(root, 'annotations', 'instances_train.json'),
                    osp.join(root, 'train'), args.num_large)))
    print(machine())
    fns = searches()
    for title, images in sets:
        rows = []
        for name, fn in fns.items():
            fn(images[0][0])  # warm-up: imports, OpenCV's first call
            rows += measure(images, name, fn)
            r = rows[-1]
            print(f"{title}: {name}: {r['img_s_wall']:.3g} img/s, {r['raw']:.0f} boxes/img",
                  flush=True)
        print(f"\n{title}, {rows[0]['gt']} ground-truth boxes\n\n{table(rows, title)}\n")


if __name__ == '__main__':
    main()
