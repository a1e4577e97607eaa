"""Read checkpoints, and load them into models saying what loaded.

The one place dpt reads a checkpoint's tensors: :func:`load_weights_file` reads a file
(safely unpickled, or ``.safetensors``), :func:`unwrap_checkpoint` finds the state dict in
it (saved bare or under ``state_dict`` / ``model``), :func:`revise_state_dict` renames its
keys by mmengine's ``revise_keys`` rules (by default DistributedDataParallel's ``module.``
prefix removed, as mmengine's ``load_checkpoint``); :func:`checkpoint_state` does the last
two. :func:`load_state_dict_checked` loads the tensors that fit a model and reports what the
model holds after loading.
"""

import argparse
import os.path as osp
import re
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

import torch

from .checkpoint import load_checkpoint_file
from .errors import CheckpointError

# mmengine's ``load_checkpoint(revise_keys=...)`` default: DistributedDataParallel's prefix
MODULE_PREFIX = ((r'^module\.', ''),)


def _group(key: str, depth: int = 1) -> str:
    return '.'.join(key.split('.')[:depth])


@dataclass
class LoadReport:
    """Which checkpoint tensors fit a model by name and shape (:func:`compare_state_dicts`),
    or which the model holds after loading (:func:`load_state_dict_checked`)."""

    loaded: list = field(default_factory=list)  # same name, same shape
    shape_mismatch: list = field(default_factory=list)  # (key, ckpt shape, model shape)
    unexpected: list = field(default_factory=list)  # in the checkpoint only
    missing: list = field(default_factory=list)  # in the model only
    converted: list = field(default_factory=list)  # (module, what was done)
    not_taken: list = field(default_factory=list)  # fitting, but the model kept its own

    @property
    def num_checkpoint(self):
        return (
            len(self.loaded) + len(self.shape_mismatch) + len(self.unexpected) + len(self.not_taken)
        )

    @property
    def fit_fraction(self):
        """Share of the checkpoint's tensors that the model takes."""
        return len(self.loaded) / max(1, self.num_checkpoint)

    def summary(self, depth: int = 1) -> str:
        """A few readable lines: counts per top-level module, then what did not load."""
        model_total = (
            len(self.loaded) + len(self.shape_mismatch) + len(self.missing) + len(self.not_taken)
        )
        lines = [
            f'loaded {len(self.loaded)} of the model\'s {model_total} tensors '
            f'({len(self.shape_mismatch)} shape mismatches, {len(self.missing)} missing, '
            f'{len(self.unexpected)} unused from the checkpoint, '
            f'{len(self.converted)} norm layers converted)'
        ]
        loaded = Counter(_group(k, depth) for k in self.loaded)
        total = Counter(
            _group(k, depth)
            for k in self.loaded
            + self.missing
            + self.not_taken
            + [k for k, _, _ in self.shape_mismatch]
        )
        for name in sorted(total):
            lines.append(f'  {name:<24} {loaded[name]:>5} / {total[name]:<5} loaded')
        kinds = Counter(how for _, how in self.converted)
        for how, n in kinds.items():
            lines.append(f'  converted {n} norm layers: {how}')
        for key, src, dst in self.shape_mismatch[:10]:
            lines.append(f'  skipped (shape {tuple(src)} -> {tuple(dst)}): {key}')
        if len(self.shape_mismatch) > 10:
            lines.append(f'  ... and {len(self.shape_mismatch) - 10} more shape mismatches')
        for title, keys in (
            ('missing (kept initialised)', self.missing),
            ('unused from checkpoint', self.unexpected),
            ('fitting, but not taken by the model', self.not_taken),
        ):
            if keys:
                groups = Counter(_group(k, 2) for k in keys)
                shown = ', '.join(f'{g} ({n})' for g, n in groups.most_common(8))
                lines.append(f'  {title}: {shown}')
        return '\n'.join(lines)


def compare_state_dicts(checkpoint_state: dict, model_state: dict) -> LoadReport:
    report = LoadReport()
    for key, value in checkpoint_state.items():
        if key not in model_state:
            report.unexpected.append(key)
        elif tuple(value.shape) != tuple(model_state[key].shape):
            report.shape_mismatch.append((key, value.shape, model_state[key].shape))
        else:
            report.loaded.append(key)
    report.missing = [k for k in model_state if k not in checkpoint_state]
    return report


