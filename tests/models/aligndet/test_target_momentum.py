"""The target's EMA: the cosine momentum schedule and the hook's update, by hand."""

import math
from types import SimpleNamespace

import pytest
import torch


def test_cosine_momentum_schedule():
    from dpt.models.aligndet import cosine_momentum

    assert cosine_momentum(0.996, 0, 100) == pytest.approx(0.996)
    assert cosine_momentum(0.996, 50, 100) == pytest.approx(0.998)
    assert cosine_momentum(0.996, 100, 100) == pytest.approx(1.0)
    # m = 1 - (1 - 0.996) * (cos(pi / 4) + 1) / 2 at a quarter of the run
    assert cosine_momentum(0.996, 25, 100) == pytest.approx(1 - 0.002 * (1 + math.sqrt(0.5)))
    steps = [cosine_momentum(0.99, k, 10) for k in range(11)]
    assert steps == sorted(steps)


def test_hook_updates_target_parameters_only(tiny_config):
    from mmdet.registry import MODELS

    from dpt.models.aligndet import TargetMomentumHook

    cfg = tiny_config('retinanet')
    assert cfg.custom_hooks == [dict(type='TargetMomentumHook')]
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    with torch.no_grad():  # an online detector whose trained parts moved from the target
        for p in model.online.parameters():
            p.add_(torch.randn_like(p) * p.requires_grad)
    target = {n: t.clone() for n, t in model.target.state_dict().items()}
    online = {n: p.clone() for n, p in model.online.named_parameters()}
    trained = {n for n, p in model.online.named_parameters() if p.requires_grad}
    assert trained and not any(n.startswith('backbone.') for n in trained)

    runner = SimpleNamespace(model=model, iter=30, max_iters=120)
    TargetMomentumHook().after_train_iter(runner, batch_idx=30)

    m = 1 - (1 - 0.996) * (math.cos(math.pi * 30 / 120) + 1) / 2
    for name, value in model.target.state_dict().items():
        if name in trained:
            expected = m * target[name] + (1 - m) * online[name]
            torch.testing.assert_close(value, expected, rtol=1e-6, atol=1e-7, msg=name)
        else:  # the frozen backbone (equal in both) and buffers stay as they are
            assert torch.equal(value, target[name]), name
