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


def adapt_norm_layers(checkpoint_state: dict, model):
    """Convert norm layers where checkpoint and model differ: BN <-> GN.

    BN and SyncBN share their keys, so they load into each other as they are. A BN layer
    loaded into a GN layer keeps its affine weight and bias; its running statistics, which
    GN does not have, are dropped. A GN layer loaded into a BN layer gives the affine
    parameters; the BN statistics keep their initial values (mean 0, var 1) and are
    re-estimated in training. Returns the adapted state dict and [(module, what was done)].
    """
    from torch import nn
    state = dict(checkpoint_state)
    converted = []
    for name, module in model.named_modules():
        prefix = f'{name}.' if name else ''
        has_stats = f'{prefix}running_mean' in state
        has_affine = f'{prefix}weight' in state
        if isinstance(module, nn.GroupNorm) and has_stats:
            for stat in _BN_STATS:
                state.pop(prefix + stat, None)
            converted.append((name, 'BN -> GN (affine kept, running statistics dropped)'))
        elif isinstance(module, nn.modules.batchnorm._BatchNorm) and has_affine \
                and not has_stats and module.track_running_stats:
            converted.append((name, 'GN -> BN (affine kept, statistics start at mean 0, var 1)'))
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
