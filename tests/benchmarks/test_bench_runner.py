"""benchmarks/run.py: one real measurement (tiny Faster R-CNN, CPU, 1 step) and its table."""

import importlib.util
import json
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope='module')
def bench():
    spec = importlib.util.spec_from_file_location(
        'bench_run', os.path.join(ROOT, 'benchmarks', 'run.py')
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pairs_tiny_with_its_full_config(bench):
    pairs = {name: (tiny, full) for name, tiny, full in bench.find_pairs()}
    tiny, full = pairs['faster-rcnn']
    assert tiny.endswith('faster-rcnn_tiny_demo.py')
    assert full.endswith('faster-rcnn_r50_fpn_1x_coco.py') and os.path.isfile(full)


def test_measures_tiny_faster_rcnn_on_cpu(bench, tmp_path):
    name, tiny, _ = next(p for p in bench.find_pairs() if p[0] == 'faster-rcnn')
    # Raise this process's peak memory: the child's peak must not include it (getrusage's
    # ru_maxrss would: a spawned child inherits its parent's peak).
    ballast = b'\1' * (1500 << 20)
    del ballast
    row = bench.run_one(name, tiny, 'tiny', 'cpu', steps=1, timeout=120)
    assert 'error' not in row, row
    assert row['images_per_s'] > 0 and row['step_s'] > 0.005  # no detector trains faster
    assert abs(row['images_per_s'] * row['step_s'] - bench.BATCH) < 1e-6
    # A training step allocates activations and gradients: about 60 MB measured.
    assert 10 < row['peak_mb'] < 400, row
    assert row['image_hw'] == [160, 160] and row['steps'] == 1

    for markdown in (False, True):
        table = bench.format_table([row], markdown=markdown)
        assert 'faster-rcnn' in table and f"{row['images_per_s']:.3g}" in table
    assert bench.format_table([row], markdown=True).startswith('| model | size | device')

    out = tmp_path / 'r.json'
    bench.write_json(str(out), dict(rows=[row]))
    assert json.loads(out.read_text())['rows'][0]['model'] == 'faster-rcnn'
    assert [p.name for p in tmp_path.iterdir()] == ['r.json']  # no temp file left


def test_failed_measurement_is_a_row(bench, tmp_path):
    bad = tmp_path / 'broken_tiny_demo.py'
    bad.write_text("model = dict(type='NoSuchDetector')\n")
    row = bench.run_one('broken', str(bad), 'tiny', 'cpu', steps=1, timeout=120)
    assert 'NoSuchDetector' in row['error']
    table = bench.format_table([row])
    assert 'broken' in table and 'FAILED' in table


def test_batch_option_reaches_the_child(bench):
    name, tiny, _ = next(p for p in bench.find_pairs() if p[0] == 'retinanet')
    row = bench.run_one(name, tiny, 'tiny', 'cpu', steps=1, timeout=120, batch=1)
    assert 'error' not in row, row
    assert row['batch'] == 1 and abs(row['images_per_s'] * row['step_s'] - 1) < 1e-6


def test_direct_pretraining_ratios():
    spec = importlib.util.spec_from_file_location(
        'bench_direct', os.path.join(ROOT, 'benchmarks', 'direct_pretraining.py')
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert all(os.path.isfile(config) for _, config, _, _ in module.ROWS)
    rows = [
        dict(model='pre', device='cpu', size='low', images_per_s=3.0, peak_mb=100.0),
        dict(model='fine', device='cpu', size='full', images_per_s=0.5, peak_mb=400.0),
        dict(model='broken', device='cpu', size='low', error='exit 1'),
    ]
    assert module.ratio_lines(rows) == [
        'cpu: pre is 6.00x the images/s of fine, with 0.25x its peak memory'
    ]
