"""tools/analysis_tools/compare_strategies.py: its stage logic (skip when done, resume when
killed) on fake stages, its schedules and curves, the statistics and page on synthetic
results, and the links from each strategy's miniature page; every configs/compare/ config
builds its detector (the training itself is tools/train.py, tested elsewhere)."""

import argparse
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


def test_stage_seconds_counts_each_stage_once(tool, tmp_path, monkeypatch):
    monkeypatch.setattr(tool, 'STAGES_SEEN', {})
    (tmp_path / 'done').mkdir()
    (tmp_path / 'done' / tool.DONE).write_text(json.dumps(dict(seconds=100.0)))
    for _ in range(2):  # a shared stage (DAP's classifier) is met by several arms
        tool.run_stage('done', str(tmp_path / 'done'), None)
    tool.run_stage('new', str(tmp_path / 'new'), lambda wd: dict(seconds=25.0))
    tool.run_stage('weights', str(tmp_path / 'init'), lambda wd: dict(checkpoint='x'))
    assert tool.stage_seconds() == 125.0
    assert tool.resumed_note() is None  # every stage ran in one go
    tool.run_stage(
        'resumed',
        str(tmp_path / 'resumed'),
        lambda wd: dict(seconds=50.0, attempts=3, estimated_attempts=1),
    )
    assert tool.stage_seconds() == 175.0
    note = tool.resumed_note()
    assert note.startswith('- 1 of the 4 stages were stopped and resumed (3 attempts in all)')
    assert '1 of them killed outright' in note


@pytest.fixture
def demo_small(tmp_path):
    from dpt.datasets import make_demo_dataset

    make_demo_dataset(tmp_path / 'demo', num_train=3, num_val=2, image_size=64)
    return tmp_path / 'demo'


def test_pool_extends_the_train_images(tool, demo_small):
    pool = demo_small.parent / 'demo_pool5'
    tool.make_pool(str(demo_small), str(pool), 5)
    own = json.loads((demo_small / 'annotations' / 'instances_train.json').read_text())
    more = json.loads((pool / 'annotations' / 'instances_train.json').read_text())
    assert len(more['images']) == 5 and more['images'][:3] == own['images']
    for im in own['images']:  # the same pictures, byte for byte
        name = im['file_name']
        assert (pool / 'train' / name).read_bytes() == (demo_small / 'train' / name).read_bytes()
    proposals = json.loads((pool / tool.PROPOSALS).read_text())
    assert len(proposals['images']) == 5 and proposals['annotations']
    tool.make_pool(str(demo_small), str(pool), 5)  # made already: nothing to do


def test_pool_refuses_other_data(tool, demo_small, capsys):
    with pytest.raises(SystemExit, match='--pool 3: must exceed the 3 train images'):
        tool.make_pool(str(demo_small), str(demo_small.parent / 'p3'), 3)
    name = sorted(os.listdir(demo_small / 'train'))[1]
    (demo_small / 'train' / name).write_bytes(b'not the generator\'s')
    with pytest.raises(SystemExit, match=f'train/{name} is not .*remove'):
        tool.make_pool(str(demo_small), str(demo_small.parent / 'p5'), 5)


def _aligndet_stages(tool, monkeypatch, tmp_path, *argv):
    """The context and the stages (work dir name, config, data root, options) that seed 0
    of AlignDet runs with ``argv``, none trained."""
    seen = []

    def training(title, config, work_dir, options, data_root):
        seen.append((os.path.basename(work_dir), config, data_root, options))
        return dict(checkpoint='c.pth', images=1, seconds=1.0, curve=[], metrics={})

    monkeypatch.setattr(tool, 'training', training)
    monkeypatch.setattr(tool, 'extracted', lambda title, ckpt, out, **kw: out)
    ctx = tool.Context(
        tool.parse_args(['--strategies', 'aligndet', '--work-dir', str(tmp_path), *argv])
    )
    tool.aligndet(ctx, 0, str(tmp_path / 'seed0'))
    return ctx, seen


def test_pool_runs_get_their_own_pretraining_stages(tool, tmp_path, monkeypatch):
    """With --pool the pre-training, its weights and the fine-tune from them are new stages
    (reading the pool), the baseline is the table's own."""
    ctx, seen = _aligndet_stages(tool, monkeypatch, tmp_path, '--pool', '1200')
    names = [s[0] for s in seen]
    assert names == [
        'aligndet_pretrain_pool1200',
        'aligndet_baseline',
        'aligndet_finetune_pool1200',
    ]
    assert seen[0][2] == ctx.pool and ctx.pool.endswith('demo_pool1200')
    assert f'train_dataloader.dataset.data_root={ctx.pool}/' in seen[0][3]
    assert not any(ctx.pool in o for o in seen[1][3]) and seen[1][2] == ctx.data
    assert any(o.endswith('aligndet_init_pool1200') for o in seen[2][3])


def test_aligndet_mobilenet_levels(tool, tmp_path, monkeypatch, capsys):
    """--mobilenet-levels aligndet: every AlignDet stage is its own (both arms change), and
    the options build a pre-trainer and a fine-tune detector whose FPN reads the 1280-channel
    conv. The pre-trainer's backbone stays frozen whole, that conv included (mmdet's
    MobileNetV2 frozen_stages=7 does not reach it): AlignDet computes the backbone features
    without autograd, so nothing of its backbone trains either."""
    import torch
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config, DictAction

    import dpt  # noqa: F401

    _, seen = _aligndet_stages(tool, monkeypatch, tmp_path, '--mobilenet-levels', 'aligndet')
    assert [s[0] for s in seen] == [
        'aligndet_pretrain_levels-aligndet',
        'aligndet_baseline_levels-aligndet',
        'aligndet_finetune_levels-aligndet',
    ]
    register_all_modules()
    models = []
    for _, config, _, options in (seen[0], seen[1]):
        cfg = Config.fromfile(os.path.join(ROOT, config))
        levels = [o for o in options if 'out_indices' in o or 'neck.in_channels' in o]
        assert len(levels) == 2
        parser = argparse.ArgumentParser()  # as tools/train.py reads --cfg-options
        parser.add_argument('--cfg-options', nargs='+', action=DictAction)
        cfg.merge_from_dict(parser.parse_args(['--cfg-options', *levels]).cfg_options)
        cfg.model.get('detector', cfg.model).backbone.init_cfg = None
        models.append(MODELS.build(cfg.model))
    pretrainer, finetune = models
    for det in (pretrainer.online, finetune):
        assert det.backbone.out_indices == (1, 2, 4, 7)
        feats = det.backbone(torch.zeros(1, 3, 64, 64))
        assert [f.shape[1] for f in feats] == [24, 32, 96, 1280]
        assert len(det.neck(feats)) == det.neck.num_outs
    for det in (pretrainer.online, pretrainer.target):
        assert not any(p.requires_grad for p in det.backbone.parameters())

    # the default keeps dpt's layout and the table's stage names
    assert tool.Context(tool.parse_args(['--strategies', 'aligndet'])).levels_options() == []
    with pytest.raises(SystemExit):
        tool.parse_args(['--mobilenet-levels', 'aligndet'])
    assert 'only AlignDet has a MobileNetV2 config of its own' in capsys.readouterr().err


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