_BN_STATS = ('running_mean', 'running_var', 'num_batches_tracked')
BN_TO_GN = 'BN -> GN (affine kept, running statistics dropped)'
GN_TO_BN = 'GN -> BN (affine kept, statistics start at mean 0, var 1)'


def _other_norm_name(prefix, to_gn):
    """mmcv names norm layers by type ('bn1' / 'gn1', 'bn' / 'gn'): the name in the other type."""
    head, _, last = prefix.rstrip('.').rpartition('.')
    src, dst = ('bn', 'gn') if to_gn else ('gn', 'bn')
    if not last.startswith(dst):
        return None
    return (f'{head}.' if head else '') + src + last[len(dst) :] + '.'


def adapt_norm_layers(checkpoint_state: dict, model):
    """Convert norm layers where checkpoint and model differ: BN <-> GN.

    BN and SyncBN share their keys, so they load into each other as they are. A BN layer
    loaded into a GN layer keeps its affine weight and bias (renamed where mmcv names the
    layer by type, ``bn1`` -> ``gn1``); its running statistics, which GN does not have, are
    dropped. A GN layer loaded into a BN layer gives the affine parameters; the BN statistics
    keep their initial values (mean 0, var 1): a BN layer in train mode re-estimates them as
    it trains; for one frozen in training (``norm_eval``, frozen stages) dpt's runner
    re-estimates them before training (:class:`dpt.engine.ReestimateBNStatsHook`). Returns
    the adapted state dict and [(module, what was done)].
    """
    from torch import nn

    state = dict(checkpoint_state)
    converted = []
    for name, module in model.named_modules():
        is_gn = isinstance(module, nn.GroupNorm)
        is_bn = isinstance(module, nn.modules.batchnorm._BatchNorm)
        if not (is_gn or is_bn) or not name:
            continue
        prefix = f'{name}.'
        source = prefix
        if f'{prefix}weight' not in state:
            source = _other_norm_name(prefix, to_gn=is_gn)
            if source is None or f'{source}weight' not in state:
                continue
        has_stats = f'{source}running_mean' in state
        if is_gn and has_stats:
            for stat in _BN_STATS:
                state.pop(source + stat, None)
            how = BN_TO_GN
        elif is_bn and not has_stats and module.track_running_stats:
            how = GN_TO_BN
        else:
            continue
        for param in ('weight', 'bias'):
            if source + param in state:
                state[prefix + param] = state.pop(source + param)
        converted.append((name, how))
    return state, converted


def load_weights_file(path):
    """A checkpoint file as a dict: safely unpickled, or read from ``.safetensors``.

    Training checkpoints of PixPro and DETReg hold their command-line options as an
    ``argparse.Namespace``, a plain attribute record (unpickling it runs no code): allowed
    here besides what :func:`~dpt.utils.checkpoint.load_checkpoint_file` allows.
    """
    path = str(path)
    if path.endswith('.safetensors'):
        if not osp.isfile(path):
            raise CheckpointError(f'{path}: checkpoint file not found')
        from safetensors.torch import load_file

        try:
            return load_file(path, device='cpu')
        except Exception as e:  # safetensors raises its own error types on bad files
            raise CheckpointError(f'{path}: not a readable safetensors file ({e})') from None
    with torch.serialization.safe_globals([argparse.Namespace]):
        return load_checkpoint_file(path, map_location='cpu')


def unwrap_checkpoint(checkpoint, source=None):
    """(container, state dict) of a loaded checkpoint: container is ``'state_dict'`` or
    ``'model'`` where the tensors are saved under that key (mmengine / mmdet / SwAV / MoCo
    save under the first, Deformable-DETR / DETReg / PixPro under the second), ``''`` where
    the checkpoint is the state dict itself. ``source`` (a file name) begins the error."""
    if not isinstance(checkpoint, dict):
        where = f'{source}: ' if source else ''
        raise CheckpointError(f'{where}expected a dict of tensors, got {type(checkpoint).__name__}')
    for key in ('state_dict', 'model'):
        if isinstance(checkpoint.get(key), dict):
            return key, checkpoint[key]
    return '', checkpoint


