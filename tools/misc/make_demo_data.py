"""Make the synthetic shapes dataset (COCO instance segmentation) used by the demo configs.

Example: python tools/misc/make_demo_data.py --out data/demo --preview work_dirs/demo_samples.png
"""
import argparse
import os.path as osp
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', default='data/demo', help='output folder (default: data/demo)')
    p.add_argument('--num-train', type=int, default=300, help='training images (default: 300)')
    p.add_argument('--num-val', type=int, default=60, help='validation images (default: 60)')
    p.add_argument('--image-size', type=int, default=160, help='image side, pixels (default: 160)')
    p.add_argument('--seed', type=int, default=0, help='random seed (default: 0)')
    p.add_argument('--overwrite', action='store_true',
                   help='replace a demo dataset made with other parameters')
    p.add_argument('--preview', metavar='FILE', help='also draw 8 training samples into FILE')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        import dpt  # noqa: F401
    except ModuleNotFoundError as e:
        if e.name != 'dpt':
            raise
        sys.path.insert(0, ROOT)  # running from a checkout without installing dpt
    from dpt.datasets.demo_data import draw_samples, make_demo_dataset
    from dpt.utils.errors import DptError, one_line

    start = time.time()
    try:
        s = make_demo_dataset(args.out, num_train=args.num_train, num_val=args.num_val,
                              image_size=args.image_size, seed=args.seed, overwrite=args.overwrite)
        if args.preview:
            draw_samples(s['out_dir'], split='train', num=8, out_file=args.preview)
    except DptError as e:
        print(f'make_demo_data: error: {one_line(e)}', file=sys.stderr)  # like the other tools
        return 2
    state = 'wrote' if s['created'] else 'already up to date:'
    tr, va = s['train'], s['val']
    print(f"{state} {s['out_dir']}: train {tr['images']} images / {tr['objects']} objects, "
          f"val {va['images']} images / {va['objects']} objects ({time.time() - start:.1f}s)")
    return 0


if __name__ == '__main__':
    sys.exit(main())
