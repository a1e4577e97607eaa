"""tools/analysis_tools/miniature.py: the table, the budget line and the command line of the
miniatures."""

import json

from _cli import load_tool

_miniature = load_tool('tools/analysis_tools/miniature.py')
BOX_KEYS, budget, format_table, merged_config, miniature_parser = (
    _miniature.BOX_KEYS,
    _miniature.budget,
    _miniature.format_table,
    _miniature.merged_config,
    _miniature.miniature_parser,
)

TINY_DETREG = 'configs/detreg/deformable-detr_detreg-pretrain_tiny_demo.py'


def test_table_rows_times_and_means():
    m = dict.fromkeys(BOX_KEYS, 0.1)
    rows = [
        ('A', 0, m, 0, 60.0),
        ('A', 1, dict(m, **{'coco/bbox_mAP': 0.3}), 0, 30.0),
        ('B', 0, m, 600.0, 90.0),
    ]
    lines = format_table(rows, with_mean=True).splitlines()
    assert lines[0] == '| run | seed | box AP | box AP50 | box AP75 | pre-train | fine-tune |'
    assert lines[1].count('---:') == 6
    assert lines[2] == '| A | 0 | 10.0 | 10.0 | 10.0 | - | 1.0 min |'
    assert lines[4] == '| B | 0 | 10.0 | 10.0 | 10.0 | 10.0 min | 1.5 min |'
    assert lines[5] == '| A | mean of 2 | 20.0 | 10.0 | 10.0 | | |'
    one_time = format_table([('A', 0, m, 60.0)], False, ('coco/bbox_mAP',), ('AP',), ('time',))
    assert one_time.splitlines()[2] == '| A | 0 | 10.0 | 1.0 min |'


def test_budget_keeps_images_without_boxes_when_the_loader_does(tmp_path):
    """DETReg's pre-training reads no labels (filter_empty_gt off): every image counts."""
    path = tmp_path / 'annotations' / 'instances_train.json'
    path.parent.mkdir()
    path.write_text(
        json.dumps(
            dict(images=[dict(id=i) for i in range(10)], annotations=[dict(id=1, image_id=0)])
        )
    )
    text = budget(str(tmp_path), [('pre-train', TINY_DETREG, ['train_cfg.max_epochs=2'])])
    assert text == (
        'pre-train 2 epochs = 6 iterations at batch 4 on 10 images '
        '(deformable-detr_detreg-pretrain_tiny_demo.py, train_cfg.max_epochs=2)'
    )


def test_parser_defaults_and_merged_options():
    args = miniature_parser('x', 'detreg').parse_args(['--seeds', '0', '1'])
    assert args.work_dir == 'work_dirs/miniature/detreg' and args.seeds == [0, 1]
    assert args.out == 'docs/results/detreg_miniature.md' and args.pretrain_options == []
    assert merged_config(TINY_DETREG, ['train_cfg.max_epochs=3']).train_cfg.max_epochs == 3


def test_machine_names_the_cpu_and_the_gpu_torch_sees(monkeypatch):
    import os

    import torch

    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    cpu = f'{_miniature.cpu_model()}, {os.cpu_count()} CPU cores'
    assert _miniature.cpu_model() and _miniature.machine() == f'{cpu}, no GPU'
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'device_count', lambda: 2)
    monkeypatch.setattr(torch.cuda, 'get_device_name', lambda i=0: 'NVIDIA H200')
    assert _miniature.machine() == f'{cpu}, 2 x NVIDIA H200 GPU'


def test_seeds_share_one_pretraining_each_and_a_failed_stage_is_one_line(monkeypatch):
    import pytest

    stages = load_tool('tools/analysis_tools/stages.py')
    calls = []

    def train_stage(title, config, work, options):
        calls.append(('train', title, work, list(options)))
        if 'fail' in options:
            raise stages.StageFailed(f'{title} failed, see {work}/log')
        return dict(checkpoint=f'{work}/last.pth', seconds=60.0 if 'pretrain' in work else 30.0)

    def test_stage(title, config, checkpoint, work, metrics=(), cfg_options=()):
        calls.append(('test', title, checkpoint))
        return dict.fromkeys(BOX_KEYS, 0.5)

    monkeypatch.setattr(stages, 'train_stage', train_stage)
    monkeypatch.setattr(stages, 'test_stage', test_stage)

    def arms(pre):  # each init made just before its fine-tune
        for name, sub, pretrained in (('A', 'a', False), ('B', 'b', True)):
            calls.append(('init', name))
            yield name, sub, pre['checkpoint'] if pretrained else 'None', pretrained

    def run_seed(seed, options=()):
        return _miniature.pretrain_and_finetunes(
            seed, f'w/seed{seed}', ('pre-training', 'pre.py', ['p=1']), 'fine.py', [*options], arms
        )

    rows = _miniature.run_seeds([0, 1], run_seed)
    assert [(r[0], r[1], r[3], r[4]) for r in rows] == [
        ('A', 0, 0, 30.0),
        ('B', 0, 60.0, 30.0),
        ('A', 1, 0, 30.0),
        ('B', 1, 60.0, 30.0),
    ]
    assert [c[:2] for c in calls[:6]] == [
        ('train', 'seed 0: pre-training'),
        ('init', 'A'),
        ('train', 'seed 0: A'),
        ('test', 'seed 0: A: test'),
        ('init', 'B'),
        ('train', 'seed 0: B'),
    ]
    assert calls[5][3] == ['load_from=w/seed0/pretrain/last.pth']
    with pytest.raises(SystemExit, match=r'^miniature: seed 0: A failed, see w/seed0/a/log$'):
        _miniature.run_seeds([0], lambda seed: run_seed(seed, ['fail']))
