"""The direct pre-training miniature's table: per-seed rows and per-arm means."""

import os

from _cli import load_tool

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _tool():
    return load_tool('tools/analysis_tools/direct_pretraining_miniature.py')


def test_every_arm_config_exists():
    tool = _tool()
    for _, stages in tool.RUNS:
        for _, config, _ in stages:
            assert os.path.isfile(os.path.join(ROOT, config)), config


def test_table_has_seed_rows_and_means():
    tool = _tool()
    metrics = dict.fromkeys(tool.KEYS, 0.1)
    rows = [
        ('(a)', 0, metrics, 120.0),
        ('(a)', 1, dict(metrics, **{'coco/bbox_mAP': 0.2}), 60.0),
        ('(b)', 0, metrics, 90.0),
    ]
    lines = tool.format_table(rows, with_mean=True).splitlines()
    assert lines[2] == '| (a) | 0 | 10.0 | 10.0 | 10.0 | 10.0 | 2.0 min |'
    assert lines[5] == '| (a) | mean of 2 | 15.0 | 10.0 | 10.0 | 10.0 | |'
    assert lines[6].startswith('| (b) | mean of 1 | 10.0 ')
    assert len(tool.format_table(rows, with_mean=False).splitlines()) == 5
