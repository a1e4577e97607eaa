"""Multi-scale deformable attention in plain PyTorch (the CPU path).

Deformable DETR (Zhu et al., ICLR 2021, arXiv 2010.04159, eq. 3) samples each value map at
``L x P`` learnt locations per query and head, bilinearly, and sums the samples with attention
weights. mmcv's reference (``multi_scale_deformable_attn_pytorch``) calls ``grid_sample`` per
level and keeps every sampled value, ``(N*M, D, Lq, L*P)``, for the backward pass: 0.85 GB per
layer at Deformable DETR's encoder shapes (2.3 GB at its peak).

Here each bilinear corner is one ``embedding_bag`` over the rows of ``value`` viewed as
``(N*S*M, D)``: bag ``(n, q, m)`` sums the corner's row for every ``(l, p)``, weighted by
``attention * bilinear weight`` (0 outside the map, as ``grid_sample(padding_mode='zeros',
align_corners=False)``), so no ``D``-wide sample is ever materialised. The backward pass is
written by hand and recomputes the per-point geometry, so only the inputs are kept for it.
Per-point tensors are contiguous ``(B, L, P)``, one per corner or neighbour: elementwise ops
over a trailing size-2 or size-4 dim ran several times slower.
"""

import warnings

import torch
import torch.nn.functional as F
from torch.autograd.function import once_differentiable

# Bags per call of the per-sample-weight gradient; bounds its (entries,) bag index.
_PSW_CHUNK = 1 << 15
# (row, column) neighbour of each bilinear corner
_CORNERS = ((0, 0), (0, 1), (1, 0), (1, 1))


class _MSDeformAttn(torch.autograd.Function):
    """The op with a hand-written backward that recomputes the sampling geometry, so that
    nothing but the inputs is kept for the backward pass."""

    @staticmethod
    def forward(ctx, value, sampling_locations, attention_weights, shapes, starts):
        N, S, M, D = value.shape
        rows = value.reshape(N * S * M, D)
        sampling = _Sampling(sampling_locations, attention_weights, shapes, starts, N, S, M)
        out = None
        for key, (i, j) in zip(sampling.keys, _CORNERS):
            # one bag per (n, q, m) and corner; four calls run as fast as one call on the
            # stacked corners, which would first copy them
            weight = (sampling.wya[i] * sampling.wx[j]).to(value.dtype)
            part = F.embedding_bag(
                key.flatten(1), rows, per_sample_weights=weight.flatten(1), mode='sum'
            )
            out = part if out is None else out.add_(part)
        ctx.save_for_backward(value, sampling_locations, attention_weights)
        ctx.levels = shapes, starts
        return out.view(N, -1, M * D)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out):
        value, loc, attn = ctx.saved_tensors
        N, S, M, D = value.shape
        rows = value.reshape(N * S * M, D)
        s = _Sampling(loc, attn, *ctx.levels, N, S, M)
        grad = grad_out.reshape(-1, D).contiguous()
        grad_value = grad_loc = grad_attn = None
        if ctx.needs_input_grad[0]:
            grad_value = s.transposed_sum(grad, rows.shape[0]).view_as(value)
        if ctx.needs_input_grad[1] or ctx.needs_input_grad[2]:
            # g[c]: d out / d (corner weight) = <grad, value row of corner c>
            g = [_dot_rows(grad, rows, key).to(loc.dtype) for key in s.keys]
            wx0, wx1 = s.wx
            row_sums = (g[0] * wx0 + g[1] * wx1, g[2] * wx0 + g[3] * wx1)  # per wy_i
            if ctx.needs_input_grad[2]:
                grad_attn = (row_sums[0] * s.wy[0] + row_sums[1] * s.wy[1]).view_as(attn)
            if ctx.needs_input_grad[1]:
                a = attn.reshape(s.wy[0].shape)
                # wy0 = 1 - fy, wy1 = fy inside the map; fy = y - floor(y), y = loc_y * H - 0.5
                grad_y = s.d_frac(row_sums, 'y') * a
                grad_x = s.d_frac(
                    (g[0] * s.wya[0] + g[2] * s.wya[1], g[1] * s.wya[0] + g[3] * s.wya[1]), 'x'
                )
                grad_loc = torch.stack([grad_x * s.width, grad_y * s.height], -1).view_as(loc)
        return grad_value, grad_loc, grad_attn, None, None


