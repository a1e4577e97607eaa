"""dpt's deformable-attention module against mmcv's, and DeformableDETRWithOp from its config."""

import os

import pytest
import torch
from mmcv.ops import MultiScaleDeformableAttention as MMCVAttention

from dpt.models import DeformableDETRWithOp
from dpt.ops import DptMSDeformAttn, use_dpt_ms_deform_attn
from dpt.utils.errors import ConfigError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = os.path.join(ROOT, 'configs', 'detreg', 'deformable-detr_tiny_dpt-op_demo.py')
LEVELS = [(6, 7), (3, 4), (2, 2)]


def attention_inputs(batch_first, box_refs, N=2, num_query=5, C=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    shapes = torch.tensor(LEVELS)
    sizes = shapes.prod(1)
    starts = torch.cat([sizes.new_zeros(1), sizes.cumsum(0)[:-1]])
    S = int(sizes.sum())

    def seq(n):  # (n, N, C), or (N, n, C) with batch_first
        t = torch.randn(N, n, C, generator=g, dtype=torch.float64)
        return t if batch_first else t.transpose(0, 1)

    refs = torch.rand(
        N, num_query, len(LEVELS), 4 if box_refs else 2, generator=g, dtype=torch.float64
    )
    mask = torch.zeros(N, S, dtype=torch.bool)
    mask[1, -7:] = True  # padding of the second image
    return dict(
        query=seq(num_query),
        value=seq(S),
        query_pos=seq(num_query),
        key_padding_mask=mask,
        reference_points=refs,
        spatial_shapes=shapes,
        level_start_index=starts,
    )


@pytest.mark.parametrize('batch_first,box_refs', [(False, False), (True, True)])
def test_module_matches_mmcv(batch_first, box_refs):
    torch.manual_seed(0)
    ref = MMCVAttention(
        embed_dims=32, num_heads=4, num_levels=3, num_points=2, dropout=0.0, batch_first=batch_first
    ).double()
    for p in ref.parameters():  # mmcv's init zeroes the attention weights: randomise all
        torch.nn.init.normal_(p, std=0.3)
    ours = DptMSDeformAttn.from_mmcv(ref)
    assert ours.state_dict().keys() == ref.state_dict().keys()
    inputs = attention_inputs(batch_first, box_refs)
    out_ref, out = ref(**inputs), ours(**inputs)
    torch.testing.assert_close(out, out_ref, rtol=1e-10, atol=1e-12)
    grad = torch.randn_like(out)
    out_ref.backward(grad)
    out.backward(grad)
    for (name, p), q in zip(ref.named_parameters(), ours.parameters()):
        torch.testing.assert_close(q.grad, p.grad, rtol=1e-9, atol=1e-11, msg=name)


def test_swap_keeps_weights_and_registration():
    from mmdet.registry import MODELS

    model = torch.nn.ModuleDict(
        dict(
            a=MMCVAttention(embed_dims=16, num_heads=2, value_proj_ratio=0.5),
            b=torch.nn.Sequential(MMCVAttention(embed_dims=16, num_heads=4, batch_first=True)),
        )
    )
    before = {k: v.clone() for k, v in model.state_dict().items()}
    assert use_dpt_ms_deform_attn(model) == 2
    assert type(model['a']) is DptMSDeformAttn and model['b'][0].batch_first
    after = model.state_dict()
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)
    assert use_dpt_ms_deform_attn(model) == 0  # already dpt's
    assert MODELS.get('DptMSDeformAttn') is DptMSDeformAttn


def _tiny_detector(msda_impl='dpt'):
    from mmdet.registry import MODELS
    from mmengine.config import Config

    cfg = Config.fromfile(CONFIG)
    cfg.model.msda_impl = msda_impl
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return cfg, model


def _demo_batch():
    from mmdet.testing import demo_mm_inputs

    torch.manual_seed(0)
    return demo_mm_inputs(
        batch_size=2, image_shapes=[(3, 96, 128), (3, 128, 96)], num_items=[3, 2], num_classes=6
    )


def test_config_selects_dpt_op_and_trains():
    from mmengine.optim import build_optim_wrapper

    cfg, model = _tiny_detector()
    assert isinstance(model, DeformableDETRWithOp) and model.msda_impl == 'dpt'
    attn = [m for m in model.modules() if isinstance(m, MMCVAttention)]
    assert len(attn) == 4 and all(type(m) is DptMSDeformAttn for m in attn)
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    offsets = model.encoder.layers[0].self_attn.sampling_offsets.weight
    before = offsets.detach().clone()  # zeros: mmcv's init
    log_vars = model.train_step(_demo_batch(), optim_wrapper)
    assert all(torch.isfinite(torch.as_tensor(v)).all() for v in log_vars.values()), log_vars
    assert not torch.equal(before, offsets.detach())  # gradients reached the sampling offsets


def test_dpt_and_mmcv_ops_give_the_same_losses():
    _, ours = _tiny_detector('dpt')
    _, ref = _tiny_detector('mmcv')
    assert not any(type(m) is DptMSDeformAttn for m in ref.modules())
    ref.load_state_dict(ours.state_dict())
    data = ours.data_preprocessor(_demo_batch(), True)
    losses = []
    for model in (ours, ref):
        model.train()  # mmdet's DETR heads compute losses in training mode only
        torch.manual_seed(0)  # the same dropout masks: neither op draws random numbers
        losses.append(model.loss(data['inputs'], data['data_samples']))
    assert losses[0].keys() == losses[1].keys()
    for k in losses[1]:
        torch.testing.assert_close(losses[0][k], losses[1][k], rtol=1e-4, atol=1e-5, msg=k)


def test_unknown_msda_impl_is_a_config_error():
    with pytest.raises(ConfigError, match=r"model.msda_impl: 'cuda' is not one of"):
        _tiny_detector('cuda')
