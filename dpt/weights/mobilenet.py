"""Import torchvision's MobileNetV2 (Sandler et al., CVPR 2018) into mmdet's ``MobileNetV2``.

The two implementations build the same network (mmdet's ``arch_settings`` are torchvision's
inverted-residual settings) under different names: torchvision numbers the stem, the 17
inverted residuals and the last 1x1 conv as ``features.0`` ... ``features.18`` and writes each
block as a ``conv`` Sequential; mmdet groups the blocks into ``layer1`` ... ``layer7`` (1, 2, 3,
4, 3, 3, 1 blocks) with named ``expand_conv`` / ``depthwise_conv`` / ``linear_conv`` ConvModules
and calls the stem ``conv1`` and the last conv ``conv2``. :func:`import_mobilenet_v2` renames
every ``features.*`` tensor, checks it against mmdet's MobileNetV2 of the same width, and drops
the ImageNet classifier (``classifier.1``), so that
``backbone.init_cfg=dict(type='Pretrained', checkpoint=OUT)`` fills every tensor.
"""

import re
from collections import OrderedDict
from dataclasses import dataclass, field

import torch

from ..utils.errors import CheckpointError
from .backbone import converted_checkpoint, problem_lines

FORMAT = 'torchvision-mobilenet_v2'
TITLE = 'torchvision MobileNetV2 (features.* / classifier.*)'
# blocks per mmdet layer (mmdet MobileNetV2.arch_settings; Sandler et al., Table 2)
BLOCKS = (1, 2, 3, 4, 3, 3, 1)
_FEATURE_RE = re.compile(r'^features\.(\d+)\.(.+)$')


def is_mobilenet_v2(keys):
    """Whether these (``module.``-less) keys are a torchvision MobileNetV2's."""
    keys = set(keys)
    return 'features.0.0.weight' in keys and 'features.1.conv.0.0.weight' in keys


def _block_names():
    """torchvision feature index -> (mmdet 'layerL.B', first block of the net?)."""
    names, index = {}, 1
    for layer, blocks in enumerate(BLOCKS, 1):
        for b in range(blocks):
            names[index] = f'layer{layer}.{b}'
            index += 1
    return names


_BLOCKS = _block_names()
_LAST = len(_BLOCKS) + 1  # features.18: the 1x1 conv to 1280 channels


def mmdet_key(key):
    """The mmdet MobileNetV2 key of a torchvision ``features.*`` key, or None."""
    m = _FEATURE_RE.match(key)
    if not m:
        return None
    index, rest = int(m.group(1)), m.group(2)
    if index in (0, _LAST):  # Conv2dNormActivation: 0 = conv, 1 = bn
        head, _, tail = rest.partition('.')
        part = {'0': 'conv', '1': 'bn'}.get(head)
        return f"{'conv1' if index == 0 else 'conv2'}.{part}.{tail}" if part else None
    if index not in _BLOCKS or not rest.startswith('conv.'):
        return None
    parts = rest[len('conv.') :].split('.', 2)
    # expand ratio 1 (features.1): [depthwise(conv, bn), linear conv, linear bn]
    # otherwise: [expand(conv, bn), depthwise(conv, bn), linear conv, linear bn]
    steps = (
        ['depthwise_conv', 'linear'] if index == 1 else ['expand_conv', 'depthwise_conv', 'linear']
    )
    pos = int(parts[0])
    if pos < len(steps) - 1:  # a Conv2dNormActivation
        if len(parts) < 3 or parts[1] not in ('0', '1'):
            return None
        return f"{_BLOCKS[index]}.{steps[pos]}.{'conv' if parts[1] == '0' else 'bn'}.{parts[2]}"
    if pos in (len(steps) - 1, len(steps)):  # the linear 1x1 conv, then its BN
        return (
            f"{_BLOCKS[index]}.linear_conv.{'conv' if pos == len(steps) - 1 else 'bn'}."
            f"{'.'.join(parts[1:])}"
        )
    return None


def mobilenet_v2_shapes(widen_factor=1.0):
    """{key: shape} of mmdet's MobileNetV2 (every layer, built on the meta device)."""
    from mmdet.models.backbones import MobileNetV2

    with torch.device('meta'):
        model = MobileNetV2(widen_factor=widen_factor, out_indices=(7,))
    return OrderedDict((k, tuple(v.shape)) for k, v in model.state_dict().items())