def _dot_rows(grad, rows, keys):
    """``<grad[b], rows[keys[b, ...]]>`` for every entry of ``keys`` (B, ...)."""
    shape, B = keys.shape, keys.shape[0]
    keys = keys.reshape(B, -1)
    K = keys.shape[1]
    if not grad.is_cuda and grad.dtype in (torch.float32, torch.float64):
        # a sampled dense-dense product (MKL's SDDMM): 2.5x faster than aten's per-sample
        # weight gradient of embedding_bag, which makes one BLAS dot call per entry
        crow = torch.arange(0, B * K + 1, K, dtype=keys.dtype)
        with warnings.catch_warnings():  # "sparse CSR tensor support is in beta state"
            warnings.simplefilter('ignore', UserWarning)
            pattern = torch.sparse_csr_tensor(
                crow,
                keys.view(-1),
                grad.new_zeros(B * K),
                (B, rows.shape[0]),
                check_invariants=False,
            )
            dots = torch.sparse.sampled_addmm(pattern, grad, rows.t(), beta=0.0)
        return dots.values().view(shape)
    out = grad.new_empty(B, K)
    bag = torch.arange(min(B, _PSW_CHUNK), dtype=keys.dtype, device=keys.device)
    bag = bag.repeat_interleave(K)
    for b0 in range(0, B, _PSW_CHUNK):
        n = min(B, b0 + _PSW_CHUNK) - b0
        offsets = torch.arange(0, n * K, K, dtype=keys.dtype, device=keys.device)
        out[b0 : b0 + n] = torch.ops.aten._embedding_bag_per_sample_weights_backward(
            grad[b0 : b0 + n], rows, keys[b0 : b0 + n].reshape(-1), offsets, bag[: n * K], 0, -1
        ).view(n, K)
    return out.view(shape)


