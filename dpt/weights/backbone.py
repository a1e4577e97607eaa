"""Import ResNet weights from self-supervised and classification checkpoints into mmdet's ResNet.

AlignDet (Li et al., ICCV 2023, Sec. 3) starts box-domain pre-training from an existing
image-domain backbone (supervised, MoCo v2, PixPro, SwAV, ...); DETReg uses SwAV, DAP a
classifier. Each code base saves its ResNet under its own prefix and container, beside heads,
momentum encoders and queues. :func:`import_backbone` finds the ResNet, renames it to the keys
mmdet's ``ResNet`` has (``conv1.weight``, ``layer1.0.bn1.weight``: torchvision's names, which
timm shares) and checks it against a ResNet of the given depth, so that
``backbone.init_cfg=dict(type='Pretrained', checkpoint=OUT)`` loads every backbone tensor.
"""

import io
import re
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

import torch

from ..engine.fileio import atomic_write_bytes
from ..utils.errors import CheckpointError
from ..utils.state_dict import load_weights_file, revise_state_dict, unwrap_checkpoint


@dataclass(frozen=True)
class BackboneFormat:
    """Where one code base keeps its ResNet, and what else its checkpoints hold."""

    name: str
    title: str
    prefixes: tuple  # the ResNet's keys start with the first of these present
    parts: tuple  # (key prefix, what it is): expected non-backbone tensors, dropped


# Keys are matched after one leading 'module.' (DistributedDataParallel) is removed.
FORMATS = OrderedDict(
    (f.name, f)
    for f in (
        BackboneFormat(
            'densecl',
            'DenseCL / OpenSelfSup training checkpoint',
            ('encoder_q.0.', 'backbone.'),
            (
                ('encoder_q.1.', 'projection neck'),
                ('encoder_k.', 'momentum encoder'),
                ('backbone.', "alias of encoder_q.0 (OpenSelfSup's 'backbone')"),
                ('head.', 'loss head'),
                ('queue', 'negative queues'),
            ),
        ),
        BackboneFormat(
            'moco',
            'MoCo v1 / v2 checkpoint (facebookresearch/moco)',
            ('encoder_q.',),
            (
                ('encoder_q.fc.', 'projection head'),
                ('encoder_k.', 'momentum encoder'),
                ('queue', 'negative queue'),
            ),
        ),
        BackboneFormat(
            'pixpro',
            'PixPro checkpoint (zdaxie/PixPro)',
            ('encoder.',),
            (
                ('encoder.fc.', 'classifier'),
                ('encoder_k.', 'momentum encoder'),
                ('projector', 'projection heads'),
                ('predictor.', 'predictor'),
                ('value_transform.', 'pixel propagation module'),
            ),
        ),
        BackboneFormat(
            'mmselfsup',
            'mmselfsup / mmpretrain / mmdet checkpoint (backbone.*)',
            ('backbone.',),
            (
                ('neck.', 'neck'),
                ('head.', 'head'),
                ('momentum_encoder.', 'momentum encoder'),
                ('encoder_k.', 'momentum encoder'),
                ('queue', 'negative queue'),
                ('target_generator.', 'target generator'),
                ('data_preprocessor.', 'data preprocessor'),
            ),
        ),
        BackboneFormat(
            'swav',
            'SwAV checkpoint (facebookresearch/swav)',
            ('',),
            (('projection_head.', 'projection head'), ('prototypes.', 'prototypes')),
        ),
        BackboneFormat(
            'torchvision', 'torchvision / timm ResNet (plain keys)', ('',), (('fc.', 'classifier'),)
        ),
        BackboneFormat(
            'timm', 'timm ResNet (plain keys, as torchvision)', ('',), (('fc.', 'classifier'),)
        ),
    )
)

# mmdet's ResNet: (block type, blocks per stage) by depth (He et al., 2016, Table 1)
DEPTHS = {
    18: (False, (2, 2, 2, 2)),
    34: (False, (3, 4, 6, 3)),
    50: (True, (3, 4, 6, 3)),
    101: (True, (3, 4, 23, 3)),
    152: (True, (3, 8, 36, 3)),
}
_BLOCK_RE = re.compile(r'^layer(\d)\.(\d+)\.')


def detect_format(keys):
    """The name of the format whose layout these (``module.``-less) keys have, or None."""
    keys = list(keys)

    def has(prefix):
        return any(k.startswith(prefix) for k in keys)

    if has('encoder_q.0.'):
        return 'densecl'
    if has('encoder_q.'):
        return 'moco'
    if has('encoder.conv1.') or has('encoder.layer1.'):
        return 'pixpro'
    if has('backbone.'):
        return 'mmselfsup'
    if has('conv1.') or has('layer1.'):
        return 'swav' if has('prototypes.') or has('projection_head.') else 'torchvision'
    return None


def infer_depth(keys):
    """The ResNet depth of plain ResNet keys, from its blocks per stage, or None."""
    blocks = Counter()
    for key in keys:
        m = _BLOCK_RE.match(key)
        if m:
            blocks[int(m.group(1))] = max(blocks[int(m.group(1))], int(m.group(2)) + 1)
    bottleneck = any(k.startswith('layer1.0.conv3.') for k in keys)
    layout = (bottleneck, tuple(blocks[i] for i in (1, 2, 3, 4)))
    return next((d for d, v in DEPTHS.items() if v == layout), None)


