"""Inputs for the deformable-attention tests (CPU and CUDA)."""
import pytest
import torch


def make_inputs(levels, queries, heads=3, channels=5, points=2, batch=2, dtype=torch.float64,
                spread=(-0.3, 1.3), seed=0):
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
    grad = torch.randn(out.shape, generator=torch.Generator().manual_seed(seed),
                       dtype=out.dtype).to(out.device)
    return (out, *torch.autograd.grad(out, (value, loc, weights), grad))


@pytest.fixture
def msda_inputs():
    return make_inputs


@pytest.fixture
def msda_grads():
    return forward_backward
