#!/usr/bin/env python
"""Parity fixtures for dpt's ``soco`` search: SoCo's own ``selective_search`` on photos.

Run OUTSIDE dpt's environment, with the packages SoCo's search imports (numpy, scikit-image),
on a SoCo checkout (hologerry/SoCo, ``selective_search/selective_search.py``):

    python tests/data/parity/soco/make_fixtures.py --soco /path/to/SoCo

The photos come from ``skimage.data``; ``photos.json`` next to this script says how each one is
made (a name of ``skimage.data``, then an optional crop and an integer nearest-neighbour
upscale), so the tests rebuild them instead of storing them. Writes ``boxes.npz``: for each
photo, SoCo's ``regions[i]['rect']`` in its output order as int32 ``(x, y, w, h)``, and the
SHA-256 of its Felzenszwalb label image (``img_with_lbl[:, :, 3]`` as int32).
"""
import argparse
import hashlib
import importlib.util
import json
import os.path as osp
import time

import numpy as np

HERE = osp.dirname(osp.abspath(__file__))


def build_photo(recipe):
    """An (H, W, 3) uint8 photo from its ``photos.json`` recipe."""
    import skimage.data
    img = getattr(skimage.data, recipe['source'])()
    if 'crop' in recipe:
        y0, y1, x0, x1 = recipe['crop']
        img = img[y0:y1, x0:x1]
    k = recipe.get('repeat', 1)
    img = np.repeat(np.repeat(img, k, 0), k, 1)
    return np.ascontiguousarray(img[..., :3], np.uint8)


def label_hash(labels):
    return hashlib.sha256(np.ascontiguousarray(labels, np.int32).tobytes()).hexdigest()


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--soco', required=True, help='SoCo checkout (holds selective_search/)')
    p.add_argument('--out', default=osp.join(HERE, 'boxes.npz'))
    p.add_argument('--only', nargs='*', help='photo names to run (default: all)')
    args = p.parse_args()
    spec = importlib.util.spec_from_file_location(
        'soco_selective_search', osp.join(args.soco, 'selective_search', 'selective_search.py'))
    soco = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(soco)
    with open(osp.join(HERE, 'photos.json')) as f:
        photos = json.load(f)
    out = dict(np.load(args.out)) if osp.exists(args.out) else {}
    for name, recipe in photos.items():
        if args.only and name not in args.only:
            continue
        img = build_photo(recipe)
        t0 = time.process_time()
        # the call and settings of SoCo's selective_search/generate_imagenet_ss_proposals.py
        img_with_lbl, regions, _ = soco.selective_search(img, scale=300, sigma=0.9, min_size=100)
        secs = time.process_time() - t0
        labels = img_with_lbl[:, :, 3]
        out[f'{name}/rects'] = np.array([r['rect'] for r in regions], np.int32).reshape(-1, 4)
        out[f'{name}/labels_sha256'] = np.array(label_hash(labels))
        out[f'{name}/num_segments'] = np.array(int(labels.max()) + 1, np.int32)
        out[f'{name}/cpu_seconds'] = np.array(secs, np.float32)
        print(f'{name}: {img.shape[1]}x{img.shape[0]}, {int(labels.max()) + 1} segments, '
              f'{len(regions)} regions, {secs:.1f} s CPU', flush=True)
        np.savez_compressed(args.out, **out)


if __name__ == '__main__':
    main()