def infer_widths(body):
    """(base_channels, stem_channels) of plain ResNet keys (mmdet's ResNet(base_channels=
    ..., stem_channels=...); 64 / 64 for every standard ResNet), read from the first block
    and the stem; (64, 64) where the tensors are absent."""

    def out_channels(key):
        value = body.get(key)
        return int(value.shape[0]) if torch.is_tensor(value) and value.dim() == 4 else 64

    return out_channels('layer1.0.conv1.weight'), out_channels('conv1.weight')


def resnet_shapes(depth, base_channels=64, stem_channels=None):
    """{key: shape} of mmdet's ResNet of this depth and width (built on the meta device: no
    memory)."""
    from mmdet.models.backbones import ResNet

    if depth not in DEPTHS:
        raise CheckpointError(
            f'depth={depth}: mmdet has ResNets of depth {", ".join(map(str, DEPTHS))}'
        )
    with torch.device('meta'):
        model = ResNet(
            depth=depth, base_channels=base_channels, stem_channels=stem_channels or base_channels
        )
    return OrderedDict((k, tuple(v.shape)) for k, v in model.state_dict().items())


@dataclass
class BackboneImport:
    """What :func:`import_backbone` found: the ResNet state dict and where each key went."""

    source: str
    format: str
    container: str  # 'state_dict', 'model' or '' (the checkpoint is the state dict)
    prefix: str  # where the ResNet's keys start (after 'module.')
    depth: int
    module: str = ''  # 'module.' when the keys carried DistributedDataParallel's prefix
    base_channels: int = 64  # mmdet ResNet(base_channels=...): 64 unless a narrower net
    stem_channels: int = 64
    state: OrderedDict = field(default_factory=OrderedDict)
    mapped: list = field(default_factory=list)  # source keys that became ResNet keys
    dropped: dict = field(default_factory=dict)  # what it is -> [source keys]
    unexpected: list = field(default_factory=list)  # neither ResNet nor a known part
    mismatched: list = field(default_factory=list)  # (key, source shape, ResNet shape)
    missing: list = field(default_factory=list)  # ResNet keys the source lacks
    filled: list = field(default_factory=list)  # BN counters added (num_batches_tracked)

    def summary(self) -> str:
        def shown(keys, n=2):  # as written in the source
            return _examples([self.module + k for k in keys], n)

        total = len(self.state) + len(self.missing)
        where = (
            f"under '{self.module}{self.prefix}'"
            if self.module or self.prefix
            else 'at the top level'
        )
        box = f"['{self.container}']" if self.container else ''
        width = (
            ''
            if (self.base_channels, self.stem_channels) == (64, 64)
            else f' (base_channels={self.base_channels}, stem_channels={self.stem_channels})'
        )
        lines = [
            f'{self.source}: {FORMATS[self.format].title} -> mmdet ResNet-{self.depth}{width}',
            f'  found       the ResNet {where} of checkpoint{box}',
            f'  mapped      {len(self.mapped)} tensors: {len(self.state)} of '
            f"ResNet-{self.depth}'s {total}"
            + (
                f' ({len(self.filled)} num_batches_tracked counters added at 0)'
                if self.filled
                else ''
            ),
        ]
        if self.dropped:
            parts = ', '.join(
                f'{what} {len(keys)} ({shown(keys)})' for what, keys in self.dropped.items()
            )
            lines.append(f'  dropped     {parts}')
        lines += problem_lines(
            [self.module + k for k in self.unexpected],
            self.missing,
            [(self.module + k, a, b) for k, a, b in self.mismatched],
        )
        return '\n'.join(lines)

    def checkpoint(self) -> dict:
        """The output: ``state_dict`` with mmdet ResNet keys, and where it came from."""
        return converted_checkpoint(
            self.state,
            self.source,
            'dpt.weights.backbone',
            format=self.format,
            depth=self.depth,
            base_channels=self.base_channels,
            stem_channels=self.stem_channels,
        )


def converted_checkpoint(state, source, converted_by, **meta):
    """A converted checkpoint as dpt writes it: ``state_dict``, and ``meta`` holding the
    ``source``, the converter's own ``meta`` items and ``converted_by`` (its module)."""
    return {
        'state_dict': state,
        'meta': {'source': source, **meta, 'converted_by': converted_by},
    }


def _examples(keys, n=2):
    shown = ', '.join(keys[:n])
    return shown + (f', ... {len(keys) - n} more' if len(keys) > n else '')


def problem_lines(unexpected, missing, mismatched):
    """The closing lines of a conversion's summary: how many keys are unexpected, missing
    and of another shape (``(key, source shape, mmdet shape)``), with the first few, or
    that nothing is."""
    lines = []
    for title, keys, n in (
        ('unexpected', unexpected, 5),
        ('missing', missing, 5),
        ('mismatched', [f'{k} {a} vs {b}' for k, a, b in mismatched], 3),
    ):
        if keys:
            lines.append(f'  {title:<11} {len(keys)}: {_examples(keys, n)}')
    return lines or ['  nothing unexpected, nothing missing']


