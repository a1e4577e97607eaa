"""Helpers for tests that run the command-line tools as a user does."""
import os
import os.path as osp
import socket
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = 'configs/baselines/faster-rcnn_tiny_demo.py'


def data_options(root, epochs=1):
    ann = f'{root}annotations/instances_val.json'
    return ['--cfg-options', f'train_dataloader.dataset.data_root={root}',
            f'val_dataloader.dataset.data_root={root}', f'test_dataloader.dataset.data_root={root}',
            f'val_evaluator.ann_file={ann}', f'test_evaluator.ann_file={ann}',
            f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs}',
            'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0',
            'test_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
            'val_dataloader.persistent_workers=False', 'test_dataloader.persistent_workers=False',
            'default_hooks.logger.interval=1', 'randomness.seed=0']


def env():
    e = dict(os.environ, PYTHONPATH=ROOT, PYTHON=sys.executable, OMP_NUM_THREADS='1')
    return e


def run(*args, timeout=600):
    return subprocess.run([*args], cwd=ROOT, env=env(), capture_output=True, text=True,
                          timeout=timeout)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return str(s.getsockname()[1])


def one_error_line(proc, tool):
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-3000:]
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith(f'{tool}: error:')]
    assert len(lines) == 1, proc.stderr[-3000:]
    assert 'Traceback' not in proc.stderr
    return lines[0]
