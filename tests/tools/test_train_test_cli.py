"""tools/train.py, tools/test.py and the dist_*.sh launchers, run as a user runs them."""

import json
import os.path as osp
import re
import signal
import subprocess
import sys
import time

import pytest
import torch
from _cli import CONFIG, ROOT, data_options, env, free_port, one_error_line, run


@pytest.fixture(scope='module')
def trained(tmp_path_factory, demo_data_root):
    """A tiny Faster R-CNN trained for 2 epochs on the demo data with tools/train.py."""
    work = tmp_path_factory.mktemp('train')
    proc = run(
        sys.executable,
        'tools/train.py',
        CONFIG,
        '--work-dir',
        str(work),
        *data_options(demo_data_root, epochs=2),
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return work


def test_train_then_test_round_trip(trained, demo_data_root, tmp_path):
    ckpt = trained / 'epoch_2.pth'
    assert ckpt.is_file() and (trained / 'epoch_1.pth').is_file()
    out = tmp_path / 'preds.pkl'
    proc = run(
        sys.executable,
        'tools/test.py',
        CONFIG,
        str(ckpt),
        '--eval',
        'bbox',
        '--work-dir',
        str(tmp_path),
        '--out',
        str(out),
        *data_options(demo_data_root),
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    metrics = json.loads((tmp_path / 'metrics.json').read_text())
    assert 0.0 <= metrics['coco/bbox_mAP'] <= 1.0
    assert 'coco/bbox_mAP' in proc.stdout
    import pickle

    with open(out, 'rb') as f:
        preds = pickle.load(f)
    val = json.loads(open(f'{demo_data_root}annotations/instances_val.json').read())
    assert len(preds) == len(val['images'])
    assert all(p['pred_instances']['bboxes'].shape[-1] == 4 for p in preds)


def test_unknown_eval_metric_is_one_line(trained, demo_data_root):
    proc = run(
        sys.executable,
        'tools/test.py',
        CONFIG,
        str(trained / 'epoch_2.pth'),
        '--eval',
        'bbox',
        'keypoints',
        *data_options(demo_data_root),
    )
    assert 'keypoints: unknown metric' in one_error_line(proc, 'test')


def test_interrupted_run_resumes_from_last_checkpoint(tmp_path, demo_data_root):
    work = tmp_path / 'work'
    cmd = [
        sys.executable,
        'tools/train.py',
        CONFIG,
        '--work-dir',
        str(work),
        *data_options(demo_data_root, epochs=4),
    ]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 300
    while not (work / 'epoch_1.pth').exists() or not (work / 'last_checkpoint').exists():
        assert proc.poll() is None and time.time() < deadline, 'training ended early'
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (work / 'epoch_4.pth').exists()
    last = (work / 'last_checkpoint').read_text().strip()
    done = int(osp.basename(last)[len('epoch_') : -len('.pth')])

    proc = run(*cmd, '--resume')
    assert proc.returncode == 0, proc.stderr[-4000:]
    log = proc.stdout + proc.stderr
    assert f'resumed epoch: {done}' in log, log[-3000:]
    ckpt = torch.load(work / 'epoch_4.pth', map_location='cpu', weights_only=False)
    assert ckpt['meta']['epoch'] == 4
    # the resumed run trained only the missing epochs
    trained_epochs = {int(e) for e in re.findall(r'Epoch\(train\)\s*\[(\d+)\]', log)}
    assert trained_epochs == set(range(done + 1, 5)), trained_epochs


def test_dist_train_and_test_with_two_cpu_processes(tmp_path, demo_data_root):
    if torch.cuda.is_available():
        pytest.skip('this test checks the CPU (gloo) path')
    work = tmp_path / 'dist'
    e = env()
    e['PORT'] = free_port()
    proc = subprocess.run(
        [
            'bash',
            'tools/dist_train.sh',
            CONFIG,
            '2',
            '--work-dir',
            str(work),
            *data_options(demo_data_root),
        ],
        cwd=ROOT,
        env=e,
        capture_output=True,
        text=True,
        timeout=600,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    assert 'Distributed training: True' in log
    assert (work / 'epoch_1.pth').is_file()
    e['PORT'] = free_port()
    proc = subprocess.run(
        [
            'bash',
            'tools/dist_test.sh',
            CONFIG,
            str(work / 'epoch_1.pth'),
            '2',
            '--eval',
            'bbox',
            '--work-dir',
            str(tmp_path / 'test'),
            *data_options(demo_data_root),
        ],
        cwd=ROOT,
        env=e,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    assert 'coco/bbox_mAP' in json.loads((tmp_path / 'test' / 'metrics.json').read_text())