def state_dict_of(checkpoint, source=None) -> OrderedDict:
    """The tensors of a checkpoint, whether saved bare or under 'state_dict' / 'model'."""
    return unwrap_checkpoint(checkpoint, source)[1]


def revise_state_dict(state: dict, revise_keys=MODULE_PREFIX, tensors_only=True) -> OrderedDict:
    """The tensors of ``state`` (with ``tensors_only=False``, every entry), keys renamed by
    mmengine's ``revise_keys`` rules ((pattern, replacement) pairs applied in turn with
    ``re.sub``); the version metadata that torch's loading reads (``_metadata``) is renamed
    alike."""
    metadata = getattr(state, '_metadata', None)
    out = OrderedDict((k, v) for k, v in state.items() if not tensors_only or torch.is_tensor(v))
    for pattern, repl in revise_keys:
        out = OrderedDict((re.sub(pattern, repl, k), v) for k, v in out.items())
        if metadata is not None:
            metadata = OrderedDict((re.sub(pattern, repl, k), v) for k, v in metadata.items())
    if metadata is not None:
        out._metadata = metadata
    return out


def checkpoint_state(checkpoint, source=None, revise_keys=MODULE_PREFIX) -> OrderedDict:
    """The tensors of a loaded checkpoint (:func:`unwrap_checkpoint`), keys revised
    (:func:`revise_state_dict`: without ``module.`` by default)."""
    return revise_state_dict(state_dict_of(checkpoint, source), revise_keys)


def _same(loaded: torch.Tensor, source: torch.Tensor) -> bool:
    return tuple(loaded.shape) == tuple(source.shape) and torch.equal(
        loaded.detach(), source.detach().to(device=loaded.device, dtype=loaded.dtype)
    )


def load_state_dict_checked(model, state: dict, strict: bool = False) -> LoadReport:
    """Load the tensors of ``state`` that fit ``model`` by name and shape, and report what
    the model holds afterwards.

    Shape mismatches are left out (the model keeps its own tensor); the rest goes through
    torch's ``load_state_dict``, whose unexpected keys are reported as unused; a key counts as
    loaded only if the model's tensor equals the checkpoint's after loading. With ``strict``,
    any mismatch, missing or unused key raises :class:`CheckpointError` before loading.
    """
    planned = compare_state_dicts(state, model.state_dict())
    mismatched = [k for k, _, _ in planned.shape_mismatch]
    if strict and (mismatched or planned.missing or planned.unexpected):
        example = (mismatched + planned.missing + planned.unexpected)[0]
        raise CheckpointError(
            f'strict loading: {len(mismatched)} shape mismatches, {len(planned.missing)} '
            f'missing and {len(planned.unexpected)} unused keys (e.g. {example!r})'
        )
    mismatched = set(mismatched)
    fitting = OrderedDict((k, v) for k, v in state.items() if k not in mismatched)
    if hasattr(state, '_metadata'):
        fitting._metadata = state._metadata
    result = model.load_state_dict(fitting, strict=False)

    after = model.state_dict()
    unexpected = set(result.unexpected_keys)
    report = LoadReport(
        shape_mismatch=planned.shape_mismatch,
        unexpected=[k for k in state if k in unexpected or k not in after],
    )
    for key, value in fitting.items():
        if key in unexpected or key not in after:
            continue
        (report.loaded if _same(after[key], value) else report.not_taken).append(key)
    taken = set(report.loaded) | mismatched | set(report.not_taken)
    report.missing = [k for k in after if k not in taken and k not in state]
    return report


def check_fits(report: LoadReport, filename: str, model_name: str, min_fit: float):
    """Refuse a checkpoint of another model: too little of it fits this one."""
    if not report.loaded or report.fit_fraction < min_fit:
        example = (report.unexpected + [k for k, _, _ in report.shape_mismatch] or ['-'])[0]
        raise CheckpointError(
            f'{filename}: does not fit {model_name}: only {len(report.loaded)} of its '
            f'{report.num_checkpoint} tensors match the model by name and shape '
            f'(need {min_fit:.0%}; e.g. {example!r}); is it a checkpoint of another model?'
        )
