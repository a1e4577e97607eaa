"""The low-data protocol: fine-tune and test one config on several labelled folds (and
seeds), then the mean ± std of the metrics (AlignDet's 1 / 5 / 10 % COCO numbers are 5-fold
means):

    python tools/misc/make_semi_splits.py \\
        --ann-file data/coco/annotations/instances_train2017.json \\
        --out-dir data/coco/semi_anns --percent 10 --folds 1 2 3 4 5
    python tools/analysis_tools/low_data_protocol.py \\
        configs/aligndet/faster-rcnn_r50_fpn_aligndet-finetune_12k_coco-10pct.py \\
        --folds 1 2 3 4 5 --percent 10 --work-dir work_dirs/low_data/aligndet-10pct

The folds' files follow the config's train ann_file (NAME.{fold}@{percent}.json) or
--ann-file-template. Rerun the same command after an interruption: finished runs
(WORK_DIR/<run>/metrics.json) are skipped, an interrupted one resumes.

Every run (WORK_DIR/fold{f}[_seed{s}]/) is trained and tested as a stage of
tools/analysis_tools/stages.py, i.e. by tools/train.py and tools/test.py in a child process.
"""

import argparse
import json
import os.path as osp
import sys

METRICS = 'metrics.json'


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument('config', help='fine-tune config')
    p.add_argument('--folds', type=int, nargs='+', default=[1, 2, 3, 4, 5])
    p.add_argument('--percent', type=float, default=10)
    p.add_argument(
        '--seeds', type=int, nargs='+', help='randomness.seed of each run (default: the config\'s)'
    )
    p.add_argument(
        '--ann-file-template',
        help='train annotation file with {fold} and '
        '{percent}, e.g. semi_anns/instances_train2017.{fold}@{percent}.json',
    )
    p.add_argument('--work-dir', help='default: work_dirs/low_data/<config name>')
    p.add_argument(
        '--eval',
        nargs='+',
        default=['bbox'],
        metavar='METRIC',
        help='COCO metrics of the tests (default: bbox)',
    )
    p.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        metavar='KEY=VALUE',
        help='passed to every training and test',
    )
    return p.parse_args(argv)


def low_data_protocol(
    config,
    work_dir,
    folds=(1, 2, 3, 4, 5),
    percent=10,
    seeds=(None,),
    ann_template=None,
    cfg_options=(),
    metrics=('bbox',),
):
    """Fine-tune and test ``config`` on every fold x seed; write WORK_DIR/summary.json and
    summary.md; return (summary, {run name: metrics})."""
    from stages import test_stage, train_stage

    from dpt.apis import load_config
    from dpt.apis.low_data import aggregate, format_summary, run_name, split_template
    from dpt.datasets.splits import percent_name
    from dpt.engine.fileio import atomic_write_bytes
    from dpt.utils.errors import ConfigError

    cfg = load_config(config)
    options = list(cfg_options)
    for opt in options:  # the template may come from an overridden ann_file
        if opt.startswith('train_dataloader.dataset.ann_file='):
            raise ConfigError(
                '--cfg-options train_dataloader.dataset.ann_file: the folds '
                'choose it; give --ann-file-template instead'
            )
    template = ann_template or split_template(cfg.train_dataloader.dataset.get('ann_file'))
    if not template or '{fold}' not in template:
        ann_file = cfg.train_dataloader.dataset.get('ann_file')
        raise ConfigError(
            f'{config}: train ann_file {ann_file!r} '
            'is not a fold split (NAME.{fold}@{percent}.json); give '
            '--ann-file-template with {fold} and {percent}'
        )
    config = osp.abspath(config)
    results = {}
    for seed in seeds:
        for fold in folds:
            name = run_name(fold, seed)
            run_dir = osp.join(work_dir, name)
            done = osp.join(run_dir, METRICS)
            if osp.isfile(done):
                print(f'\n==== {name}: done already ({done})', flush=True)
                with open(done) as f:
                    results[name] = json.load(f)
                continue
            ann = template.format(fold=fold, percent=percent_name(percent))
            run_options = [*options, f'train_dataloader.dataset.ann_file={ann}']
            if seed is not None:
                run_options.append(f'randomness.seed={seed}')
            record = train_stage(f'{name}: fine-tune on {ann}', config, run_dir, run_options)
            results[name] = test_stage(
                f'{name}: test', config, record['checkpoint'], run_dir, metrics, options
            )
    summary = aggregate(list(results.values()))
    text = format_summary(summary, list(results))
    atomic_write_bytes(
        json.dumps(
            dict(config=config, percent=percent, runs=results, summary=summary), indent=1
        ).encode(),
        osp.join(work_dir, 'summary.json'),
    )
    atomic_write_bytes((text + '\n').encode(), osp.join(work_dir, 'summary.md'))
    return summary, results


def main(argv=None):
    args = parse_args(argv)
    from stages import StageFailed

    from dpt.apis import cli_errors
    from dpt.apis.low_data import format_summary

    work_dir = args.work_dir or osp.join(
        'work_dirs', 'low_data', osp.splitext(osp.basename(args.config))[0]
    )
    with cli_errors('low_data_protocol'):
        try:
            summary, runs = low_data_protocol(
                args.config,
                osp.abspath(work_dir),
                args.folds,
                args.percent,
                args.seeds or [None],
                args.ann_file_template,
                args.cfg_options,
                args.eval,
            )
        except StageFailed as e:
            print(f'low_data_protocol: {e}', file=sys.stderr)
            sys.exit(1)
    print(f'\n{args.config}, {args.percent:g} % labels\n{format_summary(summary, list(runs))}')
    print(f'written to {osp.join(work_dir, "summary.json")} and summary.md')


if __name__ == '__main__':
    main()