def import_backbone(checkpoint, source='checkpoint', fmt='auto', depth=None, min_fit=1.0):
    """Find the ResNet in ``checkpoint`` (a loaded dict) and return a :class:`BackboneImport`.

    ``fmt`` is a name of :data:`FORMATS` or 'auto'; ``depth`` None infers it from the blocks
    per stage. Refuses (CheckpointError naming ``source``) a checkpoint of which less than
    ``min_fit`` of the ResNet's tensors are found, or that holds a deeper ResNet.
    """
    container, raw = unwrap_checkpoint(checkpoint, source)
    state = revise_state_dict(raw, tensors_only=False)  # without 'module.'
    if fmt == 'auto':
        fmt = detect_format(state)
        if fmt is None:
            names = sorted({k.split('.')[0] for k in state})
            raise CheckpointError(
                f'{source}: no ResNet of a known layout found (top-level names in '
                f"the state dict: {', '.join(names[:8]) or 'none'}); name the format with "
                f'fmt= ({", ".join(FORMATS)})'
            )
    elif fmt not in FORMATS:
        raise CheckpointError(f'fmt={fmt}: unknown; choose from {", ".join(FORMATS)}')
    form = FORMATS[fmt]
    prefix = next(
        (p for p in form.prefixes if any(k.startswith(p) for k in state)), form.prefixes[0]
    )
    body = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
    if depth is None:
        depth = infer_depth(body)
        if depth is None:
            raise CheckpointError(
                f"{source}: cannot tell the ResNet depth from the keys "
                f"under '{prefix}' ({fmt} format); pass depth="
            )
    base, stem = infer_widths(body)
    shapes = resnet_shapes(depth, base, stem)
    module = 'module.' if any(k.startswith('module.') for k in raw) else ''
    result = BackboneImport(str(source), fmt, container, prefix, depth, module, base, stem)
    for key, value in state.items():
        name = key[len(prefix) :] if key.startswith(prefix) else None
        if name is not None and name in shapes and torch.is_tensor(value):
            if tuple(value.shape) == shapes[name]:
                result.state[name] = value
                result.mapped.append(key)
            else:
                result.mismatched.append((key, tuple(value.shape), shapes[name]))
            continue
        what = next((w for p, w in form.parts if key.startswith(p)), None)
        if what is not None and not (name is not None and _BLOCK_RE.match(name)):
            result.dropped.setdefault(what, []).append(key)
        else:
            result.unexpected.append(key)
    mismatched = {k[len(prefix) :] for k, _, _ in result.mismatched}
    for name in shapes:
        if name not in result.state and name not in mismatched:
            if name.endswith('num_batches_tracked'):
                # counters that old checkpoints lack; mmengine ignores them, a strict load not
                result.state[name] = torch.tensor(0, dtype=torch.long)
                result.filled.append(name)
            else:
                result.missing.append(name)
    result.state = OrderedDict((k, result.state[k]) for k in shapes if k in result.state)
    _check(result, shapes, min_fit)
    return result


def _check(result, shapes, min_fit):
    source, depth = result.source, result.depth
    deeper = [
        k
        for k in result.unexpected
        if k.startswith(result.prefix) and _BLOCK_RE.match(k[len(result.prefix) :])
    ]
    if deeper:
        found = infer_depth([k[len(result.prefix) :] for k in result.mapped + deeper])
        hint = f'depth={found}' if found else 'the right depth='
        raise CheckpointError(
            f"{source}: has ResNet blocks that ResNet-{depth} lacks "
            f"(e.g. '{deeper[0]}'); pass {hint}"
        )
    needed = [k for k in shapes if not k.endswith('num_batches_tracked')]
    found = sum(k in result.state for k in needed)
    if found == 0:
        example = (result.unexpected or [k for k, _, _ in result.mismatched] or ['-'])[0]
        raise CheckpointError(
            f"{source}: nothing maps to a ResNet-{depth} "
            f"({result.format} format, keys under '{result.prefix}'; "
            f"e.g. '{example}')"
        )
    if found < min_fit * len(needed):
        example = ([k for k, _, _ in result.mismatched] or result.missing)[0]
        raise CheckpointError(
            f'{source}: only {found} of ResNet-{depth}\'s {len(needed)} tensors found '
            f"({result.format} format; e.g. '{example}' is missing or has another shape); "
            f'another depth or another model?'
        )


def convert_backbone(src, out, fmt='auto', depth=None, min_fit=1.0):
    """Read ``src``, import its ResNet (or torchvision MobileNetV2: :mod:`.mobilenet`) and
    write it to ``out`` atomically; return the import."""
    from .mobilenet import find_mobilenet_v2

    checkpoint = load_weights_file(src)
    result = find_mobilenet_v2(checkpoint, str(src), fmt) or import_backbone(
        checkpoint, str(src), fmt, depth, min_fit
    )
    buf = io.BytesIO()
    torch.save(result.checkpoint(), buf)
    atomic_write_bytes(buf.getvalue(), out)
    return result
