"""An image classifier as DAP needs it: class activation maps (Zhou et al., CVPR 2016), the
linear classifier's row of a class applied to the feature map before global average pooling.

The split is found from the network's STRUCTURE, not from a list of names: one probe forward
pass records, in execution order, what every module returns; the logits come from the last
linear layer (``nn.Linear``, or a 1x1 convolution on a 1x1 map); the feature map is the last
module output with a spatial extent before it whose spatial mean is what the layers after it
receive (directly, or through a ReLU applied functionally, as in DenseNet). The layers
between the pooling and that linear layer (the head) are followed position by position:

- flatten / dropout / identity: nothing;
- linear layers and 1x1 convolutions: applied to each position's features (they commute
  with average pooling);
- LayerNorm (ConvNeXt) and eval-mode BatchNorm: the affine map they apply to the pooled
  features of that image (statistics of the pooled vector);
- element-wise activations (ReLU, Hardswish, GELU, SiLU, ...: MobileNetV3's and other
  pre-logits MLPs): the gain ``a(z) / z`` at the pooled value z of that image.

So the CAM's mean over positions plus the class's bias is the class's logit, for every head
(checked on the probe; a head this cannot follow is refused with one line). For a head that
is one linear layer this is exactly Zhou et al.'s CAM; for a pre-logits MLP it is that MLP
linearised at the image's pooled features (docs/dap.md). Any torchvision classification
model (``torchvision:<name>``) or timm model (``timm:<name>``) with global average pooling
qualifies.
"""

import torch
from torch import nn

from ..utils.errors import CheckpointError, ConfigError
from ..utils.state_dict import load_weights_file, revise_state_dict, unwrap_checkpoint

_SKIP = (nn.Flatten, nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.AlphaDropout, nn.Identity)
_ACTIVATIONS = (
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.Hardswish,
    nn.GELU,
    nn.SiLU,
    nn.Mish,
    nn.Tanh,
    nn.ELU,
    nn.SELU,
    nn.PReLU,
)
_NORMS = (nn.LayerNorm, nn.BatchNorm1d, nn.BatchNorm2d)


class _Stop(Exception):
    pass


def _is_linear(m):
    return isinstance(m, nn.Linear) or (
        isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1) and m.groups == 1
    )


def _weight(m):
    return m.weight if isinstance(m, nn.Linear) else m.weight[:, :, 0, 0]


def _spatial(t):
    return torch.is_tensor(t) and t.dim() == 4 and t.shape[-2] * t.shape[-1] > 1


def _vector(t):
    """(N, C) from (N, C) or (N, C, 1, 1)."""
    return t.flatten(1)


