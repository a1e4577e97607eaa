"""Checkpoints leaving training: published (``tools/model_converters/publish_model.py``) and
tested (``tools/test.py`` refuses a pre-training checkpoint).

A pre-training checkpoint is not a detector of the fine-tuning classes: AlignDet's holds two
detectors (``online.`` / ``target.``) trained on proposals, DETReg's a one-class detector
with its embedding branch and frozen region encoder. Testing one gives 0 AP at best (DETReg
GitHub issues 73 and 77 ask why); it must be extracted
(``tools/model_converters/extract_detector_weights.py``) and fine-tuned first.
"""

import hashlib
import io
import os.path as osp

import torch

from ..engine.fileio import atomic_write_bytes
from ..utils.checkpoint import load_checkpoint_file
from ..utils.errors import CheckpointError
from ..utils.state_dict import state_dict_of
from ..version import __version__

# mmengine's training state, which a published model does not need (mmdet's publish_model
# keeps only meta and state_dict)
KEEP_KEYS = ('meta', 'state_dict')
EXTRACT = 'tools/model_converters/extract_detector_weights.py'


def pretraining_kind(keys):
    """'AlignDet' / 'DETReg' when the state-dict ``keys`` are those of a pre-trainer, else
    None."""
    keys = list(keys)
    if any(k.startswith('online.') for k in keys) and any(k.startswith('target.') for k in keys):
        return 'AlignDet'
    if any(k.startswith('region_encoder.') or '.feature_embed' in k for k in keys):
        return 'DETReg'
    return None


def check_testable(checkpoint):
    """Raise a one-line CheckpointError when ``checkpoint`` (a path) is a pre-training
    checkpoint, which must be extracted and fine-tuned before it is tested."""
    kind = pretraining_kind(state_dict_of(load_checkpoint_file(checkpoint, 'cpu')))
    if kind is None:
        return
    what = (
        'an AlignDet pre-training checkpoint (online./target. detectors trained on proposals)'
        if kind == 'AlignDet'
        else 'a DETReg pre-training checkpoint (a one-class detector with its region '
        'embedding branch)'
    )
    preset = ' --preset detreg' if kind == 'DETReg' else ''
    raise CheckpointError(
        f'{checkpoint}: {what}; it detects no classes: extract the detector '
        f'(python {EXTRACT} {checkpoint}{preset}) and fine-tune it before testing'
    )


def sha256_of(data):
    return hashlib.sha256(data).hexdigest()


def publish_checkpoint(in_file, out_file, config=None):
    """Write ``in_file`` without its training state (optimizer, message hub, schedulers) as
    ``<out_file stem>-<sha256[:8]>.pth`` (mmdet's name), ``meta`` keeping what it had plus
    ``cfg`` (mmengine's key: the checkpoint's own config text, or that of ``config``),
    ``dpt_version`` and ``parent`` (file name and sha256 of ``in_file``). Returns (path,
    dropped keys)."""
    ckpt = load_checkpoint_file(in_file, 'cpu')
    with open(in_file, 'rb') as f:
        parent_sha = sha256_of(f.read())
    if not isinstance(ckpt, dict):
        raise CheckpointError(f'{in_file}: not a checkpoint dict')
    state = state_dict_of(ckpt)
    if not state:
        raise CheckpointError(f'{in_file}: holds no weights (state_dict)')
    meta = dict(ckpt.get('meta') or {})
    dropped = sorted(k for k in ckpt if k not in KEEP_KEYS)
    if config is not None:
        if not osp.isfile(config):
            raise CheckpointError(f'config={config}: file not found')
        from mmengine.config import Config

        meta['cfg'] = Config.fromfile(config).pretty_text
    if not meta.get('cfg'):
        raise CheckpointError(
            f'{in_file}: its meta holds no config (cfg); give the config '
            f'it was trained with (config=)'
        )
    # mmengine's own key for the config text (what an inferencer built from the weights
    # alone reads), dpt's version, and where the weights came from
    meta.update(dpt_version=__version__, parent=dict(file=osp.basename(in_file), sha256=parent_sha))
    buf = io.BytesIO()
    torch.save(dict(meta=meta, state_dict=state), buf)
    data = buf.getvalue()
    stem = out_file[: -len('.pth')] if out_file.endswith('.pth') else out_file
    final = f'{stem}-{sha256_of(data)[:8]}.pth'
    atomic_write_bytes(data, final)
    return final, dropped
