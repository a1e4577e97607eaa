"""DptRunner.load_checkpoint loads what its summary says: every container ('state_dict',
'model', bare, 'module.' prefixes), BN <-> GN conversion, partial fits, refusals."""

import re

import pytest
import torch
from mmengine.model import BaseModel
from torch import nn

from dpt.engine import DptRunner, ReestimateBNStatsHook
from dpt.utils.errors import CheckpointError


class Toy(BaseModel):
    """conv -> norm -> fc; ``norm='gn'`` for a GN twin; ``norm_eval`` keeps BN frozen."""

    def __init__(self, norm='bn', classes=5, norm_eval=False):
        super().__init__()
        self.norm_eval = norm_eval
        self.backbone = nn.Sequential()
        self.backbone.add_module('conv', nn.Conv2d(3, 8, 3, bias=False))
        self.backbone.add_module(
            'bn1' if norm == 'bn' else 'gn1',
            nn.BatchNorm2d(8) if norm == 'bn' else nn.GroupNorm(2, 8),
        )
        self.head = nn.Linear(8, classes)

    def train(self, mode=True):
        super().train(mode)
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()
        return self

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.head(self.backbone(inputs).mean((2, 3)))


def randomised(model, seed):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for t in model.state_dict().values():
            if t.dtype.is_floating_point:
                t.copy_(torch.randn(t.shape, generator=gen).abs() + 0.1)
            else:  # num_batches_tracked
                t.fill_(seed)
    return model


def make_runner(model, tmp_path):
    runner = DptRunner(model=model, work_dir=str(tmp_path / 'work'))
    messages = []
    runner.logger.info = messages.append
    return runner, messages


def summary_loaded(messages):
    text = next(m for m in messages if '->' in m and 'loaded' in m)
    return int(re.search(r'loaded (\d+) of', text).group(1)), text


def equal_to_checkpoint(model, state):
    own = model.state_dict()
    return [
        k
        for k, v in state.items()
        if k in own and own[k].shape == v.shape and torch.equal(own[k], v)
    ]


def containers(sd):
    prefixed = {f'module.{k}': v for k, v in sd.items()}
    return {
        'state_dict': {'state_dict': sd, 'meta': {'epoch': 3}},
        'model': {'model': sd, 'epoch': 3},  # DETReg / detectron2 / many SSL repos
        'bare': dict(sd),
        'state_dict+module.': {'state_dict': prefixed},
        'model+module.': {'model': prefixed},
    }


@pytest.mark.parametrize('layout', list(containers({})))
def test_every_container_loads_all_tensors(layout, tmp_path):
    source = randomised(Toy(), 1).state_dict()
    path = tmp_path / 'ckpt.pth'
    torch.save(containers(source)[layout], path)
    model = randomised(Toy(), 2)
    assert not equal_to_checkpoint(model, source)
    runner, messages = make_runner(model, tmp_path)
    runner.load_checkpoint(str(path))
    equal = equal_to_checkpoint(model, source)
    assert sorted(equal) == sorted(source)  # the model holds the checkpoint
    n, text = summary_loaded(messages)
    assert n == len(equal) == len(model.state_dict())  # and the summary says so
    assert "of the model's 8 tensors" in text


def test_partial_fit_summary_counts_what_the_model_took(tmp_path):
    source = randomised(Toy(classes=9), 1).state_dict()  # head of another class count
    source['extra.weight'] = torch.ones(3)
    path = tmp_path / 'ckpt.pth'
    torch.save({'model': source}, path)
    model = randomised(Toy(classes=5), 2)
    head_before = model.head.weight.detach().clone()
    runner, messages = make_runner(model, tmp_path)
    runner.load_checkpoint(str(path))
    n, text = summary_loaded(messages)
    assert n == len(equal_to_checkpoint(model, source)) == 6  # conv, BN affine and buffers
    assert torch.equal(model.head.weight, head_before)  # mismatch: kept its own
    assert '2 shape mismatches' in text and '1 unused from the checkpoint' in text


def test_gn_checkpoint_into_bn_model(tmp_path):
    gn = randomised(Toy(norm='gn'), 1).state_dict()
    path = tmp_path / 'gn.pth'
    torch.save({'model': gn}, path)
    model = randomised(Toy(norm='bn', norm_eval=True), 2)
    runner, messages = make_runner(model, tmp_path)
    runner.load_checkpoint(str(path))
    renamed = {k.replace('gn1', 'bn1'): v for k, v in gn.items()}
    equal = equal_to_checkpoint(model, renamed)
    assert sorted(equal) == sorted(renamed)  # affine parameters and the rest
    n, text = summary_loaded(messages)
    assert n == len(equal) == 5
    assert '3 missing' in text  # BN statistics: not in a GN checkpoint
    assert 'converted 1 norm layers: GN -> BN' in text
    # the layer is frozen in training: its statistics are re-estimated before training
    hooks = [h for h in runner.hooks if isinstance(h, ReestimateBNStatsHook)]
    assert len(hooks) == 1 and hooks[0].layers == ['backbone.bn1']
    assert any('re-estimated over 200 training batches' in m for m in messages)


def test_gn_checkpoint_into_trainable_bn_needs_no_pass(tmp_path):
    path = tmp_path / 'gn.pth'
    torch.save({'state_dict': randomised(Toy(norm='gn'), 1).state_dict()}, path)
    runner, _ = make_runner(Toy(norm='bn', norm_eval=False), tmp_path)
    runner.load_checkpoint(str(path))
    assert not any(isinstance(h, ReestimateBNStatsHook) for h in runner.hooks)


def test_bn_checkpoint_into_gn_model(tmp_path):
    bn = randomised(Toy(norm='bn'), 1).state_dict()
    path = tmp_path / 'bn.pth'
    torch.save(bn, path)
    model = randomised(Toy(norm='gn'), 2)
    runner, messages = make_runner(model, tmp_path)
    runner.load_checkpoint(str(path))
    renamed = {
        k.replace('bn1', 'gn1'): v
        for k, v in bn.items()
        if 'running' not in k and 'num_batches' not in k
    }
    assert sorted(equal_to_checkpoint(model, renamed)) == sorted(renamed)
    n, text = summary_loaded(messages)
    assert n == len(renamed) == 5 and 'BN -> GN' in text


def test_checkpoint_of_another_model_is_refused_untouched(tmp_path):
    path = tmp_path / 'other.pth'
    torch.save({'model': {'fc.weight': torch.ones(2, 2)}}, path)
    model = randomised(Toy(), 2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    runner, _ = make_runner(model, tmp_path)
    with pytest.raises(CheckpointError, match='does not fit Toy'):
        runner.load_checkpoint(str(path))
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_strict_refuses_missing_keys(tmp_path):
    sd = randomised(Toy(), 1).state_dict()
    sd.pop('head.bias')
    path = tmp_path / 'ckpt.pth'
    torch.save(sd, path)
    runner, _ = make_runner(Toy(), tmp_path)
    with pytest.raises(CheckpointError, match='1 missing'):
        runner.load_checkpoint(str(path), strict=True)
