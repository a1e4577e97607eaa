"""tools/analysis_tools/compare_strategies.py: its stage logic (skip when done, resume when
killed) on fake stages, its schedules and curves, the statistics and page on synthetic
results, and the links from each strategy's miniature page; every configs/compare/ config
builds its detector (the training itself is tools/train.py, tested elsewhere)."""

import json
import math
import os

import pytest
from _cli import load_tool

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope='module')
def tool():
    return load_tool('tools/analysis_tools/compare_strategies.py')


@pytest.fixture(scope='module')
def report():
    return load_tool('tools/analysis_tools/strategies_report.py')


class Killed(Exception):
    pass


def test_stages_skip_when_done_and_resume_when_killed(tool, tmp_path):
    """Three fake stages, each counting its work in a file of its work dir; the second is
    killed half-way on the first run. The second run resumes it (the first stage is not
    run again), the third runs nothing."""
    calls = []

    def stage(name, steps, kill_at=None):
        def run(wd):
            calls.append(name)
            done_file = os.path.join(wd, 'progress')
            done = int(open(done_file).read()) if os.path.isfile(done_file) else 0
            for step in range(done, steps):
                if kill_at is not None and step == kill_at[0]:
                    kill_at[0] = None  # killed once
                    raise Killed
                with open(done_file, 'w') as f:
                    f.write(str(step + 1))
            return dict(name=name, steps=steps, resumed_from=done)

        return run

    kill = [2]
    plan = [('a', stage('a', 2)), ('b', stage('b', 4, kill)), ('c', stage('c', 1))]

    def run_all():
        return [tool.run_stage(name, str(tmp_path / name), fn) for name, fn in plan]

    with pytest.raises(Killed):
        run_all()
    assert calls == ['a', 'b'] and not (tmp_path / 'b' / tool.DONE).exists()
    results = run_all()
    assert calls == ['a', 'b', 'b', 'c']  # 'a' skipped, 'b' resumed, 'c' run
    assert results[1] == dict(name='b', steps=4, resumed_from=2)
    assert run_all() == results and calls == ['a', 'b', 'b', 'c']  # all done: nothing runs


def test_schedule_options_move_the_lr_steps(tool):
    opts = tool.schedule_options(
        'configs/compare/faster-rcnn_mobilenetv2_aligndet-finetune_demo.py', 32, evals=4
    )
    # the config's 96 epochs with steps at 72 and 88 -> 32 epochs, steps 24 and 29
    assert opts == [
        'train_cfg.max_epochs=32',
        'train_cfg.val_interval=8',
        'default_hooks.checkpoint.interval=8',
        'param_scheduler.1.milestones=[24, 29]',
        'param_scheduler.1.end=32',
    ]
    one = tool.schedule_options(
        'configs/compare/mask-rcnn_mobilenetv2_imagenet-finetune_demo.py', 1
    )
    assert 'param_scheduler.1.milestones=[1]' in one and 'train_cfg.val_interval=1' in one


def test_read_curve_joins_resumed_runs(tool, tmp_path):
    for stamp, lines in (
        ('20260101_000000', [dict(loss=1.0, step=5), {'coco/bbox_mAP': 0.1, 'step': 2}]),
        ('20260101_010000', [{'coco/bbox_mAP': 0.3, 'coco/bbox_mAP_50': 0.5, 'step': 4}]),
    ):
        d = tmp_path / stamp / 'vis_data'
        d.mkdir(parents=True)
        (d / 'scalars.json').write_text(''.join(json.dumps(x) + '\n' for x in lines))
    curve, last = tool.read_curve(str(tmp_path))
    assert curve == [[2, 0.1], [4, 0.3]]
    assert last == {'coco/bbox_mAP': 0.3, 'coco/bbox_mAP_50': 0.5}


def test_epochs_option_is_checked(tool, capsys):
    args = tool.parse_args(['--quick', '--epochs', 'finetune_10pct=3'])
    assert args.budget['finetune_10pct'] == 3 and args.work_dir == 'work_dirs/compare_quick'
    assert args.strategies == ['aligndet', 'detreg'] and args.evals == 2
    assert tool.parse_args([]).strategies == ['direct', 'aligndet', 'detreg', 'dap']
    with pytest.raises(SystemExit):
        tool.parse_args(['--epochs', 'finetune=3'])
    assert '--epochs finetune=3: write STAGE=N' in capsys.readouterr().err


def _results():
    """Synthetic results: baseline AP 10 / 12 / 14 %, strategy 11 / 15 / 14 %."""
    rows = []
    for seed, (base, mine) in enumerate(((0.10, 0.11), (0.12, 0.15), (0.14, 0.14))):
        for arm, ap, images in (('base', base, 100), ('mine', mine, 400)):
            rows.append(
                dict(
                    strategy='S',
                    arm=arm,
                    seed=seed,
                    metrics={'coco/bbox_mAP': ap, 'coco/bbox_mAP_50': 2 * ap},
                    curve=[[1, ap / 2], [2, ap]],
                    images=images,
                    seconds=60 * (seed + 1),
                )
            )
    return rows


