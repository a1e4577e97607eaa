"""low_data_protocol.py: a fine-tune config over folds, mean ± std of the metrics, finished
runs skipped when run again."""

import json
import math
import sys

import pytest
from _cli import CONFIG, data_options, run


def test_aggregate_leaves_out_minus_one_and_uses_sample_std():
    from dpt.apis.low_data import aggregate, format_summary

    runs = [
        {'coco/bbox_mAP': 0.2, 'coco/bbox_mAP_s': -1.0, 'coco/bbox_mAP_m': 0.1},
        {'coco/bbox_mAP': 0.4, 'coco/bbox_mAP_s': -1.0, 'coco/bbox_mAP_m': -1.0},
    ]
    s = aggregate(runs)
    assert s['coco/bbox_mAP']['mean'] == pytest.approx(0.3)
    assert s['coco/bbox_mAP']['std'] == pytest.approx(math.sqrt(0.02))
    assert s['coco/bbox_mAP_s'] == dict(mean=None, std=None, n=0)
    assert s['coco/bbox_mAP_m'] == dict(mean=pytest.approx(0.1), std=0.0, n=1)
    text = format_summary(s, ['fold1', 'fold2'])
    assert '| coco/bbox_mAP | 30.00 ± 14.14 | 2 |' in text and '| n/a |' in text


def test_split_template():
    from dpt.apis.low_data import split_template

    assert (
        split_template('semi_anns/instances_train2017.1@10.json')
        == 'semi_anns/instances_train2017.{fold}@{percent}.json'
    )
    assert split_template('annotations/instances_train.json') is None


def test_two_folds_one_iteration_each_then_resumed(tmp_path, demo_data_root):
    from dpt.datasets.splits import make_semi_splits

    splits = tmp_path / 'splits'
    # 25 % of the 16 demo train images: 4 images, one iteration at batch 4
    make_semi_splits(
        f'{demo_data_root}annotations/instances_train.json',
        str(splits),
        percents=(25,),
        folds=(1, 2),
    )
    template = str(splits / 'instances_train.{fold}@{percent}.json')
    work = tmp_path / 'low'
    cmd = [
        sys.executable,
        'tools/analysis_tools/low_data_protocol.py',
        CONFIG,
        '--folds',
        '1',
        '2',
        '--percent',
        '25',
        '--ann-file-template',
        template,
        '--work-dir',
        str(work),
        *data_options(demo_data_root),
    ]
    proc = run(*cmd)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (
        proc.stdout.count('Epoch(train) [1][1/1]') + proc.stderr.count('Epoch(train) [1][1/1]') == 2
    )
    runs = {f: json.loads((work / f / 'metrics.json').read_text()) for f in ('fold1', 'fold2')}
    summary = json.loads((work / 'summary.json').read_text())['summary']
    values = [r['coco/bbox_mAP'] for r in runs.values()]
    assert summary['coco/bbox_mAP']['mean'] == pytest.approx(sum(values) / 2)
    assert summary['coco/bbox_mAP']['n'] == 2
    assert '| coco/bbox_mAP |' in proc.stdout and '2 runs: fold1, fold2' in proc.stdout
    # a second run skips both finished runs
    proc = run(*cmd)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count('done already') == 2 and 'Epoch(train)' not in proc.stderr