@dataclass
class MobileNetImport:
    """What :func:`import_mobilenet_v2` found (the fields :class:`BackboneImport` has)."""

    source: str
    format: str = FORMAT
    container: str = ''
    widen_factor: float = 1.0
    state: OrderedDict = field(default_factory=OrderedDict)
    mapped: list = field(default_factory=list)  # torchvision keys used
    dropped: dict = field(default_factory=dict)  # what it is -> [keys]
    unexpected: list = field(default_factory=list)
    mismatched: list = field(default_factory=list)  # (key, source shape, mmdet shape)
    missing: list = field(default_factory=list)  # mmdet keys not filled
    filled: list = field(default_factory=list)  # BN counters added at 0

    def summary(self) -> str:
        total = len(self.state) + len(self.missing)
        box = f"['{self.container}']" if self.container else ''
        lines = [
            f'{self.source}: {TITLE} -> mmdet MobileNetV2 (widen_factor={self.widen_factor:g})',
            f'  found       the network at the top level of checkpoint{box}',
            f'  mapped      {len(self.mapped)} tensors: {len(self.state)} of '
            f"MobileNetV2's {total}"
            + (
                f' ({len(self.filled)} num_batches_tracked counters added at 0)'
                if self.filled
                else ''
            ),
        ]
        if self.dropped:
            lines.append(
                '  dropped     '
                + ', '.join(
                    f'{what} {len(keys)} ({", ".join(keys[:2])})'
                    for what, keys in self.dropped.items()
                )
            )
        lines += problem_lines(self.unexpected, self.missing, self.mismatched)
        return '\n'.join(lines)

    def checkpoint(self) -> dict:
        return converted_checkpoint(
            self.state,
            self.source,
            'dpt.weights.mobilenet',
            format=self.format,
            arch='MobileNetV2',
            widen_factor=self.widen_factor,
        )


def import_mobilenet_v2(state, source='checkpoint', container='', widen_factor=1.0):
    """Rename a torchvision MobileNetV2 state dict (``module.``-less keys) to mmdet's.

    Every ``features.*`` tensor must map onto a tensor of the same shape, and every tensor
    of mmdet's MobileNetV2 must be filled (BN counters may be added); ``classifier.*`` (the
    ImageNet head) is dropped. Anything else is refused with a CheckpointError naming
    ``source``.
    """
    shapes = mobilenet_v2_shapes(widen_factor)
    result = MobileNetImport(str(source), container=container, widen_factor=widen_factor)
    for key, value in state.items():
        if key.startswith('classifier.'):
            result.dropped.setdefault('ImageNet classifier', []).append(key)
            continue
        name = mmdet_key(key)
        if name is None or name not in shapes or not torch.is_tensor(value):
            result.unexpected.append(key)
        elif tuple(value.shape) != shapes[name]:
            result.mismatched.append((key, tuple(value.shape), shapes[name]))
        else:
            result.state[name] = value
            result.mapped.append(key)
    for name in shapes:
        if name not in result.state:
            if name.endswith('num_batches_tracked'):
                result.state[name] = torch.tensor(0, dtype=torch.long)
                result.filled.append(name)
            elif not any(mmdet_key(k) == name for k, _, _ in result.mismatched):
                result.missing.append(name)
    result.state = OrderedDict((k, result.state[k]) for k in shapes if k in result.state)
    problems = result.unexpected or result.mismatched or result.missing
    if problems:
        what = (
            'unexpected'
            if result.unexpected
            else 'of another shape'
            if result.mismatched
            else 'missing'
        )
        first = problems[0][0] if result.mismatched and not result.unexpected else problems[0]
        raise CheckpointError(
            f"{source}: not a torchvision MobileNetV2 at widen_factor {widen_factor:g} "
            f"({len(problems)} tensors {what}, e.g. '{first}')"
        )
    return result


def find_mobilenet_v2(checkpoint, source='checkpoint', fmt='auto'):
    """The :class:`MobileNetImport` of a loaded checkpoint when ``fmt`` is :data:`FORMAT`,
    or 'auto' and its keys are a torchvision MobileNetV2's; else None (a ResNet format)."""
    if fmt not in ('auto', FORMAT):
        return None
    from ..utils.state_dict import revise_state_dict, unwrap_checkpoint

    container, raw = unwrap_checkpoint(checkpoint, source)
    state = revise_state_dict(raw, tensors_only=False)  # without 'module.'
    if fmt == 'auto' and not is_mobilenet_v2(state):
        return None
    return import_mobilenet_v2(state, source, container)