class CamClassifier(nn.Module):
    """``cams(x, labels)`` (N, h, w) maps of a normalised input; ``forward`` the logits."""

    def __init__(self, model, probe_size=64):
        super().__init__()
        self.model = model.eval()
        self._analyse(probe_size)

    # ------------------------------------------------------------------ structure
    def _trace(self, x, names=None):
        """([(module name, module, input, output)] in execution order, the output, {module
        name: entry order}) of every module (or of ``names`` and the final linear layer,
        where the pass stops). Inputs are copied before the module runs (in-place
        activations would overwrite them)."""
        calls, inputs, entered = [], {}, {}
        stop = None if names is None else self.fc_name

        def before(name):
            def record(mod, inp):
                inputs[name] = inp[0].clone() if inp and torch.is_tensor(inp[0]) else None
                entered[name] = len(entered)

            return record

        def after(name):
            def record(mod, inp, out):
                calls.append((name, mod, inputs.pop(name, None), out))
                if name == stop:
                    raise _Stop

            return record

        mods = dict(self.model.named_modules())
        wanted = [n for n in mods if n] if names is None else [*names, self.fc_name]
        handles = []
        for n in dict.fromkeys(wanted):
            handles += [
                mods[n].register_forward_pre_hook(before(n)),
                mods[n].register_forward_hook(after(n)),
            ]
        out = None
        try:
            with torch.no_grad():
                out = self.model(x)
        except _Stop:
            pass
        finally:
            for h in handles:
                h.remove()
        return calls, out, entered

    def _analyse(self, size):
        x = torch.randn(2, 3, size, size)
        try:
            calls, logits, entered = self._trace(x)
        except Exception as e:  # noqa: BLE001 - any model's own complaint, as one line
            raise ConfigError(
                f'the classifier does not run on a {size} px probe image '
                f'({type(e).__name__}: {e}): no class activation maps'
            ) from None
        if not torch.is_tensor(logits) or logits.dim() != 2:
            raise ConfigError(
                f'the classifier returns {type(logits).__name__}, not (N, '
                'classes) logits: no class activation maps'
            )
        last = [
            i
            for i, (_, m, _, o) in enumerate(calls)
            if _is_linear(m)
            and torch.is_tensor(o)
            and o.numel() == logits.numel()
            and torch.allclose(_vector(o), logits)
        ]
        if not last:
            raise ConfigError(
                'the classifier\'s logits do not come from a linear layer: no class activation maps'
            )
        fc_at = last[-1]
        self.fc_name, self.fc = calls[fc_at][0], calls[fc_at][1]
        feat_at, post = None, None
        for i in range(fc_at - 1, -1, -1):
            name, mod, inp, out = calls[i]
            if not _spatial(out) or name.startswith(self.fc_name + '.'):
                continue
            pooled = self._pooled_input(calls, i, fc_at)
            if pooled is None:
                continue
            for fn in (None, torch.relu):
                mean = (out if fn is None else fn(out)).mean((2, 3))
                if pooled.shape == mean.shape and torch.allclose(
                    pooled, mean, atol=1e-5, rtol=1e-4
                ):
                    feat_at, post = i, fn
                    break
            if feat_at is not None:
                break
        if feat_at is None:
            raise ConfigError(
                'no feature map before the classifier whose global average '
                'is what its head receives (another pooling?): no class '
                'activation maps'
            )
        self.feat_name, self.post = calls[feat_at][0], post
        head = []
        for name, mod, inp, out in calls[feat_at + 1 : fc_at]:
            if name.startswith(self.feat_name + '.') or name.startswith(self.fc_name + '.'):
                continue
            if _spatial(inp) and not _spatial(out):
                continue  # the global pooling itself (checked above)
            if list(mod.children()) and not isinstance(mod, _NORMS):
                continue  # a container: its leaves are in the trace (a norm + act module
                # such as timm's BatchNormAct2d normalises itself, its act comes next)
            if isinstance(mod, _SKIP):
                continue
            if not (_is_linear(mod) or isinstance(mod, _ACTIVATIONS + _NORMS)):
                raise ConfigError(
                    f"the classifier's head has {type(mod).__name__} "
                    f"('{name}') after global pooling: no class activation "
                    'maps through it'
                )
            head.append((entered[name], name, mod))
        self.head = [(n, m) for _, n, m in sorted(head, key=lambda h: h[0])]  # entry order
        # the CAM's mean over positions + the bias is the logit, by construction: check
        cams = self._cams_from(calls, feat_at, logits.argmax(1))
        bias = self.fc.bias[logits.argmax(1)] if self.fc.bias is not None else 0
        want = logits[torch.arange(len(x)), logits.argmax(1)]
        if not torch.allclose(cams.mean((1, 2)) + bias, want, rtol=1e-3, atol=1e-3):
            raise ConfigError(
                'the class activation maps of this classifier do not add up '
                'to its logits (a head with functional operations after '
                'pooling?): no class activation maps'
            )

    def _pooled_input(self, calls, feat_at, fc_at):
        """What the first head module after ``feat_at`` receives, as (N, C)."""
        for name, mod, inp, out in calls[feat_at + 1 : fc_at + 1]:
            if name.startswith(calls[feat_at][0] + '.'):
                continue
            if _spatial(inp):
                if _spatial(out):
                    return None  # more convolutions follow: not the last feature map
                return _vector(out) if out.shape[1] == inp.shape[1] else None
            if torch.is_tensor(inp):
                return _vector(inp)
        return None

    # ------------------------------------------------------------------ maps
    def _cams_from(self, calls, feat_at, labels):
        got = {n: (inp, out) for n, _, inp, out in calls}
        f = calls[feat_at][3]
        if self.post is not None:
            f = self.post(f)
        z = f.permute(0, 2, 3, 1)  # (N, h, w, C)
        for name, mod in self.head:
            inp = _vector(got[name][0])  # this image's pooled value at the module
            if _is_linear(mod):
                b = mod.bias if mod.bias is not None else 0
                z = z @ _weight(mod).t() + b
            elif isinstance(mod, nn.LayerNorm):
                mu = inp.mean(1)
                var = inp.var(1, unbiased=False)
                scale = (var + mod.eps).rsqrt()
                z = (z - mu[:, None, None, None]) * scale[:, None, None, None]
                if mod.elementwise_affine:
                    z = z * mod.weight + (mod.bias if mod.bias is not None else 0)
            elif isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d)):
                scale = (mod.running_var + mod.eps).rsqrt() * (mod.weight if mod.affine else 1)
                z = (z - mod.running_mean) * scale + (mod.bias if mod.affine else 0)
            else:  # element-wise activation: its gain at the pooled value
                act = _vector(got[name][1])
                gain = torch.where(
                    inp.abs() > 1e-12,
                    act / inp.where(inp.abs() > 1e-12, torch.ones_like(inp)),
                    torch.zeros_like(inp),
                )
                z = z * gain[:, None, None, :]
        w = _weight(self.fc)[labels]  # (N, C)
        return torch.einsum('nhwc,nc->nhw', z, w)

    @property
    def num_classes(self):
        return _weight(self.fc).shape[0]

    def cams(self, x, labels):
        """(N, h, w) class activation maps of ``labels`` (N,) for a normalised input."""
        calls, _, _ = self._trace(x, [self.feat_name, *(n for n, _ in self.head)])
        feat_at = max(i for i, c in enumerate(calls) if c[0] == self.feat_name)
        return self._cams_from(calls, feat_at, labels)

    def forward(self, x):
        return self.model(x)


