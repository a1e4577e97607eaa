"""Make DETReg's parity fixtures by running the original's own functions (amirbar/DETReg).

Run in a scratch environment outside dpt, on a checkout of DETReg (see PROVENANCE.md):

    python make_fixtures.py /path/to/DETReg OUT_DIR [/path/to/few-shot-object-detection]

Writes ``region_crops.npz`` (DETReg's region crops of given boxes on a given image and
their embeddings by a small seeded conv encoder; its view crop of given boxes; its resize
sizes), ``voc_ap.json`` (DETReg's VOC AP of given detections) and, given TFA's checkout (the
few-shot splits DETReg's README points to), ``tfa_few_shot.json`` (TFA's sampled annotations
of a synthetic annotation file). Nothing of the originals' code is copied: it is imported
from the checkouts.
"""
import json
import os
import random
import sys
import tempfile
import types

import numpy as np


def _import_detreg(path):
    # DETReg's datasets/transforms.py imports torchvision.transforms.functional_tensor,
    # which newer torchvision no longer has; nothing used here needs it
    import torchvision.transforms
    stub = types.ModuleType('torchvision.transforms.functional_tensor')
    sys.modules.setdefault('torchvision.transforms.functional_tensor', stub)
    np.bool = bool  # voc_eval.py uses np.bool, removed in numpy 1.24
    sys.path.insert(0, path)
    from datasets import selfdet, voc_eval
    from datasets import transforms as detreg_transforms
    return selfdet, voc_eval, detreg_transforms


def region_crops(selfdet):
    import torch
    from PIL import Image
    rng = np.random.RandomState(0)
    h, w = 70, 90
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.stack([(xx * 255 / w), (yy * 255 / h), ((xx + yy) % 37) * 6.8], -1)
    img = np.clip(img + rng.normal(0, 12, img.shape), 0, 255).astype(np.uint8)
    # float32 boxes as DETReg's selective search gives them; .5 coordinates test the rounding
    boxes = np.array([[0, 0, 90, 70], [10.5, 3.5, 40.5, 33.5], [2.4, 60.6, 12.7, 69.9],
                      [30.2, 20.8, 31.6, 22.4], [55.5, 10.5, 88.49, 65.51]], np.float32)
    pil = Image.fromarray(img)
    # the crops exactly as SelfDet.__getitem__ makes them (datasets/selfdet.py, line 96)
    patches = [pil.crop([b[0], b[1], b[2], b[3]]) for b in boxes]
    val = selfdet.get_query_transforms('val')
    train = selfdet.get_query_transforms('train')
    crops_val = torch.stack([val(p) for p in patches]).numpy()
    seeds = [100 + k for k in range(3)]
    crops_train = []
    for seed, p in zip(seeds, patches):
        torch.manual_seed(seed)
        random.seed(seed)
        crops_train.append(train(p))
    crops_train = torch.stack(crops_train).numpy()
    # a small fixed encoder for the targets: conv 3 -> 8, 5x5, stride 4, ReLU, mean pooling
    g = torch.Generator().manual_seed(0)
    weight = torch.randn(8, 3, 5, 5, generator=g) * 0.1
    bias = torch.randn(8, generator=g) * 0.1
    feats = torch.nn.functional.relu(torch.nn.functional.conv2d(
        torch.from_numpy(crops_val), weight, bias, stride=4)).mean(dim=(2, 3))
    return dict(image=img, boxes=boxes, crops_val=crops_val, train_seeds=np.array(seeds),
                crops_train=crops_train, conv_weight=weight.numpy(), conv_bias=bias.numpy(),
                targets_val=feats.numpy())


