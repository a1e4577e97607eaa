#!/usr/bin/env python
"""Pseudo boxes per second: dpt's batched CAM boxes against a per-image loop like DAP's
script (one image at a time, each scale and its flip a separate forward pass), on the
same images with the same classifier and box fit; the boxes
of both agree (checked). Images: the classification demo (160 px) and the same images
scaled to 640x480; classifier: a random timm ResNet-18 at a quarter width (demo) and a full
ResNet-50, or --checkpoint.

    python benchmarks/cam_boxes.py [--device cuda] [--num-images 32]
"""

import argparse
import os
import os.path as osp
import sys
import tempfile
import time

import numpy as np
import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)


def per_image_loop(classifier, images, labels, settings, device):
    """DAP's way: every image, scale and flip alone; the maps fused per image."""
    from PIL import Image

    from dpt.pseudo_boxes import boxes_from_cam, fuse_scales, network_input

    out = []
    for img, label in zip(images, labels):
        pil = Image.fromarray(img)
        lab = torch.tensor([label], device=device)
        maps = []
        for short in sorted(settings.scales):
            x = network_input([pil], short, settings.size_divisor).to(device)
            with torch.no_grad():
                a = classifier.cams(x, lab)
                b = classifier.cams(x.flip(-1), lab).flip(-1)
            maps.append(((a + b) * 0.5).cpu())
        out.append(boxes_from_cam(fuse_scales(maps)[0].numpy(), settings))
    return out


def batched(classifier, images, labels, settings, device, batch=16):
    from PIL import Image

    from dpt.pseudo_boxes import boxes_from_cam, class_activation_maps

    out = []
    for i in range(0, len(images), batch):
        pils = [Image.fromarray(im) for im in images[i : i + batch]]
        cams, _ = class_activation_maps(classifier, pils, labels[i : i + batch], settings, device)
        out += [boxes_from_cam(c, settings) for c in cams.cpu().numpy()]
    return out


def timed(fn, device):
    if device == 'cuda':
        torch.cuda.synchronize()
    t = time.perf_counter()
    result = fn()
    if device == 'cuda':
        torch.cuda.synchronize()
    return result, time.perf_counter() - t


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--device', default='cpu')
    p.add_argument('--num-images', type=int, default=32)
    args = p.parse_args()
    import cv2
    import timm

    from dpt.datasets.demo_data import make_demo_classification
    from dpt.pseudo_boxes import CamSettings, build_classifier

    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        root = make_demo_classification(osp.join(tmp, 'cls'), num_train=args.num_images, num_val=0)[
            'train'
        ]['img_dir']
        files = sorted(osp.join(d, f) for d, _, fs in os.walk(root) for f in fs)
        small = [cv2.imread(f)[..., ::-1].copy() for f in files]
        labels = [i % 6 for i in range(len(small))]
        large = [cv2.resize(im, (640, 480)) for im in small[: max(4, len(small) // 4)]]
        nets = {}
        for name, kwargs in (
            ('resnet18 (1/4 width)', dict(channels=(16, 32, 64, 128), stem_width=16)),
            ('resnet50', {}),
        ):
            path = osp.join(tmp, f'{len(nets)}.pth')
            torch.save(
                timm.create_model(name.split()[0], num_classes=6, **kwargs).state_dict(), path
            )
            nets[name] = build_classifier(f'timm:{name.split()[0]}', path, kwargs).to(args.device)
        rows = []
        for images, what, scales in (
            (small, '160x160 demo', (128, 256)),
            (large, '640x480', (288, 576)),
        ):
            settings = CamSettings(scales=scales)
            for name, clf in nets.items():
                if name == 'resnet50' and images is small:
                    continue
                labs = labels[: len(images)]
                batched(clf, images[:2], labs[:2], settings, args.device)  # warm-up
                ref, t_loop = timed(
                    lambda: per_image_loop(clf, images, labs, settings, args.device), args.device
                )
                got, t_batch = timed(
                    lambda: batched(clf, images, labs, settings, args.device), args.device
                )
                same = all(
                    len(a) == len(b) and np.allclose(a, b, atol=0.05) for a, b in zip(ref, got)
                )
                rows.append(
                    (
                        what,
                        name,
                        scales,
                        len(images),
                        len(images) / t_loop,
                        len(images) / t_batch,
                        same,
                    )
                )
    cpu = next(
        (
            ln.split(':', 1)[1].strip()
            for ln in open('/proc/cpuinfo')
            if ln.startswith('model name')
        ),
        'unknown',
    )
    print(
        f'# {cpu}, {os.cpu_count()} cores, torch threads {torch.get_num_threads()}, '
        f'device {args.device}, load {os.getloadavg()[0]:.2f}'
    )
    print(
        '| images | classifier | short sides | n | per-image loop img/s | batched img/s '
        '| ratio | same boxes |'
    )
    print('| --- | --- | --- | ---: | ---: | ---: | ---: | --- |')
    for what, name, scales, n, a, b, same in rows:
        print(
            f'| {what} | {name} | {scales[0]}, {scales[1]} | {n} | {a:.1f} | {b:.1f} | '
            f'{b / a:.2f}x | {"yes" if same else "NO"} |'
        )


if __name__ == '__main__':
    main()
