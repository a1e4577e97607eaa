"""Helpers for tests that run the command-line tools as a user does, or import their
modules (tools/ is no package: ``load_tool``)."""

import importlib.util
import os
import os.path as osp
import socket
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = 'configs/baselines/faster-rcnn_tiny_demo.py'


def in_process_loaders():
    """--cfg-options values that load data in the training process (no worker processes)."""
    return [
        f'{loader}_dataloader.{key}'
        for loader in ('train', 'val', 'test')
        for key in ('num_workers=0', 'persistent_workers=False')
    ]


def load_tool(path):
    """The module of the tool file ``path`` (relative to the repo root, e.g.
    'tools/analysis_tools/stages.py'), imported as running it would: its folder on
    ``sys.path``, so its imports of the modules beside it (``from stages import ...``) resolve
    to the same module objects; registered in ``sys.modules`` under its file name."""
    path = osp.join(ROOT, path)
    folder, name = osp.dirname(path), osp.splitext(osp.basename(path))[0]
    if folder not in sys.path:
        sys.path.insert(0, folder)
    module = sys.modules.get(name)
    if module is not None and getattr(module, '__file__', None) == path:
        return module
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def data_root_options(root):
    """tools/analysis_tools/stages.py's --cfg-options pointing a demo config at ``root``."""
    return load_tool('tools/analysis_tools/stages.py').data_root_options(root)


def data_options(root, epochs=1):
    return [
        '--cfg-options',
        *data_root_options(root),
        f'train_cfg.max_epochs={epochs}',
        f'train_cfg.val_interval={epochs}',
        *in_process_loaders(),
        'default_hooks.logger.interval=1',
        'randomness.seed=0',
    ]


def env():
    e = dict(os.environ, PYTHONPATH=ROOT, PYTHON=sys.executable, OMP_NUM_THREADS='1')
    return e


def run(*args, timeout=600):
    return subprocess.run(
        [*args], cwd=ROOT, env=env(), capture_output=True, text=True, timeout=timeout
    )


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