def view_crops(detreg_transforms):
    """DETReg's view crop (datasets/transforms.py ``crop``, which RandomSizeCrop calls) of
    given boxes for given regions: the boxes kept, clipped, and which ones (``patches`` here
    carries the box index, so it shows which crops follow)."""
    import torch
    from PIL import Image
    rng = np.random.RandomState(2)
    img = Image.fromarray(np.zeros((500, 600, 3), np.uint8))
    xy = rng.uniform(-20, 560, (40, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(1, 200, (40, 2))], 1).astype(np.float32)
    # edge cases: touching the region's left / top edge from outside, inside, 1 px wide
    boxes = np.concatenate([boxes, np.float32([[30, 60, 80, 100], [100, 20, 160, 50],
                                               [80, 50, 81, 90], [500, 400, 530, 434]])])
    regions = np.array([[50, 80, 384, 450], [0, 0, 400, 384], [100, 200, 400, 400]])
    out = {}
    for r, region in enumerate(regions):
        target = dict(boxes=torch.from_numpy(boxes), labels=torch.ones(len(boxes)).long(),
                      area=torch.ones(len(boxes)), iscrowd=torch.zeros(len(boxes)),
                      patches=torch.arange(len(boxes)))
        _, t = detreg_transforms.crop(img, target, tuple(int(v) for v in region))
        out[f'boxes_{r}'] = t['boxes'].numpy()
        out[f'kept_{r}'] = t['patches'].numpy()
    return dict(view_boxes=boxes, view_regions=regions,
                **{f'view_{k}': v for k, v in out.items()})


def view_sizes(detreg_transforms):
    """DETReg's ``datasets/transforms.py`` ``resize(image, target, size, max_size)``: the output
    size and boxes for image sizes x short sides x long-side limits (its view's 320-480 / 600
    and 400-600 / none, and the fine-tuning's 480-800 / 1333)."""
    import torch
    from PIL import Image
    rng = np.random.RandomState(4)
    shapes = [(640, 480), (480, 640), (500, 333), (333, 500), (600, 600), (1000, 101),
              (427, 640), (612, 612), (384, 575), (599, 401)]
    shapes += [tuple(int(v) for v in rng.randint(100, 1400, 2)) for _ in range(10)]
    cases = [(s, 600) for s in (320, 336, 352, 368, 400, 416, 432, 448, 464, 480)]
    cases += [(s, None) for s in (400, 500, 600)]
    cases += [(s, 1333) for s in (480, 608, 800)]
    out = []
    for w, h in shapes:
        img = Image.fromarray(np.zeros((h, w, 3), np.uint8))
        boxes = torch.tensor([[1.5, 2.5, w - 3.25, h - 1.75]])
        for size, max_size in cases:
            res, t = detreg_transforms.resize(img, dict(boxes=boxes), size, max_size)
            out.append([w, h, size, -1 if max_size is None else max_size, res.size[0],
                        res.size[1], *t['boxes'][0].tolist()])
    return dict(view_resize=np.array(out, np.float64))


def voc_ap(voc_eval):
    """DETReg's VocEvaluator metric (11-point VOC07 AP at IoU 0.50:0.95) of random detections
    on random ground truth, through its voc_eval(); detections already as VocEvaluator.update
    formats them (scores 3 decimals, coordinates 1 decimal, xmin / ymin + 1)."""
    rng = np.random.RandomState(1)
    classes = ['cat', 'dog', 'car']
    images, dets = [], []
    tmp = tempfile.mkdtemp()
    xmls = []
    used_scores = set()
    for i in range(12):
        name = f'{i:06d}'
        objs = []
        for _ in range(rng.randint(1, 5)):
            x1, y1 = rng.randint(1, 150, 2)
            x2, y2 = x1 + rng.randint(10, 90), y1 + rng.randint(10, 90)
            objs.append(dict(name=classes[rng.randint(3)], difficult=int(rng.rand() < 0.15),
                             bbox=[int(x1), int(y1), int(x2), int(y2)]))
        xml = ['<annotation>'] + [
            f"<object><name>{o['name']}</name><pose>x</pose><truncated>0</truncated>"
            f"<difficult>{o['difficult']}</difficult><bndbox><xmin>{o['bbox'][0]}</xmin>"
            f"<ymin>{o['bbox'][1]}</ymin><xmax>{o['bbox'][2]}</xmax>"
            f"<ymax>{o['bbox'][3]}</ymax></bndbox></object>" for o in objs] + ['</annotation>']
        path = os.path.join(tmp, name + '.xml')
        with open(path, 'w') as f:
            f.write(''.join(xml))
        xmls.append(path)
        images.append(dict(name=name, objects=objs))
        # detections: jittered ground truth (0-based, as the model predicts) and false alarms
        cand = [(classes.index(o['name']), np.array(o['bbox'], float) - 1 +
                 rng.normal(0, 4, 4)) for o in objs if rng.rand() < 0.85]
        cand += [(rng.randint(3), np.r_[rng.uniform(0, 150, 2), 0, 0]) for _ in range(3)]
        for label, box in cand:
            if box[2] == 0:
                box[2:] = box[:2] + rng.uniform(10, 90, 2)
            while True:
                score = round(float(rng.uniform(0.05, 1)), 3)
                if score not in used_scores:  # no ties: the order is the same everywhere
                    used_scores.add(score)
                    break
            box = [round(float(v), 1) for v in box]
            dets.append(dict(image=name, label=int(label), score=score, bbox=box))
    thrs = list(range(50, 100, 5))
    ap = np.zeros((len(classes), len(thrs)))
    names = [im['name'] for im in images]
    for c, cls in enumerate(classes):
        lines = [f"{d['image']} {d['score']:.3f} {d['bbox'][0] + 1:.1f} {d['bbox'][1] + 1:.1f} "
                 f"{d['bbox'][2]:.1f} {d['bbox'][3]:.1f}\n" for d in dets if d['label'] == c]
        for t, thr in enumerate(thrs):
            ap[c, t] = voc_eval.voc_eval(lines, xmls, names, cls, ovthresh=thr / 100.0,
                                         use_07_metric=True)[-1]
    return dict(classes=classes, images=images, detections=dets, iou_thrs=thrs,
                ap=ap.tolist(), AP50=float(ap[:, 0].mean()), AP75=float(ap[:, 5].mean()),
                AP=float(ap.mean()))


