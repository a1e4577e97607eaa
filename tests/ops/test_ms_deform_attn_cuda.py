"""dpt's CUDA kernel: against the float64 PyTorch path, mmcv's CUDA kernel, gradcheck, half
precision, and a detector step. Skipped without a GPU; skipped without a CUDA toolkit, which
the kernel is compiled with on first use (docs/ops.md)."""

import importlib
import os

import pytest
import torch

from dpt.ops import MSDeformAttnFunction, ms_deform_attn, ms_deform_attn_pytorch

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = os.path.join(ROOT, 'configs', 'detreg', 'deformable-detr_tiny_dpt-op_demo.py')
# (levels, queries, heads, channels): 16-byte lanes in groups of 8; D = 5, scalar lanes;
# D = 256, groups of 32 lanes looping over 2 chunks; 1-pixel-wide maps
CASES = [
    ([(7, 9), (3, 5)], 50, 4, 32),
    ([(11, 13), (6, 7), (3, 4), (1, 1)], 30, 3, 5),
    ([(25, 42), (13, 21)], 60, 2, 256),
    ([(5, 1), (1, 3)], 10, 2, 8),
]


@pytest.fixture(scope='module')
def extension():
    msda = importlib.import_module('dpt.ops.ms_deform_attn')
    try:
        return msda.load_extension()
    except RuntimeError as e:
        if 'no CUDA toolkit' in str(e):
            pytest.skip(str(e))
        raise


def kernel(value, shapes, starts, loc, weights):
    return MSDeformAttnFunction.apply(value, shapes, starts, loc, weights)


def cuda(tensors):
    return [t.cuda() for t in tensors]


@pytest.mark.parametrize('levels,queries,heads,channels', CASES)
def test_kernel_matches_pytorch_path_float64(
    extension, msda_inputs, msda_grads, levels, queries, heads, channels
):
    inputs = msda_inputs(levels, queries, heads, channels, points=4)
    ours = msda_grads(kernel, *cuda(inputs))
    ref = msda_grads(ms_deform_attn_pytorch, *inputs)
    for name, a, b in zip(('output', 'grad value', 'grad loc', 'grad weights'), ours, ref):
        assert a.is_cuda and a.dtype == torch.float64, name
        torch.testing.assert_close(a.cpu(), b, rtol=1e-9, atol=1e-10, msg=name)


@pytest.mark.parametrize('levels,queries,heads,channels', CASES)
def test_kernel_matches_mmcv_cuda_float32(
    extension, msda_inputs, msda_grads, levels, queries, heads, channels
):
    from mmcv.ops.multi_scale_deform_attn import MultiScaleDeformableAttnFunction

    inputs = cuda(msda_inputs(levels, queries, heads, channels, points=4, dtype=torch.float32))
    try:
        ref = msda_grads(
            lambda v, s, i, loc, w: MultiScaleDeformableAttnFunction.apply(v, s, i, loc, w, 64),
            *inputs,
        )
    except (AttributeError, RuntimeError) as e:  # mmcv built without its CUDA ops
        pytest.skip(f"mmcv's CUDA kernel unavailable: {e}")
    ours = msda_grads(kernel, *inputs)
    for name, a, b in zip(('output', 'grad value', 'grad loc', 'grad weights'), ours, ref):
        # atomics add in a different order: float32 rounding, relative to the magnitude
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5 * b.abs().max().item(), msg=name)


def test_gradcheck_cuda_float64(extension, msda_inputs):
    value, shapes, starts, loc, weights = cuda(
        msda_inputs([(3, 4), (2, 1)], 3, heads=2, channels=4)
    )
    for t in (value, loc, weights):
        t.requires_grad_()
    assert torch.autograd.gradcheck(
        lambda v, loc_, w: kernel(v, shapes, starts, loc_, w), (value, loc, weights)
    )


@pytest.mark.parametrize('dtype,tol', [(torch.float16, 2e-3), (torch.bfloat16, 2e-2)])
def test_half_precision_values(extension, msda_inputs, msda_grads, dtype, tol):
    value, shapes, starts, loc, weights = cuda(
        msda_inputs([(9, 11), (5, 6)], 40, heads=4, channels=32, dtype=torch.float32)
    )
    ref = msda_grads(kernel, value.to(dtype).float(), shapes, starts, loc, weights)
    ours = msda_grads(kernel, value.to(dtype), shapes, starts, loc, weights)  # AMP's mix
    assert ours[0].dtype == ours[1].dtype == dtype and ours[2].dtype == torch.float32
    for a, b in zip(ours, ref):
        scale = b.abs().max().item()
        torch.testing.assert_close(a.float(), b, rtol=tol, atol=tol * scale)


def test_cuda_tensors_dispatch_to_the_kernel(extension, msda_inputs):
    inputs = cuda(msda_inputs([(4, 5)], 3, dtype=torch.float32))
    inputs[0].requires_grad_()
    assert type(ms_deform_attn(*inputs).grad_fn).__name__ == 'MSDeformAttnFunctionBackward'


def test_kernel_refuses_inconsistent_levels(extension, msda_inputs, bad_levels):
    """The binding's TORCH_CHECKs give the PyTorch path's message (tests/ops/test_ms_deform_attn.py
    checks that side on CPU) instead of reading out of bounds, forward and backward."""
    shapes, starts, message = bad_levels
    value, _, _, loc, weights = cuda(msda_inputs([(5, 6), (3, 3)], 4, dtype=torch.float32))
    shapes, starts = torch.tensor(shapes).cuda(), torch.tensor(starts).cuda()
    with pytest.raises(RuntimeError, match=message):
        extension.forward(value, shapes, starts, loc, weights)
    grad = torch.zeros(value.shape[0], loc.shape[1], value.shape[2] * value.shape[3], device='cuda')
    with pytest.raises(RuntimeError, match=message):
        extension.backward(value, shapes, starts, loc, weights, grad)


def test_detector_train_step_on_cuda(extension):
    from mmdet.registry import MODELS
    from mmdet.testing import demo_mm_inputs
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper

    cfg = Config.fromfile(CONFIG)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).cuda()
    model.init_weights()
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    data = demo_mm_inputs(
        batch_size=2,
        image_shapes=[(3, 128, 160), (3, 160, 128)],
        num_items=[3, 2],
        num_classes=6,
        device='cuda',
    )
    log_vars = model.train_step(data, optim_wrapper)
    assert all(torch.isfinite(torch.as_tensor(v)).all() for v in log_vars.values()), log_vars
