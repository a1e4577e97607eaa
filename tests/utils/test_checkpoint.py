import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

from dpt.utils.checkpoint import load_checkpoint_file
from dpt.utils.errors import CheckpointError


def mmengine_style_checkpoint():
    """What mmengine's Runner writes: tensors plus message hub records and numpy values."""
    buf = HistoryBuffer()
    buf.update(0.5)
    return {
        'meta': {'epoch': 3, 'iter': 12, 'seed': np.int64(7), 'lr': np.float64(0.02),
                 'dataset_meta': {'classes': ('a', 'b')}},
        'state_dict': {'w': torch.ones(2, 2)},
        'message_hub': {'log_scalars': {'train/loss': buf},
                        'runtime_info': {'epoch': 3, 'arr': np.arange(3)},
                        'resumed_keys': {'epoch': True}},
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