def tfa_few_shot(tfa):
    """TFA's ``datasets/prepare_coco_few_shot.py`` ``generate_seeds`` (seeds 1 and 2) on a
    synthetic COCO file of 3 categories (ids 1, 3, 7) in 150 images, 10 % crowd: the
    annotation ids it keeps per seed, category and shot count."""
    import argparse
    import importlib.util
    rng = np.random.RandomState(3)
    cats = {1: 'cat', 3: 'dog', 7: 'car'}
    images, anns = [], []
    for i in range(150):
        images.append(dict(id=1000 + i, file_name=f'{i:06d}.jpg', width=100, height=100))
        for c in cats:
            for _ in range(rng.choice(4, p=[0.5, 0.3, 0.15, 0.05])):
                anns.append(dict(id=len(anns) + 1, image_id=1000 + i, category_id=c,
                                 bbox=[1, 2, 30, 40], area=1200,
                                 iscrowd=int(rng.rand() < 0.1)))
    order = rng.permutation(len(anns))  # annotations not grouped by image in the file
    coco = dict(info={}, licenses=[], images=images, annotations=[anns[i] for i in order],
                categories=[dict(id=c, name=n) for c, n in cats.items()])
    work = tempfile.mkdtemp()
    os.makedirs(os.path.join(work, 'datasets', 'cocosplit', 'datasplit'))
    with open(os.path.join(work, 'datasets/cocosplit/datasplit/trainvalno5k.json'), 'w') as f:
        json.dump(coco, f)
    spec = importlib.util.spec_from_file_location(
        'prepare_coco_few_shot', os.path.join(tfa, 'datasets', 'prepare_coco_few_shot.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.ID2CLASS = cats  # defined under its __main__; TFA's is COCO's 80
    cwd = os.getcwd()
    os.chdir(work)
    try:
        module.generate_seeds(argparse.Namespace(seeds=[1, 3]))
    finally:
        os.chdir(cwd)
    picked = {}
    for seed in (1, 2):
        for c, name in cats.items():
            for shots in (1, 2, 3, 5, 10, 30):
                with open(os.path.join(work, f'datasets/cocosplit/seed{seed}/'
                                       f'full_box_{shots}shot_{name}_trainval.json')) as f:
                    picked[f'{seed}/{c}/{shots}'] = [a['id'] for a in json.load(f)['annotations']]
    return dict(coco=coco, picked=picked)


def main():
    detreg, out = sys.argv[1], sys.argv[2]
    if len(sys.argv) > 3:
        with open(os.path.join(out, 'tfa_few_shot.json'), 'w') as f:
            json.dump(tfa_few_shot(sys.argv[3]), f, separators=(',', ':'))
    selfdet, voc_eval, detreg_transforms = _import_detreg(detreg)
    np.savez_compressed(os.path.join(out, 'region_crops.npz'), **region_crops(selfdet),
                        **view_crops(detreg_transforms), **view_sizes(detreg_transforms))
    with open(os.path.join(out, 'voc_ap.json'), 'w') as f:
        json.dump(voc_ap(voc_eval), f, indent=1)


if __name__ == '__main__':
    main()
