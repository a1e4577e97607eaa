"""Compare a checkpoint's state dict with a model's, and say what loads, in one summary."""
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

from .errors import CheckpointError


def _group(key: str, depth: int = 1) -> str:
    return '.'.join(key.split('.')[:depth])


@dataclass
class LoadReport:
    """Which checkpoint tensors fit a model: by name and shape."""
    loaded: list = field(default_factory=list)          # same name, same shape
    shape_mismatch: list = field(default_factory=list)  # (key, ckpt shape, model shape)
    unexpected: list = field(default_factory=list)      # in the checkpoint only
    missing: list = field(default_factory=list)         # in the model only
    converted: list = field(default_factory=list)       # (module, what was done)

    @property
    def num_checkpoint(self):
        return len(self.loaded) + len(self.shape_mismatch) + len(self.unexpected)

    @property
    def fit_fraction(self):
        """Share of the checkpoint's tensors that the model takes."""
        return len(self.loaded) / max(1, self.num_checkpoint)

    def summary(self, depth: int = 1) -> str:
        """A few readable lines: counts per top-level module, then what did not load."""
        model_total = len(self.loaded) + len(self.shape_mismatch) + len(self.missing)
        lines = [f'loaded {len(self.loaded)} of the model\'s {model_total} tensors '
                 f'({len(self.shape_mismatch)} shape mismatches, {len(self.missing)} missing, '
                 f'{len(self.unexpected)} unused from the checkpoint, '
                 f'{len(self.converted)} norm layers converted)']
        loaded = Counter(_group(k, depth) for k in self.loaded)
        total = Counter(_group(k, depth) for k in self.loaded + self.missing
                        + [k for k, _, _ in self.shape_mismatch])
        for name in sorted(total):
            lines.append(f'  {name:<24} {loaded[name]:>5} / {total[name]:<5} loaded')
        kinds = Counter(how for _, how in self.converted)
        for how, n in kinds.items():
            lines.append(f'  converted {n} norm layers: {how}')
        for key, src, dst in self.shape_mismatch[:10]:
            lines.append(f'  skipped (shape {tuple(src)} -> {tuple(dst)}): {key}')
        if len(self.shape_mismatch) > 10:
            lines.append(f'  ... and {len(self.shape_mismatch) - 10} more shape mismatches')
        for title, keys in (('missing (kept initialised)', self.missing),
                            ('unused from checkpoint', self.unexpected)):
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


def _other_norm_name(prefix, to_gn):
    """mmcv names norm layers by type ('bn1' / 'gn1', 'bn' / 'gn'): the name in the other type."""
    head, _, last = prefix.rstrip('.').rpartition('.')
    src, dst = ('bn', 'gn') if to_gn else ('gn', 'bn')
    if not last.startswith(dst):
        return None
    return (f'{head}.' if head else '') + src + last[len(dst):] + '.'


def adapt_norm_layers(checkpoint_state: dict, model):
    """Convert norm layers where checkpoint and model differ: BN <-> GN.

    BN and SyncBN share their keys, so they load into each other as they are. A BN layer
    loaded into a GN layer keeps its affine weight and bias (renamed where mmcv names the
    layer by type, ``bn1`` -> ``gn1``); its running statistics, which GN does not have, are
    dropped. A GN layer loaded into a BN layer gives the affine parameters; the BN statistics
    keep their initial values (mean 0, var 1) and are re-estimated in training. Returns the
    adapted state dict and [(module, what was done)].
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
            how = 'BN -> GN (affine kept, running statistics dropped)'
        elif is_bn and not has_stats and module.track_running_stats:
            how = 'GN -> BN (affine kept, statistics start at mean 0, var 1)'
        else:
            continue
        for param in ('weight', 'bias'):
            if source + param in state:
                state[prefix + param] = state.pop(source + param)
        converted.append((name, how))
    return state, converted


def state_dict_of(checkpoint) -> OrderedDict:
    """The tensors of a checkpoint, whether saved bare or under 'state_dict' / 'model'."""
    if not isinstance(checkpoint, dict):
        raise CheckpointError(f'expected a dict of tensors, got {type(checkpoint).__name__}')
    for key in ('state_dict', 'model'):
        if isinstance(checkpoint.get(key), dict):
            return checkpoint[key]
    return checkpoint


def check_fits(report: LoadReport, filename: str, model_name: str, min_fit: float):
    """Refuse a checkpoint of another model: too little of it fits this one."""
    if not report.loaded or report.fit_fraction < min_fit:
        example = (report.unexpected + [k for k, _, _ in report.shape_mismatch] or ['-'])[0]
        raise CheckpointError(
            f'{filename}: does not fit {model_name}: only {len(report.loaded)} of its '
            f'{report.num_checkpoint} tensors match the model by name and shape '
            f'(need {min_fit:.0%}; e.g. {example!r}); is it a checkpoint of another model?')
