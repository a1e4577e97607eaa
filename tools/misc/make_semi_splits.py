"""Write labelled subsets of a COCO annotation file (semi-supervised / low-data fine-tuning).

    # AlignDet / SoftTeacher / mmdet semi-supervised folds: instances_train2017.1@10.json and
    # instances_train2017.1@10-unlabeled.json, ... in data/coco/semi_anns/
    python tools/misc/make_semi_splits.py --percent 1 5 10
    # DETReg-style seeded subsets (seed 42): instances_train2017.seed42@1.json, ...
    python tools/misc/make_semi_splits.py --mode images --percent 1 2 5 10
    # few-shot (TFA's sampler, as DETReg's few-shot setting): K instances of every class,
    # instances_train2017.seed1@10shot.json, ...@30shot.json
    python tools/misc/make_semi_splits.py --mode few-shot --shots 10 30 --seed 1
    # TFA's distributed seed-0 split (DETReg's), its per-class files merged into one
    python tools/misc/make_semi_splits.py --mode few-shot --shots 10 30 --seed 0 \
        --tfa-dir datasets/cocosplit/seed0

Files already there with the same content are left alone; see docs/weights.md.
"""

import argparse
import time


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        '--ann-file',
        default='data/coco/annotations/instances_train2017.json',
        help='COCO annotation file to split (default: %(default)s)',
    )
    p.add_argument(
        '--out-dir', default='data/coco/semi_anns', help='output folder (default: %(default)s)'
    )
    p.add_argument(
        '--percent',
        type=float,
        nargs='+',
        default=[1, 2, 5, 10],
        help='labelled percent(s) of the images (default: 1 2 5 10)',
    )
    p.add_argument(
        '--folds',
        type=int,
        nargs='+',
        default=[1],
        help="folds to write in semi mode (default: 1; mmdet's five: 1 2 3 4 5)",
    )
    p.add_argument(
        '--seed',
        type=int,
        help='semi: added to the fold to seed numpy (default 0); images: the '
        'seed (default 42); few-shot: TFA\'s seed (default 1)',
    )
    p.add_argument(
        '--mode',
        choices=['semi', 'images', 'few-shot'],
        default='semi',
        help='semi: labelled + unlabeled files per fold (AlignDet, SoftTeacher, '
        'mmdet); images: one seeded subset (DETReg); few-shot: K instances '
        'per class (TFA, DETReg\'s few-shot setting)',
    )
    p.add_argument(
        '--shots',
        type=int,
        nargs='+',
        default=[10, 30],
        help='few-shot: instances per class (default: 10 30; TFA: 1 2 3 5 10 30)',
    )
    p.add_argument(
        '--tfa-dir',
        help="few-shot: merge TFA's per-class files of this folder "
        '(cocosplit/seedN) instead of sampling --ann-file',
    )
    p.add_argument(
        '--overwrite', action='store_true', help='replace existing split files that differ'
    )
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from dpt.apis import cli_errors
    from dpt.datasets.splits import make_few_shot_splits, make_semi_splits

    def show(record):
        print(
            f"{record['state']} {record['path']}: {record['images']} images, "
            f"{record['annotations']} annotations",
            flush=True,
        )

    start = time.time()
    with cli_errors(
        'make_semi_splits',
        {
            'mode': '--mode',
            'percent': '--percent',
            'shots': '--shots',
            'overwrite=True': '--overwrite',
        },
    ):
        if args.mode == 'few-shot':
            records = make_few_shot_splits(
                args.ann_file,
                args.out_dir,
                args.shots,
                1 if args.seed is None else args.seed,
                args.tfa_dir,
                args.overwrite,
                progress=show,
            )
        else:
            records = make_semi_splits(
                args.ann_file,
                args.out_dir,
                args.percent,
                args.folds,
                args.seed,
                args.mode,
                args.overwrite,
                progress=show,
            )
    print(f'{len(records)} files in {args.out_dir} ({time.time() - start:.1f}s)')


if __name__ == '__main__':
    main()
