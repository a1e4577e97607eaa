"""DETReg's DETR variant: pre-norm layers, one pre-train step, the hand-over."""

import copy
import os

import torch
from _model_steps import build_model, state_tensors, train_batch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config

import dpt  # noqa: F401
from dpt.models.detr import PreNormDetrTransformerEncoder, PreNormDetrTransformerEncoderLayer

register_all_modules()
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PRETRAIN = os.path.join(ROOT, 'configs', 'detreg', 'detr_detreg-pretrain_tiny_demo.py')
FINETUNE = os.path.join(ROOT, 'configs', 'detreg', 'detr_detreg-finetune_tiny_demo.py')
LAYER = dict(
    self_attn_cfg=dict(embed_dims=8, num_heads=2, dropout=0.0),
    ffn_cfg=dict(embed_dims=8, feedforward_channels=16, ffn_drop=0.0),
)


def test_pre_norm_layer_is_x_plus_f_of_norm_x():
    torch.manual_seed(0)
    layer = PreNormDetrTransformerEncoderLayer(**LAYER).eval()
    x, pos = torch.randn(2, 5, 8), torch.randn(2, 5, 8)
    with torch.no_grad():
        out = layer(x, pos, key_padding_mask=None)
        n = layer.norms[0](x)
        attn = layer.self_attn.attn
        q = n + pos
        a = attn(q.transpose(0, 1), q.transpose(0, 1), n.transpose(0, 1))[0].transpose(0, 1)
        h = x + a
        f = layer.ffn.layers(layer.norms[1](h))
        torch.testing.assert_close(out, h + f)
    # post-norm (mmdet's layer, same weights) differs
    from mmdet.models.layers import DetrTransformerEncoderLayer

    post = DetrTransformerEncoderLayer(**LAYER).eval()
    post.load_state_dict(layer.state_dict())
    with torch.no_grad():
        assert not torch.allclose(post(x, pos, key_padding_mask=None), out)
    enc = PreNormDetrTransformerEncoder(num_layers=1, layer_cfg=LAYER)
    assert 'post_norm.weight' in enc.state_dict()


def test_pretrain_step_and_hand_over(demo_data_root):
    from dpt.utils.state_dict import compare_state_dicts
    from dpt.weights.detector import PRESETS, extract_detector

    cfg = Config.fromfile(PRETRAIN)
    cfg.train_dataloader.dataset.data_root = demo_data_root
    model = build_model(copy.deepcopy(cfg))
    model.train()
    batch = model.data_preprocessor(train_batch(cfg), True)
    frozen = {
        k: v.clone()
        for k, v in model.state_dict().items()
        if k.startswith(('backbone.', 'region_encoder.'))
    }
    head = state_tensors(model.bbox_head)
    optim = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    losses = model.loss(batch['inputs'], batch['data_samples'])
    assert 'loss_embed' in losses and 'd0.loss_cls' in losses
    assert all(torch.isfinite(v).all() for v in losses.values())
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    optim.step()
    state = model.state_dict()
    assert all(torch.equal(state[k], v) for k, v in frozen.items())
    changed = {
        k.split('.')[0]
        for k, v in model.bbox_head.state_dict().items()
        if not torch.equal(v, head[k])
    }
    assert {'feature_embed', 'fc_cls', 'fc_reg'} <= changed

    weights = extract_detector({'state_dict': state}, 'detr.pth', **PRESETS['detreg'])
    finetune = MODELS.build(copy.deepcopy(Config.fromfile(FINETUNE).model))
    report = compare_state_dicts(weights.state, finetune.state_dict())
    assert not report.unexpected and not report.shape_mismatch
    assert sorted({k.rsplit('.', 1)[0] for k in report.missing}) == ['bbox_head.fc_cls']
    assert any(k.startswith('bbox_head.fc_reg') for k in report.loaded)
    assert any(k.startswith('encoder.post_norm') for k in report.loaded)
