"""Make the synthetic shapes dataset (COCO instance segmentation) used by the demo configs,
or (``--task classification``) its classification split for DAP: ImageNet-style class
folders with one dominant object per image and the true boxes kept aside.

Examples:
    python tools/misc/make_demo_data.py --out data/demo --preview work_dirs/demo_samples.png
    python tools/misc/make_demo_data.py --task classification --out data/demo_cls
"""

import argparse
import sys
import time


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument('--task', choices=['detection', 'classification'], default='detection')
    p.add_argument(
        '--out',
        help='output folder (default: data/demo, or data/demo_cls for the classification split)',
    )
    p.add_argument(
        '--num-train', type=int, help='training images (default: 300; classification 1200)'
    )
    p.add_argument(
        '--num-val', type=int, help='validation images (default: 60; classification 120)'
    )
    p.add_argument('--image-size', type=int, default=160, help='image side, pixels (default: 160)')
    p.add_argument('--seed', type=int, default=0, help='random seed (default: 0)')
    p.add_argument(
        '--overwrite', action='store_true', help='replace a demo dataset made with other parameters'
    )
    p.add_argument('--preview', metavar='FILE', help='also draw 8 training samples into FILE')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from dpt.datasets.demo_data import draw_samples, make_demo_classification, make_demo_dataset
    from dpt.utils.errors import DptError, one_line

    start = time.time()
    cls = args.task == 'classification'
    make = make_demo_classification if cls else make_demo_dataset
    defaults = (1200, 120, 'data/demo_cls') if cls else (300, 60, 'data/demo')
    num_train, num_val, out = (
        v if v is not None else d
        for v, d in zip((args.num_train, args.num_val, args.out), defaults)
    )
    try:
        s = make(
            out,
            num_train=num_train,
            num_val=num_val,
            image_size=args.image_size,
            seed=args.seed,
            overwrite=args.overwrite,
        )
        if args.preview:
            draw_samples(s['out_dir'], split='train', num=8, out_file=args.preview)
    except DptError as e:
        print(f'make_demo_data: error: {one_line(e)}', file=sys.stderr)  # like the other tools
        return 2
    state = 'wrote' if s['created'] else 'already up to date:'
    tr, va = s['train'], s['val']
    print(
        f"{state} {s['out_dir']}: train {tr['images']} images / {tr['objects']} objects, "
        f"val {va['images']} images / {va['objects']} objects ({time.time() - start:.1f}s)"
    )
    return 0


if __name__ == '__main__':
    sys.exit(main())
