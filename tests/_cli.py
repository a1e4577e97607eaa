"""Helpers for tests that run the command-line tools as a user does."""
import os
import os.path as osp
import socket
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = 'configs/baselines/faster-rcnn_tiny_demo.py'


def in_process_loaders():
    """--cfg-options values that load data in the training process (no worker processes)."""
    return [f'{loader}_dataloader.{key}' for loader in ('train', 'val', 'test')
            for key in ('num_workers=0', 'persistent_workers=False')]


def data_options(root, epochs=1):
    from dpt.apis.stages import data_root_options
    return ['--cfg-options', *data_root_options(root),
            f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs}',
            *in_process_loaders(), 'default_hooks.logger.interval=1', 'randomness.seed=0']


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
