"""BN statistics re-estimated before fine-tuning after a GN checkpoint: the running mean /
variance equal the average of the per-batch statistics of the features, by hand; nothing
else changes; resumed runs are skipped; two processes average their estimates."""

import os
import types

import pytest
import torch
from mmengine.model import BaseModel
from torch import nn

from dpt.engine import DptRunner, ReestimateBNStatsHook
from dpt.engine.bn_statistics import frozen_norm_layers


class Tiny(BaseModel):
    """conv -> BN (frozen in training, as norm_eval) -> ReLU -> conv -> BN (trainable)."""

    def __init__(self, norm='bn'):
        super().__init__()
        self.backbone = nn.Sequential()
        self.backbone.add_module('conv1', nn.Conv2d(3, 4, 3, bias=False))
        self.backbone.add_module(
            'bn1' if norm == 'bn' else 'gn1',
            nn.BatchNorm2d(4) if norm == 'bn' else nn.GroupNorm(2, 4),
        )
        self.backbone.add_module('relu', nn.ReLU())
        self.backbone.add_module('conv2', nn.Conv2d(4, 4, 3))
        self.backbone.add_module('bn2', nn.BatchNorm2d(4))

    def train(self, mode=True):
        super().train(mode)
        if mode and hasattr(self.backbone, 'bn1'):
            self.backbone.bn1.eval()  # norm_eval
        return self

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.backbone(inputs)


def batches(seed, n=3, size=4):
    gen = torch.Generator().manual_seed(seed)
    return [dict(inputs=torch.randn(size, 3, 9, 11, generator=gen) * 3 + 1) for _ in range(n)]


def by_hand(conv, data):
    """Average over batches of the per-batch channel mean and unbiased variance of conv(x)."""
    means, variances = [], []
    with torch.no_grad():
        for d in data:
            f = conv(d['inputs']).transpose(0, 1).reshape(conv.out_channels, -1)
            means.append(f.mean(1))
            variances.append(f.var(1, unbiased=True))
    return torch.stack(means).mean(0), torch.stack(variances).mean(0)


def snapshot(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_frozen_norm_layers_follows_norm_eval_and_frozen_stages():
    from mmdet.models.backbones import ResNet

    model = Tiny()
    model.eval()
    assert frozen_norm_layers(model) == ['backbone.bn1']
    assert not model.training  # the mode is restored
    r18 = ResNet(depth=18, frozen_stages=1, norm_eval=False)
    frozen = frozen_norm_layers(r18)
    assert 'bn1' in frozen and 'layer1.0.bn1' in frozen and 'layer2.0.bn1' not in frozen
    assert len(frozen_norm_layers(ResNet(depth=18, norm_eval=True))) == sum(
        isinstance(m, nn.BatchNorm2d) for m in r18.modules()
    )


def test_gn_checkpoint_then_pass_gives_the_feature_statistics(tmp_path):
    torch.manual_seed(0)
    gn = Tiny(norm='gn')
    with torch.no_grad():
        gn.backbone.gn1.weight.uniform_(0.5, 2)
    path = tmp_path / 'gn.pth'
    torch.save({'state_dict': gn.state_dict()}, path)

    model = Tiny(norm='bn')
    with torch.no_grad():
        model.backbone.bn2.running_mean.fill_(0.3)
    runner = DptRunner(model=model, work_dir=str(tmp_path / 'work'))
    runner.load_checkpoint(str(path))
    hook = next(h for h in runner.hooks if isinstance(h, ReestimateBNStatsHook))
    assert hook.layers == ['backbone.bn1']
    assert torch.all(model.backbone.bn1.running_mean == 0)  # what loading left: 0 / 1
    assert torch.all(model.backbone.bn1.running_var == 1)

    data = batches(1)
    before = snapshot(model)
    model.train()
    fake_runner = types.SimpleNamespace(
        model=model, iter=0, train_dataloader=data, logger=runner.logger
    )
    hook.num_batches = 2
    hook.before_train(fake_runner)

    mean, var = by_hand(model.backbone.conv1, data[:2])
    bn1 = model.backbone.bn1
    torch.testing.assert_close(bn1.running_mean, mean, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(bn1.running_var, var, rtol=1e-5, atol=1e-5)
    changed = {k for k, v in model.state_dict().items() if not torch.equal(before[k], v)}
    assert changed == {
        'backbone.bn1.running_mean',
        'backbone.bn1.running_var',
        'backbone.bn1.num_batches_tracked',
    }  # weights and bn2 untouched
    assert model.training and not bn1.training and model.backbone.bn2.training
    assert bn1.momentum == 0.1


def test_resumed_run_is_skipped():
    model = Tiny()
    hook = ReestimateBNStatsHook(num_batches=2, layers=['backbone.bn1'])
    before = snapshot(model)
    runner = types.SimpleNamespace(
        model=model,
        iter=5,
        train_dataloader=batches(0),
        logger=types.SimpleNamespace(info=lambda *_: None),
    )
    hook.before_train(runner)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_num_batches_must_be_positive():
    with pytest.raises(ValueError, match='num_batches'):
        ReestimateBNStatsHook(num_batches=0)


WORKER = """
import importlib.util, os, sys
import torch
import torch.distributed as dist
from mmengine.model import BaseModel
from torch import nn
# the module alone (not the whole dpt package): a fast start for each process
spec = importlib.util.spec_from_file_location('bn_statistics', {module!r})
bn_statistics = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bn_statistics)


class Net(BaseModel):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(4)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.bn1(self.conv1(inputs))


rank = int(os.environ['RANK'])
dist.init_process_group('gloo')
model = Net()
model.conv1.load_state_dict(torch.load(os.path.join({out!r}, 'conv1.pth')))
data = torch.load(os.path.join({out!r}, f'data{{rank}}.pth'))
bn_statistics.reestimate_bn_stats(model, ['bn1'], data, 2)
torch.save(model.bn1.state_dict(), os.path.join({out!r}, f'{{rank}}.pth'))
dist.destroy_process_group()
"""


def test_two_processes_average_their_estimates(tmp_path):
    import socket
    import subprocess
    import sys

    from dpt.engine import bn_statistics

    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    conv = Tiny().backbone.conv1
    torch.save(conv.state_dict(), tmp_path / 'conv1.pth')
    data = [batches(10 + r) for r in range(2)]  # each process its own batches
    for r in range(2):
        torch.save(data[r], tmp_path / f'data{r}.pth')
    script = tmp_path / 'worker.py'
    script.write_text(WORKER.format(module=bn_statistics.__file__, out=str(tmp_path)))
    env = dict(
        os.environ,
        MASTER_ADDR='127.0.0.1',
        MASTER_PORT=str(port),
        WORLD_SIZE='2',
        OMP_NUM_THREADS='1',
    )
    procs = [
        subprocess.Popen([sys.executable, str(script)], env=dict(env, RANK=str(r)))
        for r in range(2)
    ]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    stats = [by_hand(conv, data[r][:2]) for r in range(2)]
    for r in range(2):
        got = torch.load(tmp_path / f'{r}.pth')
        torch.testing.assert_close(
            got['running_mean'], (stats[0][0] + stats[1][0]) / 2, rtol=1e-5, atol=1e-5
        )
        torch.testing.assert_close(
            got['running_var'], (stats[0][1] + stats[1][1]) / 2, rtol=1e-5, atol=1e-5
        )
