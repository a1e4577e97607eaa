"""analyze_logs.py plot_curve over mmengine's scalars.json, and train.py --tensorboard."""

import importlib.util
import json
import sys

import pytest
from _cli import CONFIG, data_options, one_error_line, run


def scalars(run_dir, stamp, losses, maps, start=1):
    """An mmengine vis_data/scalars.json: train records by iteration, val by epoch
    (``maps``: {epoch: AP}, two iterations an epoch)."""
    path = run_dir / stamp / 'vis_data' / 'scalars.json'
    path.parent.mkdir(parents=True)
    lines = []
    for i, loss in enumerate(losses, start):
        lines.append(dict(lr=0.02, loss=loss, epoch=(i - 1) // 2 + 1, iter=i, step=i))
        if i % 2 == 0:
            lines.append({'coco/bbox_mAP': maps[i // 2], 'step': i // 2})
    path.write_text('\n'.join(json.dumps(r) for r in lines) + '\n')
    return path


def test_series_by_iteration_and_epoch_and_resumed_runs(tmp_path):
    from dpt.visualization.curves import read_scalars, series

    run_dir = tmp_path / 'a'
    scalars(run_dir, '20260101_000000', [3.0, 2.0, 1.5, 1.2], {1: 0.1, 2: 0.2})
    # a resumed start repeats iteration 4 and goes on
    scalars(run_dir, '20260101_010000', [1.1, 1.0], {2: 0.25}, start=4)
    records = read_scalars(str(run_dir))
    xs, ys, name = series(records, 'loss')
    assert name == 'iter' and xs == [1, 2, 3, 4, 5] and ys == [3.0, 2.0, 1.5, 1.1, 1.0]
    xs, ys, name = series(records, 'coco/bbox_mAP')
    assert name == 'epoch' and xs == [1, 2] and ys == [0.1, 0.25]


def test_plot_two_runs(tmp_path):
    a, b = tmp_path / 'pretrained', tmp_path / 'scratch'
    scalars(a, 't0', [2.0, 1.0, 0.8, 0.6], {1: 0.2, 2: 0.3})
    path_b = scalars(b, 't0', [3.0, 2.5, 2.2, 2.0], {1: 0.05, 2: 0.1})
    out = tmp_path / 'curve.png'
    proc = run(
        sys.executable,
        'tools/analysis_tools/analyze_logs.py',
        'plot_curve',
        str(a),
        str(path_b),
        '--keys',
        'loss',
        'coco/bbox_mAP',
        '--legend',
        'pre-trained',
        'scratch',
        '--out',
        str(out),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert out.stat().st_size > 5000
    import cv2

    img = cv2.imread(str(out))
    assert img.shape[0] > img.shape[1] / 2  # two subplots, stacked
    assert 'coco/bbox_mAP, 2 points, last 0.1 at 2' in proc.stdout
    proc = run(
        sys.executable,
        'tools/analysis_tools/analyze_logs.py',
        'plot_curve',
        str(a),
        '--keys',
        'no_such_key',
        '--out',
        str(out),
    )
    assert "no 'no_such_key'" in one_error_line(proc, 'analyze_logs')


def test_train_tensorboard_writes_events_and_curves(tmp_path, demo_data_root):
    if importlib.util.find_spec('tensorboard') is None:
        pytest.skip('the tensorboard package is not installed (requirements.txt names it)')
    work = tmp_path / 'tb'
    proc = run(
        sys.executable,
        'tools/train.py',
        CONFIG,
        '--work-dir',
        str(work),
        '--tensorboard',
        *data_options(demo_data_root),
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    events = list(work.glob('*/vis_data/events.out.tfevents.*'))
    assert events and events[0].stat().st_size > 0
    from dpt.visualization.curves import read_scalars, series

    records = read_scalars(str(work))
    assert series(records, 'loss')[0] and series(records, 'coco/bbox_mAP')[0] == [1]
    from dpt.visualization import plot_curves

    drawn = plot_curves([str(work)], ['loss', 'coco/bbox_mAP'], str(tmp_path / 'c.png'))
    assert len(drawn) == 2 and (tmp_path / 'c.png').stat().st_size > 0
