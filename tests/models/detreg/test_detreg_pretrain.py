"""DETReg: embedding targets of a tiny encoder, one pre-train step, hand-over to fine-tuning."""

import os

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config

import dpt  # noqa: F401
from dpt.models.detreg import RegionEncoder

register_all_modules()
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
TINY = os.path.join(ROOT, 'configs', 'detreg', 'deformable-detr_detreg-pretrain_tiny_demo.py')
ENCODER = dict(
    type='ResNet',
    depth=18,
    num_stages=2,
    out_indices=(1,),
    strides=(1, 2),
    dilations=(1, 1),
    init_cfg=None,
)


def test_region_encoder_loads_a_checkpoint(tmp_path):
    """A torchvision-layout ResNet-18 checkpoint (random, with its classifier) -> 128-d."""
    ref = MODELS.build(
        dict(ENCODER, num_stages=4, out_indices=(3,), strides=(1, 2, 2, 2), dilations=(1, 1, 1, 1))
    )
    state = dict(ref.state_dict(), **{'fc.weight': torch.zeros(10, 512)})
    path = tmp_path / 'r18.pth'
    torch.save(state, path)
    enc = RegionEncoder(ENCODER, checkpoint=str(path))
    enc.init_weights()
    assert torch.equal(enc.backbone.layer2[1].conv2.weight, ref.layer2[1].conv2.weight)
    feats = enc(torch.randint(0, 255, (3, 3, 64, 64), dtype=torch.uint8))
    assert feats.shape == (3, 128) and not feats.requires_grad


def _batch(demo_data_root, model):
    from mmdet.registry import DATASETS

    cfg = Config.fromfile(TINY)
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.data_root = demo_data_root
    ds = DATASETS.build(ds_cfg)
    data = [ds[i] for i in range(2)]
    batch = dict(inputs=[d['inputs'] for d in data], data_samples=[d['data_samples'] for d in data])
    return model.data_preprocessor(batch, training=True)


@pytest.fixture(scope='module')
def tiny_model():
    model = MODELS.build(Config.fromfile(TINY).model)
    model.init_weights()
    return model


def test_one_pretrain_step(demo_data_root, tiny_model):
    model = tiny_model
    model.train()
    batch = _batch(demo_data_root, model)
    frozen = {
        k: v.clone()
        for k, v in model.state_dict().items()
        if k.startswith(('backbone.', 'region_encoder.'))
    }
    head = {k: v.clone() for k, v in model.bbox_head.state_dict().items()}
    optim = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    losses = model.loss(batch['inputs'], batch['data_samples'])
    assert 'loss_embed' in losses and 'd0.loss_cls' in losses
    assert all(torch.isfinite(v).all() for v in losses.values())
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert model.bbox_head.feature_embed.layers[0].weight.grad is not None
    optim.step()
    state = model.state_dict()
    assert all(torch.equal(state[k], v) for k, v in frozen.items())
    changed = [k for k, v in model.bbox_head.state_dict().items() if not torch.equal(v, head[k])]
    assert any('feature_embed' in k for k in changed) and any('cls_branches' in k for k in changed)


def test_weights_hand_over_to_finetuning(tiny_model, tmp_path):
    from dpt.weights import extract_detector

    ckpt = dict(state_dict=tiny_model.state_dict(), meta=dict())
    weights = extract_detector(ckpt, 'detreg.pth', drop=('feature_embed', r'region_encoder\.'))
    assert not any('feature_embed' in k or 'region_encoder' in k for k in weights.state)
    finetune = MODELS.build(
        Config.fromfile(
            os.path.join(ROOT, 'configs', 'baselines', 'deformable-detr_tiny_demo.py')
        ).model
    )
    result = finetune.load_state_dict(weights.state, strict=False)
    missing = [
        k
        for k in result.missing_keys
        if k.startswith(('backbone.', 'neck.', 'encoder.', 'decoder.'))
    ]
    assert not missing and not result.unexpected_keys
