"""An image classifier as DAP needs it: the feature map before global pooling and the
weights of the linear classifier after it, so that the class activation map of class c is
``sum_k W[c, k] * F[k]`` (Zhou et al., CVPR 2016).

Any timm model (``timm:<name>``, split by ``forward_features`` / ``get_classifier()``) or a
torchvision ResNet-style model (``torchvision:<name>``: the children before ``avgpool`` and
``fc``) with global average pooling and one linear layer qualifies.
"""
from collections import OrderedDict

import torch
from torch import nn

from ..utils.errors import CheckpointError, ConfigError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class CamClassifier(nn.Module):
    """``features(x)`` -> (N, K, h, w) maps; ``weight`` (C, K) of the linear classifier."""

    def __init__(self, body, fc):
        super().__init__()
        if not isinstance(fc, nn.Linear):
            raise ConfigError(f'the classifier ends in {type(fc).__name__}, not one linear '
                              'layer after global pooling: no class activation maps')
        self.body, self.fc = body, fc
        self.register_buffer('mean', torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1) * 255,
                             persistent=False)
        self.register_buffer('std', torch.tensor(IMAGENET_STD).view(1, 3, 1, 1) * 255,
                             persistent=False)

    @property
    def num_classes(self):
        return self.fc.out_features

    def features(self, x):
        """(N, 3, H, W) RGB on the 0-255 scale -> (N, K, h, w)."""
        return self.body((x - self.mean) / self.std)

    def cams(self, x, labels):
        """(N, h, w) class activation maps of ``labels`` (N,)."""
        feats = self.features(x)
        return torch.einsum('nkhw,nk->nhw', feats, self.fc.weight[labels])

    def forward(self, x):
        return self.fc(self.features(x).mean(dim=(2, 3)))


class TimmFeatures(nn.Module):
    """A timm model's ``forward_features``: the map before pooling."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model.forward_features(x)


def _split(model, family):
    if family == 'timm':
        head = model.get_classifier()
        pool = getattr(model, 'global_pool', None)
        kind = getattr(pool, 'pool_type', 'avg')
        if kind not in ('avg', 'fast', 'fastavg'):
            raise ConfigError(f'the timm model pools with {kind!r}, not global average '
                              'pooling: no class activation maps')
        return TimmFeatures(model), head
    names = [n for n, _ in model.named_children()]
    if 'avgpool' not in names or 'fc' not in names:
        raise ConfigError(f'torchvision model with children {names[-3:]}: expected '
                          "'avgpool' and 'fc' at the end (a ResNet-style classifier)")
    keep = OrderedDict((n, m) for n, m in model.named_children()
                       if n not in ('avgpool', 'fc'))
    return nn.Sequential(keep), model.fc


def _state_dict(checkpoint, path):
    state = checkpoint
    if isinstance(state, dict):
        for key in ('state_dict', 'model'):
            if isinstance(state.get(key), dict):
                state = state[key]
                break
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise CheckpointError(f'{path}: not a state dict of tensors')
    return OrderedDict((k[len('module.'):] if k.startswith('module.') else k, v)
                       for k, v in state.items())


def _num_classes(state, path):
    for key in ('fc.weight', 'head.fc.weight', 'classifier.weight', 'head.weight'):
        if key in state and state[key].dim() == 2:
            return state[key].shape[0]
    raise CheckpointError(f'{path}: no linear classifier weight (fc.weight, head.fc.weight, '
                          '...) to tell the number of classes from; pass --num-classes')


def build_classifier(spec, checkpoint=None, model_kwargs=None, num_classes=None):
    """``timm:<name>`` or ``torchvision:<name>`` with the weights of ``checkpoint`` (a
    plain / ``state_dict`` / ``model`` dict, ``module.`` prefixes allowed) -> eval-mode
    :class:`CamClassifier`. Without ``num_classes`` the checkpoint's classifier tells it."""
    family, _, name = spec.partition(':')
    if family not in ('timm', 'torchvision') or not name:
        raise ConfigError(f'--classifier {spec}: write timm:<model> or torchvision:<model>')
    state = None
    if checkpoint is not None:
        from ..weights.backbone import load_weights_file
        state = _state_dict(load_weights_file(checkpoint), checkpoint)
        num_classes = num_classes or _num_classes(state, checkpoint)
    if num_classes is None:
        raise ConfigError('a classifier without a checkpoint needs num_classes')
    kwargs = dict(model_kwargs or {})
    try:
        if family == 'timm':
            import timm
            model = timm.create_model(name, num_classes=num_classes, **kwargs)
        else:
            import torchvision
            model = torchvision.models.get_model(name, num_classes=num_classes, **kwargs)
    except (RuntimeError, ValueError, KeyError, TypeError) as e:
        raise ConfigError(f'--classifier {spec}: cannot build it ({e})') from None
    if state is not None:
        own = model.state_dict()
        bad = [k for k in own if k not in state or state[k].shape != own[k].shape]
        if bad:
            raise CheckpointError(
                f"{checkpoint}: tensor '{bad[0]}' missing or of another shape for {spec} "
                f'({len(bad)} of {len(own)}); another model or --model-kwargs?')
        model.load_state_dict({k: state[k] for k in own})
    body, fc = _split(model, family)
    return CamClassifier(body, fc).eval()
