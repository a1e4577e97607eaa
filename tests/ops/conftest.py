"""Inputs for the deformable-attention tests (CPU and CUDA)."""

import pytest
import torch

# levels that do not tile value's positions, and the message the PyTorch path and the CUDA
# binding (which would otherwise read out of bounds) both give; value has 5 x 6 + 3 x 3 = 39
BAD_LEVELS = {
    'too-few-positions': (
        [[5, 6], [3, 2]],
        [0, 30],
        'value has 39 positions but spatial_shapes give 36',
    ),
    'too-many-positions': (
        [[5, 6], [4, 3]],
        [0, 30],
        'value has 39 positions but spatial_shapes give 42',
    ),
    'wrong-start': (
        [[5, 6], [3, 3]],
        [0, 29],
        r'level_start_index\[1\] is 29 but spatial_shapes put level 1 at 30',
    ),
    'shifted-starts': (
        [[5, 6], [3, 3]],
        [1, 31],
        r'level_start_index\[0\] is 1 but spatial_shapes put level 0 at 0',
    ),
    'empty-level': (
        [[5, 6], [0, 9]],
        [0, 30],
        'spatial_shapes level 1 is 0 x 9; every level needs H, W > 0',
    ),
    'negative-level': ([[13, 3], [-3, -3]], [0, 39], 'spatial_shapes level 1 is -3 x -3'),
}


def pytest_generate_tests(metafunc):
    if 'bad_levels' in metafunc.fixturenames:
        metafunc.parametrize('bad_levels', list(BAD_LEVELS.values()), ids=list(BAD_LEVELS))


def make_inputs(
    levels,
    queries,
    heads=3,
    channels=5,
    points=2,
    batch=2,
    dtype=torch.float64,
    spread=(-0.3, 1.3),
    seed=0,
):
    """value, spatial_shapes, level_start_index, sampling_locations, attention_weights;
    locations uniform over ``spread`` (beyond [0, 1]: points outside the maps)."""
    g = torch.Generator().manual_seed(seed)
    shapes = torch.tensor(levels, dtype=torch.int64)
    sizes = shapes[:, 0] * shapes[:, 1]
    starts = torch.cat([sizes.new_zeros(1), sizes.cumsum(0)[:-1]])
    L = len(levels)
    value = torch.randn(batch, int(sizes.sum()), heads, channels, generator=g, dtype=dtype)
    lo, hi = spread
    loc = torch.rand(batch, queries, heads, L, points, 2, generator=g, dtype=dtype) * (hi - lo) + lo
    weights = torch.rand(batch, queries, heads, L, points, generator=g, dtype=dtype)
    return value, shapes, starts, loc, weights


def forward_backward(fn, value, shapes, starts, loc, weights, seed=1):
    """fn's output and its gradients w.r.t. value, locations, weights for a random grad."""
    value, loc, weights = (t.detach().clone().requires_grad_() for t in (value, loc, weights))
    out = fn(value, shapes, starts, loc, weights)
    grad = torch.randn(
        out.shape, generator=torch.Generator().manual_seed(seed), dtype=out.dtype
    ).to(out.device)
    return (out, *torch.autograd.grad(out, (value, loc, weights), grad))


@pytest.fixture
def msda_inputs():
    return make_inputs


@pytest.fixture
def msda_grads():
    return forward_backward