class _Sampling:
    """Where every sampling point reads: per axis its two neighbours' bilinear weights (0
    outside the map), and the value rows of its four corners in value viewed as
    ``(N * S * M, D)``; all ``(B, L, P)`` with ``B = N * Lq * M``."""

    def __init__(self, loc, attn, shapes, starts, N, S, M):
        L, P = attn.shape[-2:]
        B = attn.numel() // (L * P)
        dtype, device = loc.dtype, loc.device
        self.N, self.S, self.M, self.shapes, self.starts = N, S, M, shapes, starts
        idt = torch.int32 if N * S * M < 2**31 else torch.int64
        loc = loc.reshape(B, L, P, 2)
        widths, heights = [w for _, w in shapes], [h for h, _ in shapes]
        self.width = _per_level(widths, P, dtype, device)
        self.height = _per_level(heights, P, dtype, device)
        x = _Axis(loc[..., 0] * self.width - 0.5, self.width, _per_level(widths, P, idt, device))
        y = _Axis(loc[..., 1] * self.height - 0.5, self.height, _per_level(heights, P, idt, device))
        self.axes = dict(x=x, y=y)
        self.wx, self.wy = x.weights, y.weights
        a = attn.reshape(B, L, P)
        self.wya = (self.wy[0] * a, self.wy[1] * a)  # the attention weight folded into wy
        self.x0, self.y0 = x.lower, y.lower  # top-left neighbours, clamped to [-1, size - 1]
        # value row (n * S + s) * M + m of each corner
        n, m = _bag_coords(B, N, M, idt, device)
        row = n * (S * M) + m + _per_level([s * M for s in starts], P, idt, device)
        step = _per_level([w * M for w in widths], P, idt, device)
        rows = [row + y_i * step for y_i in y.index]
        cols = [x_j * M for x_j in x.index]
        self.keys = [rows[i] + cols[j] for i, j in _CORNERS]

    def d_frac(self, grad_weights, axis):
        """d / d frac along ``axis``, from the gradients of its two neighbours' weights."""
        inside0, inside1 = self.axes[axis].inside
        return torch.where(inside1, grad_weights[1], 0.0) - torch.where(
            inside0, grad_weights[0], 0.0
        )

    def transposed_sum(self, grad, num_rows):
        """``out[r] = sum of weight * grad[b]`` over the corners ``(b, l, p, i, j)`` that read
        value row ``r`` (weight = attention * bilinear).

        With few entries per value row (the decoder's 300 queries on large maps) scattering
        them is cheapest (``index_put_``, which ran 1.1-1.3x faster than ``index_add_`` here).
        With many (the encoder: one query per pixel) sorting the keys would dominate, so the
        points are sorted once, by their top-left neighbour in maps padded by one pixel, and
        each corner is an embedding bag over that order, shifted by the corner's offset; its
        cost grows with the padded maps, hence the switch (measured break-even: about two
        entries per padded row).
        """
        B, D = grad.shape
        wy, wx = [w.to(grad.dtype) for w in self.wya], [w.to(grad.dtype) for w in self.wx]
        padded_rows = self.N * self.M * sum((h + 2) * (w + 2) for h, w in self.shapes)
        if 4 * self.keys[0].numel() < 2 * padded_rows:
            out = grad.new_zeros(num_rows, D)
            step = max(1, (1 << 22) // (self.keys[0][0].numel() * D))  # ~16 MB of rows
            for key, (i, j) in zip(self.keys, _CORNERS):
                for b0 in range(0, B, step):
                    b1 = b0 + step
                    src = (wy[i][b0:b1] * wx[j][b0:b1]).flatten(1)[:, :, None] * grad[b0:b1, None]
                    out.index_put_(
                        (key[b0:b1].reshape(-1).long(),), src.flatten(0, 1), accumulate=True
                    )
            return out
        base, corner_offsets, segments = self._padded_keys()
        flat = base.reshape(-1)
        order = torch.sort(flat).indices
        counts = torch.bincount(flat, minlength=segments[-1][1])
        offsets = (counts.cumsum(0) - counts).to(flat.dtype)
        bag = (order // (base.shape[1] * base.shape[2])).to(flat.dtype)
        wy = [w.reshape(-1).index_select(0, order) for w in wy]
        wx = [w.reshape(-1).index_select(0, order) for w in wx]
        padded = None
        for (i, j), corner_offset in zip(_CORNERS, corner_offsets):
            summed = F.embedding_bag(
                bag, grad, offsets, mode='sum', per_sample_weights=wy[i] * wx[j]
            )
            if padded is None:  # the top-left corner is the sorted key itself
                padded = summed
                continue
            for (s0, s1), off in zip(segments, corner_offset):
                padded[s0 + off : s1].add_(summed[s0 : s1 - off])
        # crop the one-pixel border away, back to value's (N, S, M, D) row order
        N, M = self.N, self.M
        out = grad.new_empty(N, self.S, M, D)
        for (s0, s1), (h, w), start in zip(segments, self.shapes, self.starts):
            level = padded[s0:s1].view(N, h + 2, w + 2, M, D)[:, 1 : h + 1, 1 : w + 1]
            out[:, start : start + h * w].view(N, h, w, M, D).copy_(level)
        return out.view(-1, D)

    def _padded_keys(self):
        """Keys of the top-left neighbours in maps padded by one pixel on every side, laid
        out level-major, ``(level, n, y + 1, x + 1, head)``, so each level is one segment in
        which a corner is a fixed offset away."""
        N, M = self.N, self.M
        B, L, P = self.x0.shape
        dev, dt = self.x0.device, self.x0.dtype
        segments, level_base, s0 = [], [], 0
        for h, w in self.shapes:
            segments.append((s0, s0 + N * (h + 2) * (w + 2) * M))
            level_base.append(s0)
            s0 = segments[-1][1]
        widths = [w + 2 for _, w in self.shapes]
        heights = _per_level([h + 2 for h, _ in self.shapes], P, dt, dev)
        n, m = _bag_coords(B, N, M, dt, dev)
        base = (
            _per_level(level_base, P, dt, dev)
            + ((n * heights + self.y0 + 1) * _per_level(widths, P, dt, dev) + self.x0 + 1) * M
            + m
        )
        offsets = [[0] * L, [M] * L, [w * M for w in widths], [(w + 1) * M for w in widths]]
        return base, offsets, segments


def _per_level(values, P, dtype, device):
    """A per-level constant as a contiguous (1, L, P) tensor (fast broadcasting over B)."""
    t = torch.tensor(values, dtype=dtype, device=device)
    return t.view(1, -1, 1).expand(1, len(values), P).contiguous()


def _bag_coords(B, N, M, dtype, device):
    """Batch index ``n`` and head ``m`` of every bag ``b = (n * Lq + q) * M + m``, (B, 1, 1)."""
    Lq = B // (N * M)
    n = torch.arange(N, dtype=dtype, device=device).view(N, 1, 1).expand(N, Lq, M)
    m = torch.arange(M, dtype=dtype, device=device).view(1, 1, M).expand(N, Lq, M)
    return n.reshape(B, 1, 1), m.reshape(B, 1, 1)


class _Axis:
    """The two neighbours of each coordinate along one axis.

    ``coord`` is in pixels (``loc * size - 0.5``: grid_sample's ``align_corners=False``). A
    neighbour outside ``[0, size)`` gets weight 0 (grid_sample's zero padding) and its index is
    clamped into the map; the lower neighbour of a point far outside is clamped to [-1, size - 1].
    """

    def __init__(self, coord, size, size_int):
        lower = coord.floor()
        frac = coord - lower
        self.inside = ((lower >= 0) & (lower <= size - 1), (lower >= -1) & (lower <= size - 2))
        # where, not a product with the mask: NaN / inf locations must give 0, as in grid_sample
        self.weights = (
            torch.where(self.inside[0], 1 - frac, 0.0),
            torch.where(self.inside[1], frac, 0.0),
        )
        lower = torch.minimum(lower.nan_to_num(-1.0).clamp(min=-1), size - 1).to(size_int.dtype)
        self.lower = lower
        self.index = (
            torch.minimum(lower.clamp(min=0), size_int - 1),
            torch.minimum((lower + 1).clamp_(min=0), size_int - 1),
        )


def check_levels(num_positions, spatial_shapes, level_start_index=None):
    """The levels' (H, W) and start offsets as lists, after checking that they tile value's
    ``num_positions`` (S) rows in level order; ValueError naming the first inconsistency.
    The same checks and messages as the CUDA binding's (``csrc/ms_deform_attn.cpp``
    ``check_levels``), where a mismatch would otherwise read out of bounds."""
    shapes = [(int(h), int(w)) for h, w in spatial_shapes.tolist()]
    given = None if level_start_index is None else [int(s) for s in level_start_index.tolist()]
    if given is not None and len(given) != len(shapes):
        raise ValueError(
            f'ms_deform_attn: level_start_index has {len(given)} levels, '
            f'spatial_shapes {len(shapes)}'
        )
    starts, total = [], 0
    for level, (h, w) in enumerate(shapes):
        if h <= 0 or w <= 0:
            raise ValueError(
                f'ms_deform_attn: spatial_shapes level {level} is {h} x {w}; '
                'every level needs H, W > 0'
            )
        if given is not None and given[level] != total:
            raise ValueError(
                f'ms_deform_attn: level_start_index[{level}] is {given[level]} '
                f'but spatial_shapes put level {level} at {total}'
            )
        starts.append(total)
        total += h * w
    if total != num_positions:
        raise ValueError(
            f'ms_deform_attn: value has {num_positions} positions but spatial_shapes give {total}'
        )
    return shapes, starts


def ms_deform_attn_pytorch(
    value, spatial_shapes, level_start_index, sampling_locations, attention_weights
):
    """Multi-scale deformable attention with the semantics of mmcv's
    ``multi_scale_deformable_attn_pytorch``.

    Args:
        value: (N, S, M, D), S = sum of H_l * W_l.
        spatial_shapes: (L, 2) integer (H_l, W_l).
        level_start_index: (L,) start of each level in S, or None; the maps are packed in
            level order, so it is only checked against ``spatial_shapes``.
        sampling_locations: (N, Lq, M, L, P, 2) normalised (x, y); 0..1 spans the map.
        attention_weights: (N, Lq, M, L, P).

    Returns:
        (N, Lq, M * D).
    """
    L = sampling_locations.shape[3]
    if len(spatial_shapes) != L:
        raise ValueError(
            f'ms_deform_attn: spatial_shapes has {len(spatial_shapes)} levels, '
            f'sampling_locations {L}'
        )
    shapes, starts = check_levels(value.shape[1], spatial_shapes, level_start_index)
    return _MSDeformAttn.apply(value, sampling_locations, attention_weights, shapes, starts)
