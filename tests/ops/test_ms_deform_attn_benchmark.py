"""benchmarks/ms_deform_attn.py on tiny maps: a measurement per implementation and the table."""

import importlib.util
import json
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LEVELS = ((12, 15), (6, 8))


@pytest.fixture(scope='module')
def bench():
    spec = importlib.util.spec_from_file_location(
        'bench_msda', os.path.join(ROOT, 'benchmarks', 'ms_deform_attn.py')
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_inputs_have_deformable_detr_layout(bench):
    value, shapes, starts, loc, weights = bench.make_inputs('all', 'cpu', LEVELS)
    S = 12 * 15 + 6 * 8
    assert value.shape == (bench.BATCH, S, bench.HEADS, bench.CHANNELS)
    assert starts.tolist() == [0, 180] and loc.shape == (
        bench.BATCH,
        S,
        bench.HEADS,
        2,
        bench.POINTS,
        2,
    )
    assert abs(weights.sum((-1, -2)) - 1).max() < 1e-5


def test_measures_both_cpu_implementations_and_tabulates(bench, capsys):
    rows = [
        bench.measure(impl, '40', 'cpu', repeats=1, levels=LEVELS) for impl in bench.IMPLS['cpu']
    ]
    for row in rows:
        assert row['queries'] == 40 and row['fwd_s'] > 0 and row['fwd_bwd_s'] >= row['fwd_s'] / 2
        assert 0 <= row['kept_mb'] <= row['peak_mb'] + 1
    table = bench.format_table(rows, markdown=True)
    assert table.splitlines()[0].startswith('| device | queries | pass | dpt ms')
    assert 'mmcv-pytorch / dpt: time, MB' in table and len(table.splitlines()) == 4
    # the child's entry point prints one tagged JSON row
    assert bench.main(['--one', 'dpt', '10', 'cpu', '--repeats', '1', '--levels', '6x7']) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(line[len(bench.RESULT_TAG) :])['levels'] == [[6, 7]]


def test_failed_row_is_shown(bench):
    rows = [dict(impl='dpt', device='cpu', queries=300, error='RuntimeError: boom')]
    assert 'FAILED' in bench.format_table(rows)
