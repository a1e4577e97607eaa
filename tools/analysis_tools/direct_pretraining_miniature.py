"""Miniature reproduction of direct pre-training on the demo data, at an equal compute budget.

    (a) random init, trained at full resolution only
        configs/scratch/mask-rcnn_tiny_bn_scratch-15e_demo.py
    (b) low-resolution pre-training + fine-tuning (make demo)
        configs/direct_pretraining/mask-rcnn_tiny_*_demo.py
    (c) from scratch with GN everywhere (He et al.)
        configs/scratch/mask-rcnn_tiny_gn-all_scratch-15e_demo.py

Budget: 8 epochs at 96 px (~0.36 of the pixels of 160 px, so ~3 epochs) + 12 epochs at
160 px = 15 full-resolution epochs; (a) and (c) train 15 epochs at 160 px. Every run uses
the same seed and data; the table (box / mask AP on the demo val split, wall-clock) is
printed and written to --out. Finished runs are reused; interrupted ones resume. Each seed
has its own work dir (--seeds 0 1 2 runs every arm three times and reports each seed and the
mean: on data this small, seed-to-seed differences are large).

    python tools/analysis_tools/direct_pretraining_miniature.py [--seeds 0] \\
        [--out docs/results/direct_pretraining_miniature.md]
"""

import os.path as osp
import time

from stages import ROOT

RUNS = [
    (
        '(a) random init, 160 px only, BN',
        [('train', 'configs/scratch/mask-rcnn_tiny_bn_scratch-15e_demo.py', 'a')],
    ),
    (
        '(b) pre-train 96 px + fine-tune 160 px',
        [
            (
                'train',
                'configs/direct_pretraining/mask-rcnn_tiny_lowres-pretrain_demo.py',
                'b_pretrain',
            ),
            (
                'finetune',
                'configs/direct_pretraining/mask-rcnn_tiny_finetune_demo.py',
                'b_finetune',
            ),
        ],
    ),
    (
        '(c) random init, 160 px only, GN everywhere',
        [('train', 'configs/scratch/mask-rcnn_tiny_gn-all_scratch-15e_demo.py', 'c')],
    ),
]


KEYS = ('coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/segm_mAP', 'coco/segm_mAP_50')


def format_table(rows, with_mean):
    """Markdown table of (arm, seed, metrics, seconds) rows; AP in %, plus per-arm means."""
    from miniature import format_table as table

    return table(
        rows, with_mean, KEYS, ('box AP', 'box AP50', 'mask AP', 'mask AP50'), ('train wall-clock',)
    )


def main():
    from miniature import machine, miniature_parser, run_seeds, write_report

    args = miniature_parser(
        __doc__.split('\n\n')[0], 'direct_pretraining', stage_options=False
    ).parse_args()
    from stages import data_root_options, test_stage, train_stage

    from dpt.datasets import make_demo_dataset

    make_demo_dataset(osp.join(ROOT, args.data))

    def run_seed(seed):
        opts = [*data_root_options(osp.join(ROOT, args.data)), f'randomness.seed={seed}']
        work = osp.join(ROOT, args.work_dir, f'seed{seed}')
        rows = []
        for name, stages in RUNS:
            seconds, record, config = 0.0, None, None
            for kind, config, sub in stages:
                extra = [f'load_from={record["checkpoint"]}'] if kind == 'finetune' else []
                record = train_stage(
                    f'{name}, seed {seed}: {sub}', config, osp.join(work, sub), [*extra, *opts]
                )
                seconds += record['seconds']
            metrics = test_stage(
                f'{name}, seed {seed}: test',
                config,
                record['checkpoint'],
                osp.join(work, stages[-1][2] + '_test'),
                cfg_options=opts,
            )
            rows.append((name, seed, metrics, seconds))
        return rows

    rows = run_seeds(args.seeds, run_seed)
    table = format_table(rows, len(args.seeds) > 1)
    print('\n' + table)
    text = (
        f'# Direct pre-training miniature on the demo data\n\n'
        f'Made by `python tools/analysis_tools/direct_pretraining_miniature.py` on '
        f'{time.strftime("%Y-%m-%d")}, {machine()}, seeds {args.seeds}. Equal budget: '
        f'15 full-resolution epoch equivalents per run. Wall-clock depends on what else ran on the '
        f'machine.\n\n'
        f'{table}\n'
        f'\nAll four strategies against their own baselines from a real ImageNet backbone '
        f'(MobileNetV2), over several seeds: [the shared table](strategies.md).\n'
    )
    write_report(args.out, text)


if __name__ == '__main__':
    main()
