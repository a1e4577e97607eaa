"""The low-data protocol: fine-tune and test one config on several labelled folds (and
seeds), then the mean ± std of the metrics (AlignDet's 1 / 5 / 10 % COCO numbers are 5-fold
means):

    python tools/misc/make_semi_splits.py --ann-file data/coco/annotations/instances_train2017.json \\
        --out-dir data/coco/semi_anns --percent 10 --folds 1 2 3 4 5
    python tools/analysis_tools/low_data_protocol.py \\
        configs/aligndet/faster-rcnn_r50_fpn_aligndet-finetune_12k_coco-10pct.py \\
        --folds 1 2 3 4 5 --percent 10 --work-dir work_dirs/low_data/aligndet-10pct

The folds' files follow the config's train ann_file (NAME.{fold}@{percent}.json) or
--ann-file-template. Rerun the same command after an interruption: finished runs
(WORK_DIR/<run>/metrics.json) are skipped, an interrupted one resumes.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('config', help='fine-tune config')
    p.add_argument('--folds', type=int, nargs='+', default=[1, 2, 3, 4, 5])
    p.add_argument('--percent', type=float, default=10)
    p.add_argument('--seeds', type=int, nargs='+', help='randomness.seed of each run '
                   "(default: the config's)")
    p.add_argument('--ann-file-template', help='train annotation file with {fold} and '
                   '{percent}, e.g. semi_anns/instances_train2017.{fold}@{percent}.json')
    p.add_argument('--work-dir', help='default: work_dirs/low_data/<config name>')
    p.add_argument('--eval', nargs='+', default=['bbox'], metavar='METRIC',
                   help='COCO metrics of the tests (default: bbox)')
    p.add_argument('--cfg-options', nargs='+', default=[], metavar='KEY=VALUE',
                   help='passed to every training and test')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from dpt.apis import cli_errors
    from dpt.apis.low_data import format_summary, low_data_protocol
    from dpt.apis.stages import StageFailed
    work_dir = args.work_dir or osp.join(
        'work_dirs', 'low_data', osp.splitext(osp.basename(args.config))[0])
    with cli_errors('low_data_protocol'):
        try:
            summary, runs = low_data_protocol(
                args.config, osp.abspath(work_dir), args.folds, args.percent,
                args.seeds or [None], args.ann_file_template, args.cfg_options, args.eval)
        except StageFailed as e:
            print(f'low_data_protocol: {e}', file=sys.stderr)
            sys.exit(1)
    print(f'\n{args.config}, {args.percent:g} % labels\n{format_summary(summary, list(runs))}')
    print(f'written to {osp.join(work_dir, "summary.json")} and summary.md')


if __name__ == '__main__':
    main()
