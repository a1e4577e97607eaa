"""Turn a detector pre-training checkpoint into the ``load_from`` of its fine-tuning.

AlignDet (Li et al., ICCV 2023, Sec. 3.3) pre-trains a whole detector, the online branch
(``online.<detector keys>``) and its EMA target (``target.<...>``), then fine-tunes from the
online detector without its output layers: the class-specific classifiers and regressors do
not fit the fine-tuning classes (their pre-training targets were proposals or embeddings).
DETReg and DAP hand over the same way (``prefix``; a plain detector checkpoint has none).
"""

import io
import os.path as osp
import re
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

import torch

from ..engine.fileio import atomic_write_bytes
from ..utils.errors import CheckpointError
from ..utils.state_dict import checkpoint_state, load_weights_file
from .backbone import converted_checkpoint

BRANCHES = ('online', 'target')
ALIGNDET_OUT = 'aligndet_finetune_init.pth'  # next to an AlignDet pre-training's checkpoints
PLAIN_OUT = 'finetune_init.pth'  # next to any other detector checkpoint

# Output layers of mmdet 3 heads, matched as whole module names anywhere in a key.
OUTPUT_LAYERS = (
    'fc_cls',
    'fc_reg',  # R-CNN box heads (every Cascade stage), DETR's head
    'retina_cls',
    'retina_reg',  # RetinaHead
    'conv_cls',
    'conv_reg',
    'conv_centerness',  # FCOSHead (and other anchor-free heads)
    'conv_logits',  # FCNMaskHead
    'fc_embed',  # AlignDet's DETR query projection (pre-training only)
    'feature_embed',
    'region_encoder',  # DETReg's embedding branch and frozen target encoder
)
_OUTPUT_RE = re.compile(r'(^|\.)(' + '|'.join(OUTPUT_LAYERS) + r')(\.|$)')
# DETR-family branches: ModuleLists of one Linear (cls) or of Sequential MLPs (reg)
_BRANCH_RE = re.compile(r'^(.*\.(?:cls|reg)_branches\.\d+)\.(?:(\d+)\.)?[^.]+$')


# How each strategy hands its pre-trained detector over to fine-tuning (the tool's --preset):
# AlignDet and DAP drop the output layers above (DAP: the class-specific predictor, fc_cls and
# fc_reg of the box head); DETReg (main.py --pretrain) drops only the class layer
# (`class_embed`: DeformableDETRHead's cls_branches, DETRHead's fc_cls) and keeps the box
# regressors; its embedding branch and frozen target encoder do not exist in fine-tuning.
PRESETS = {
    'aligndet': dict(keep_heads=False, drop=()),
    'dap': dict(keep_heads=False, drop=()),
    'detreg': dict(
        keep_heads=True, drop=(r'(^|\.)(cls_branches|fc_cls|feature_embed|region_encoder)(\.|$)',)
    ),
}


def output_layer_keys(keys):
    """The keys of output layers: :data:`OUTPUT_LAYERS` and the last layer of every
    ``cls_branches`` / ``reg_branches`` entry (DeformableDETR, DINO, ...)."""
    dropped = {k for k in keys if _OUTPUT_RE.search(k)}
    last = {}
    for key in keys:
        m = _BRANCH_RE.match(key)
        if m:
            layer = -1 if m.group(2) is None else int(m.group(2))
            last[m.group(1)] = max(last.get(m.group(1), -1), layer)
    for key in keys:
        m = _BRANCH_RE.match(key)
        if m and (-1 if m.group(2) is None else int(m.group(2))) == last[m.group(1)]:
            dropped.add(key)
    return dropped


def _module(key):
    """'roi_head.bbox_head.fc_cls.weight' -> 'roi_head.bbox_head.fc_cls'."""
    return key.rsplit('.', 1)[0]


@dataclass
class DetectorWeights:
    """The extracted state dict, and what was kept and dropped."""

    source: str
    prefix: str
    aligndet: bool  # online./target. layout
    state: OrderedDict = field(default_factory=OrderedDict)
    heads: list = field(default_factory=list)  # output layers dropped
    by_pattern: list = field(default_factory=list)  # dropped by --drop
    left_out: list = field(default_factory=list)  # not under the prefix

    def summary(self) -> str:
        where = f"'{self.prefix}' stripped" if self.prefix else 'plain detector'
        dropped = self.heads + self.by_pattern
        lines = [
            f'{self.source}: kept {len(self.state)} tensors, dropped {len(dropped)} ({where})',
            f'  {"module":<16} {"kept":>5} {"dropped":>8}',
        ]
        kept = Counter(k.split('.')[0] for k in self.state)
        lost = Counter(k.split('.')[0] for k in dropped)
        for name in OrderedDict.fromkeys(k.split('.')[0] for k in list(self.state) + dropped):
            lines.append(f'  {name:<16} {kept[name]:>5} {lost[name]:>8}')
        for title, keys in (
            ('output layers (--keep-heads keeps them)', self.heads),
            ('by --drop', self.by_pattern),
        ):
            if keys:
                modules = list(OrderedDict.fromkeys(_module(k) for k in keys))
                lines.append(f'  dropped {title}: {", ".join(modules)}')
        if self.left_out:
            groups = Counter(k.split('.')[0] for k in self.left_out)
            lines.append(
                '  left out ' + ', '.join(f"'{g}.' ({n} tensors)" for g, n in groups.items())
            )
        return '\n'.join(lines)

    def checkpoint(self) -> dict:
        return converted_checkpoint(
            self.state,
            self.source,
            'dpt.weights.detector',
            prefix=self.prefix,
            dropped_output_layers=sorted({_module(k) for k in self.heads}),
            dropped_by_pattern=sorted({_module(k) for k in self.by_pattern}),
        )