def _state_dict(checkpoint, path):
    state = unwrap_checkpoint(checkpoint)[1] if isinstance(checkpoint, dict) else checkpoint
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise CheckpointError(f'{path}: not a state dict of tensors')
    return revise_state_dict(state)  # without 'module.'


def _create(spec, num_classes, kwargs):
    family, _, name = spec.partition(':')
    try:
        if family == 'timm':
            import timm

            return timm.create_model(name, num_classes=num_classes, **kwargs)
        import torchvision

        return torchvision.models.get_model(name, num_classes=num_classes, **kwargs)
    except (RuntimeError, ValueError, KeyError, TypeError) as e:
        raise ConfigError(f'classifier {spec}: cannot build it ({e})') from None


def build_classifier(spec, checkpoint=None, model_kwargs=None, num_classes=None):
    """``timm:<name>`` or ``torchvision:<name>`` with the weights of ``checkpoint`` (a
    plain / ``state_dict`` / ``model`` dict, ``module.`` prefixes allowed) -> eval-mode
    :class:`CamClassifier`. Without ``num_classes`` the checkpoint's final linear layer
    (found by structure) tells it."""
    family, _, name = spec.partition(':')
    if family not in ('timm', 'torchvision') or not name:
        raise ConfigError(f'classifier {spec}: write timm:<model> or torchvision:<model>')
    kwargs = dict(model_kwargs or {})
    state = None
    if checkpoint is not None:
        state = _state_dict(load_weights_file(checkpoint), checkpoint)
    if num_classes is None and state is None:
        raise ConfigError(f'classifier {spec} without a checkpoint: give num_classes')
    model = _create(spec, num_classes or 1000, kwargs)
    clf = CamClassifier(model)
    if num_classes is None:
        key = f'{clf.fc_name}.weight'
        if key not in state or state[key].dim() not in (2, 4):
            raise CheckpointError(
                f"{checkpoint}: no '{key}' (the final linear layer of "
                f'{spec}) to tell the number of classes from; another '
                'model, or pass num_classes'
            )
        if state[key].shape[0] != clf.num_classes:
            model = _create(spec, state[key].shape[0], kwargs)
            clf = None
    if state is not None:
        own = model.state_dict()
        # BatchNorm's step counter is missing from older checkpoints (torchvision's own)
        bad = [
            k
            for k in own
            if (k not in state and not k.endswith('num_batches_tracked'))
            or (k in state and state[k].shape != own[k].shape)
        ]
        if bad:
            raise CheckpointError(
                f"{checkpoint}: tensor '{bad[0]}' missing or of another shape for {spec} "
                f'({len(bad)} of {len(own)}); another model or model kwargs?'
            )
        model.load_state_dict({k: state[k] for k in own if k in state}, strict=False)
        clf = CamClassifier(model)  # re-checked with the loaded weights
    return clf.eval()