def test_statistics(report):
    stats = report.arm_stats(_results())
    assert list(stats) == [('S', 'base'), ('S', 'mine')]
    assert stats['S', 'base']['ap'] == pytest.approx(0.12)
    assert stats['S', 'base']['ap_std'] == pytest.approx(0.02)  # sample std (n - 1)
    assert stats['S', 'mine']['images'] == 400 and stats['S', 'mine']['seconds'] == 120
    (d,) = report.paired_differences(_results(), [('S', 'mine', 'base'), ('S', 'x', 'base')])
    assert d['diffs'] == pytest.approx([0.01, 0.03, 0.0])
    assert d['mean'] == pytest.approx(0.04 / 3)
    assert d['std'] == pytest.approx(
        math.sqrt(((0.01 - 0.04 / 3) ** 2 + (0.03 - 0.04 / 3) ** 2 + (0.04 / 3) ** 2) / 2)
    )
    # t(0.975, 2) = 4.303
    assert d['ci95'] == pytest.approx(4.3027 * d['std'] / math.sqrt(3), rel=1e-3)
    assert (d['min'], d['max']) == pytest.approx((0.0, 0.03))
    assert math.isnan(report.mean_std([0.5])[1])


def test_page_and_plot(report, tmp_path):
    results = _results()
    picture = report.plot(results, str(tmp_path / 'strategies.png'))
    assert os.path.getsize(picture) > 1000
    text = report.page(results, [('S', 'mine', 'base')], 'made by a test', picture)
    assert '| S | base | 0 1 2 | 12.0 ± 2.0 | 24.0 ± 4.0 | 100 | 2.0 min |' in text
    assert '| S | mine - base | 0 1 2 | +1.0, +3.0, +0.0 | +1.3 ± 1.5 |' in text
    assert '![AP per arm and fine-tune curves](strategies.png)' in text
    epochs, mean, std = report.mean_curve([r for r in results if r['arm'] == 'base'])
    assert epochs == [1, 2] and mean == pytest.approx([0.06, 0.12])


@pytest.mark.parametrize('name', ['direct_pretraining', 'aligndet', 'detreg', 'dap'])
def test_miniature_pages_link_to_the_table(name):
    with open(os.path.join(ROOT, 'docs', 'results', f'{name}_miniature.md')) as f:
        assert '(strategies.md)' in f.read()


def test_compare_configs_build():
    """Each configs/compare/ detector builds with mmdet's MobileNetV2 and the FPN / neck
    widths it feeds (the ImageNet init itself is tested in tests/weights/test_mobilenet.py)."""
    import glob

    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config

    import dpt  # noqa: F401  (registers dpt's models)

    register_all_modules()
    configs = sorted(glob.glob(os.path.join(ROOT, 'configs', 'compare', '*.py')))
    assert len(configs) == 9
    for path in configs:
        cfg = Config.fromfile(path)
        cfg.model.get('detector', cfg.model).backbone.init_cfg = None
        if 'region_encoder' in cfg.model:
            cfg.model.region_encoder.checkpoint = None
        model = MODELS.build(cfg.model)
        names = {type(m).__name__ for m in model.modules()}
        assert 'MobileNetV2' in names and 'ResNet' not in names, path


def test_stage_seconds_counts_each_stage_of_the_table_once(tool, tmp_path):
    work = tmp_path / 'work'
    recorded = {
        'seed0/aligndet_pretrain': 100.0,
        'seed0/aligndet_baseline': 50.0,
        'seed1/aligndet_finetune': 25.0,
        'seed0/aligndet_init': None,  # an extraction: no time recorded
        'seed0/detreg_pretrain': 1000.0,  # another strategy
        'seed7/aligndet_pretrain': 1000.0,  # another seed
        'classifier': 1000.0,  # DAP's, not in this table
    }
    for name, seconds in recorded.items():
        (work / name).mkdir(parents=True)
        rec = {} if seconds is None else dict(seconds=seconds)
        (work / name / tool.DONE).write_text(json.dumps(rec))
    args = tool.parse_args(
        ['--seeds', '0', '1', '--strategies', 'aligndet', '--work-dir', str(work)]
    )
    assert tool.stage_seconds(tool.Context(args)) == 175.0
    args = tool.parse_args(['--seeds', '0', '--strategies', 'dap', '--work-dir', str(work)])
    assert tool.stage_seconds(tool.Context(args)) == 1000.0


def test_main_writes_results_page_and_plot(tool, tmp_path, monkeypatch):
    """The command on fake strategies (no training): results.json, the page and its PNG."""
    data = tmp_path / 'demo'
    (data / 'annotations').mkdir(parents=True)
    (data / 'annotations' / 'instances_val.json').write_text(json.dumps(dict(images=[{}] * 7)))
    rows = _results()

    def fake(ctx, seed, work):
        return [dict(r, strategy=tool.TITLES['aligndet']) for r in rows if r['seed'] == seed]

    monkeypatch.setattr(tool, 'prepare', lambda ctx: None)
    monkeypatch.setitem(tool.RUNS, 'aligndet', fake)
    monkeypatch.setattr(tool, 'COMPARISONS', [(tool.TITLES['aligndet'], 'mine', 'base')])
    out = tmp_path / 'page.md'
    tool.main(
        [
            '--seeds',
            '0',
            '1',
            '2',
            '--strategies',
            'aligndet',
            '--data',
            str(data),
            '--work-dir',
            str(tmp_path / 'work'),
            '--out',
            str(out),
        ]
    )
    text = out.read_text()
    assert 'box AP on the 7 demo val images' in text
    assert 'all its stages, each counted once, took 0.00 h' in text
    assert '| AlignDet | mine - base | 0 1 2 | +1.0, +3.0, +0.0 |' in text
    assert (tmp_path / 'page.png').stat().st_size > 1000
    saved = json.loads((tmp_path / 'work' / 'results.json').read_text())
    assert len(saved) == 6 and saved[0]['strategy'] == 'AlignDet'
