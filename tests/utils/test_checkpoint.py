import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

from dpt.utils.checkpoint import install, load_checkpoint_file
from dpt.utils.errors import CheckpointError

install()  # what dpt's runner does when it is built (dpt.engine.install_mmengine_changes)


def mmengine_style_checkpoint():
    """What mmengine's Runner writes: tensors plus message hub records and numpy values."""
    buf = HistoryBuffer()
    buf.update(0.5)
    return {
        'meta': {
            'epoch': 3,
            'iter': 12,
            'seed': np.int64(7),
            'lr': np.float64(0.02),
            'dataset_meta': {'classes': ('a', 'b')},
        },
        'state_dict': {'w': torch.ones(2, 2)},
        'message_hub': {
            'log_scalars': {'train/loss': buf},
            'runtime_info': {'epoch': 3, 'arr': np.arange(3)},
            'resumed_keys': {'epoch': True},
        },
    }


class Evil:
    def __reduce__(self):
        return (os.system, ('echo pwned > /dev/null',))


def test_mmengine_checkpoint_loads_with_safe_unpickler(tmp_path):
    path = tmp_path / 'epoch_3.pth'
    torch.save(mmengine_style_checkpoint(), path)
    # torch's own default refuses it: this is the failure dpt fixes
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    ckpt = load_checkpoint_file(path)
    assert ckpt['meta']['epoch'] == 3
    assert float(ckpt['message_hub']['log_scalars']['train/loss'].current()) == 0.5
    assert torch.equal(ckpt['state_dict']['w'], torch.ones(2, 2))
    # mmengine's own loader (used by load_from and --resume) goes through dpt's
    assert _load_checkpoint(str(path))['meta']['iter'] == 12


def test_code_running_pickle_is_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.ones(1)}, 'payload': Evil()}, path)
    with pytest.raises(CheckpointError) as info:
        _load_checkpoint(str(path))
    msg = str(info.value)
    assert str(path) in msg and 'system' in msg and 'refused' in msg


def test_missing_and_corrupt_checkpoints(tmp_path):
    with pytest.raises(CheckpointError, match='not found'):
        load_checkpoint_file(tmp_path / 'nope.pth')
    bad = tmp_path / 'truncated.pth'
    torch.save({'w': torch.ones(1000)}, bad)
    bad.write_bytes(bad.read_bytes()[:100])
    with pytest.raises(CheckpointError, match='truncated.pth'):
        load_checkpoint_file(bad)


INSTALLED = """
import sys
from mmengine.fileio.backends import LocalBackend, registry_utils
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

def state():
    return (CheckpointLoader._schemes.get(''), registry_utils.prefix_to_backends.get(''),
            registry_utils.backends.get('local'), HistoryBuffer.__reduce__)

before = state()
import dpt
assert state() == before, 'import dpt changed mmengine'
import torch
from mmengine.model import BaseModel

class Tiny(BaseModel):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Linear(1, 1)
    def forward(self, *a, **k):
        return {}

from dpt.engine import DptRunner
from dpt.engine.fileio import AtomicLocalBackend
from dpt.utils.checkpoint import _mmengine_local_loader
DptRunner(model=Tiny(), work_dir=sys.argv[1])
loader, prefix_backend, local, _ = state()
assert loader is _mmengine_local_loader and prefix_backend is local is AtomicLocalBackend
assert HistoryBuffer.__reduce__ is not before[3]
print('ok')
"""


def test_import_changes_nothing_the_runner_installs(tmp_path):
    """``import dpt`` leaves mmengine's checkpoint loader, file backend and HistoryBuffer as
    they are; building dpt's runner installs the safe loader and the atomic backend."""
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, '-c', INSTALLED, str(tmp_path / 'work')],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0 and proc.stdout.strip().endswith('ok'), proc.stderr[-3000:]


def test_build_runner_installs_for_a_plain_runner_too(monkeypatch):
    from mmengine.config import Config
    from mmengine.runner import Runner

    import dpt.engine
    from dpt.apis import build_runner

    calls = []
    monkeypatch.setattr(dpt.engine, 'install_mmengine_changes', lambda: calls.append('x'))
    monkeypatch.setattr(Runner, 'from_cfg', classmethod(lambda cls, cfg: 'runner'))
    assert build_runner(Config(dict(model=dict(type='X')))) == 'runner' and calls == ['x']
