"""dpt.ops.ms_deform_attn on CPU: the PyTorch path against mmcv's reference, gradcheck,
points outside the maps, bad shapes, and what happens without the CUDA extension."""

import importlib

import pytest
import torch
from mmcv.ops.multi_scale_deform_attn import multi_scale_deformable_attn_pytorch as mmcv_ref

from dpt.ops import ms_deform_attn, ms_deform_attn_pytorch
from dpt.ops.ms_deform_attn_pytorch import check_levels

# the module, not the function of the same name that dpt.ops exports
msda_module = importlib.import_module('dpt.ops.ms_deform_attn')


def mmcv(value, shapes, starts, loc, weights):
    return mmcv_ref(value, shapes, loc, weights)


# odd sizes, 1-pixel-wide maps, 2-4 levels; few queries (scatter backward) and one per
# position (sorted backward): both strategies of the value gradient are exercised
@pytest.mark.parametrize(
    'levels,queries',
    [
        ([(7, 9), (3, 5)], 4),
        ([(7, 9), (3, 5)], 80),
        ([(5, 1), (1, 3), (2, 2)], 30),
        ([(11, 13), (6, 7), (3, 4), (1, 1)], 7),
        ([(11, 13), (6, 7), (3, 4), (1, 1)], 200),
    ],
)
def test_pytorch_path_matches_mmcv_float64(msda_inputs, msda_grads, levels, queries):
    inputs = msda_inputs(levels, queries)
    ours = msda_grads(ms_deform_attn_pytorch, *inputs)
    ref = msda_grads(mmcv, *inputs)
    for name, a, b in zip(('output', 'grad value', 'grad locations', 'grad weights'), ours, ref):
        assert a.dtype == torch.float64
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12, msg=name)


def test_pytorch_path_matches_mmcv_float32_at_pixel_centres(msda_inputs, msda_grads):
    # the encoder's reference points are pixel centres: integer pixel coordinates, where
    # the bilinear weights have kinks; grid_sample's one-sided derivative is kept
    inputs = list(msda_inputs([(6, 8), (3, 4)], 48, dtype=torch.float32))
    h, w = 6, 8
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing='ij')
    centres = torch.stack([(xs + 0.5) / w, (ys + 0.5) / h], -1).view(1, h * w, 1, 1, 1, 2)
    inputs[3] = centres.expand_as(inputs[3]).clone()
    ours = msda_grads(ms_deform_attn_pytorch, *inputs)
    ref = msda_grads(mmcv, *inputs)
    for a, b in zip(ours, ref):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_gradcheck(msda_inputs):
    value, shapes, starts, loc, weights = msda_inputs([(3, 4), (2, 1)], 3, heads=2, channels=3)
    for t in (value, loc, weights):
        t.requires_grad_()
    assert torch.autograd.gradcheck(
        lambda v, loc_, w: ms_deform_attn_pytorch(v, shapes, starts, loc_, w), (value, loc, weights)
    )


def test_points_far_outside_read_zero(msda_inputs, msda_grads):
    value, shapes, starts, loc, weights = msda_inputs([(4, 5), (2, 3)], 6)
    loc = loc + torch.tensor([3.0, -5.0], dtype=loc.dtype)  # all outside
    loc[0, 0, 0, 0, 0] = torch.tensor([float('nan'), float('inf')])
    out, g_value, g_loc, g_weights = msda_grads(
        ms_deform_attn_pytorch, value, shapes, starts, loc, weights
    )
    for t in (out, g_value, g_loc, g_weights):  # as grid_sample: zeros, NaN / inf included
        assert torch.equal(t, torch.zeros_like(t))


def test_cpu_dispatch_uses_pytorch_path(msda_inputs, monkeypatch):
    def no_build():
        raise AssertionError('CPU tensors must not build the CUDA extension')

    monkeypatch.setattr(msda_module, 'load_extension', no_build)
    monkeypatch.setattr(msda_module, '_extension', None)
    inputs = msda_inputs([(5, 6), (3, 3)], 9, dtype=torch.float32)
    assert torch.equal(ms_deform_attn(*inputs), ms_deform_attn_pytorch(*inputs))


def test_inconsistent_levels_are_refused(msda_inputs, bad_levels):
    """Levels that do not tile value's positions (conftest.py BAD_LEVELS) are refused with a
    message that names the first inconsistency; the CUDA binding gives the same."""
    shapes, starts, message = bad_levels
    value, _, _, loc, weights = msda_inputs([(5, 6), (3, 3)], 4)
    shapes, starts = torch.tensor(shapes), torch.tensor(starts)
    with pytest.raises(ValueError, match=message):
        ms_deform_attn_pytorch(value, shapes, starts, loc, weights)
    with pytest.raises(ValueError, match=message):
        check_levels(value.shape[1], shapes, starts)


def test_level_counts_must_agree(msda_inputs):
    value, shapes, starts, loc, weights = msda_inputs([(5, 6), (3, 3)], 4)
    with pytest.raises(ValueError, match='spatial_shapes has 1 levels, sampling_locations 2'):
        ms_deform_attn_pytorch(value, shapes[:1], starts[:1], loc, weights)
    with pytest.raises(ValueError, match='level_start_index has 1 levels, spatial_shapes 2'):
        ms_deform_attn_pytorch(value, shapes, starts[:1], loc, weights)
    assert check_levels(39, shapes, None) == ([(5, 6), (3, 3)], [0, 30])


def test_without_toolkit_cuda_tensors_take_pytorch_path_and_say_so_once(monkeypatch):
    from torch.utils import cpp_extension

    monkeypatch.setattr(cpp_extension, 'CUDA_HOME', None)
    monkeypatch.setattr(torch.version, 'cuda', '13.0')
    monkeypatch.setattr(msda_module, '_extension', None)
    monkeypatch.setattr(msda_module, '_extension_error', None)
    monkeypatch.setattr(msda_module, '_warned', False)
    with pytest.raises(RuntimeError, match='CUDA extension unavailable: no CUDA toolkit'):
        msda_module.load_extension()
    assert msda_module.extension_status().startswith('unavailable: no CUDA toolkit (nvcc)')
    said = []
    monkeypatch.setattr('mmengine.logging.print_log', lambda msg, **kw: said.append(msg))
    assert msda_module._cuda_extension() is None
    assert msda_module._cuda_extension() is None
    assert len(said) == 1 and '\n' not in said[0] and 'PyTorch path' in said[0], said


def test_extension_dir_is_per_torch_cuda_python(monkeypatch, tmp_path):
    monkeypatch.setenv('DPT_CACHE', str(tmp_path))
    path = msda_module.extension_dir()
    assert path.startswith(str(tmp_path / 'torch_extensions'))
    assert torch.__version__.split('+')[0] in path and '+' not in path