def _choose_prefix(state, source, prefix, which):
    def has(p):
        return any(k.startswith(p) for k in state)

    if prefix is not None:
        if prefix and not prefix.endswith('.'):
            prefix += '.'
        if prefix and not has(prefix):
            raise CheckpointError(
                f"{source}: no key starts with '{prefix}' (top-level names: "
                f"{', '.join(sorted({k.split('.')[0] for k in state})[:8])})"
            )
        return prefix
    if which is not None and which not in BRANCHES:
        raise CheckpointError(f'which={which}: choose from {", ".join(BRANCHES)}')
    if has(f'{which or "online"}.'):
        return f'{which or "online"}.'
    if which is not None or has('target.'):
        raise CheckpointError(
            f"{source}: no '{which or 'online'}.' detector in it "
            f'(AlignDet pre-training checkpoints hold online.* and target.*)'
        )
    if not has('backbone.'):
        raise CheckpointError(
            f"{source}: not a detector checkpoint (no 'online.', 'target.' or 'backbone.' keys; "
            f"top-level names: {', '.join(sorted({k.split('.')[0] for k in state})[:8])}); "
            f'name the detector with prefix='
        )
    return ''


def extract_detector(
    checkpoint, source='checkpoint', prefix=None, which=None, keep_heads=False, drop=()
):
    """Take one detector out of a loaded checkpoint; return :class:`DetectorWeights`.

    ``prefix`` None: the ``online.`` detector of an AlignDet checkpoint (``which='target'``:
    its EMA target), else a plain detector (keys start with ``backbone.``). ``drop``: regular
    expressions; keys (after the prefix) that any of them finds are dropped as well.
    """
    state = checkpoint_state(checkpoint, source)
    chosen = _choose_prefix(state, source, prefix, which)
    try:
        patterns = [re.compile(p) for p in drop]
    except re.error as e:
        raise CheckpointError(f'drop={e.pattern!r}: not a regular expression ({e})') from None
    result = DetectorWeights(str(source), chosen, chosen in ('online.', 'target.'))
    body = OrderedDict((k[len(chosen) :], v) for k, v in state.items() if k.startswith(chosen))
    result.left_out = [k for k in state if not k.startswith(chosen)]
    heads = set() if keep_heads else output_layer_keys(body)
    for key, value in body.items():
        if key in heads:
            result.heads.append(key)
        elif any(p.search(key) for p in patterns):
            result.by_pattern.append(key)
        else:
            result.state[key] = value
    if not result.state:
        raise CheckpointError(
            f"{source}: nothing left of the '{chosen}' detector after "
            f'dropping output layers and drop= patterns'
        )
    return result


def resolve_source(path):
    """A checkpoint file, or a work dir: its newest checkpoint (mmengine's last_checkpoint)."""
    from mmengine.runner import find_latest_checkpoint

    path = str(path)
    if osp.isdir(path):
        latest = find_latest_checkpoint(path)
        if not latest or not osp.isfile(latest):
            raise CheckpointError(f'{path}: work dir without checkpoints')
        return latest
    if not osp.isfile(path):
        raise CheckpointError(f'{path}: checkpoint file not found')
    return path


def default_output(source, aligndet):
    """``<folder of the checkpoint>/aligndet_finetune_init.pth`` (``finetune_init.pth`` for
    a checkpoint without online./target. detectors)."""
    return osp.join(osp.dirname(osp.abspath(source)), ALIGNDET_OUT if aligndet else PLAIN_OUT)


def extract_detector_weights(
    src, out=None, prefix=None, which=None, keep_heads=False, drop=(), preset=None
):
    """Read ``src`` (a checkpoint or a work dir), write the detector's weights atomically
    to ``out`` (default: :func:`default_output`); return (result, output path).
    ``preset``: a name of :data:`PRESETS`, whose ``keep_heads`` is or-ed in and whose ``drop``
    patterns come before ``drop``'s."""
    if preset is not None:
        if preset not in PRESETS:
            raise CheckpointError(f'preset={preset}: unknown; choose from {", ".join(PRESETS)}')
        keep_heads = keep_heads or PRESETS[preset]['keep_heads']
        drop = (*PRESETS[preset]['drop'], *drop)
    src = resolve_source(src)
    result = extract_detector(load_weights_file(src), src, prefix, which, keep_heads, drop)
    out = out or default_output(src, result.aligndet)
    if osp.abspath(out) == osp.abspath(src):
        raise CheckpointError(f'{out}: output would replace the source checkpoint')
    buf = io.BytesIO()
    torch.save(result.checkpoint(), buf)
    atomic_write_bytes(buf.getvalue(), out)
    return result, out
