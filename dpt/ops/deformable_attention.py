"""Deformable DETR's attention module on dpt's op, and the swap of mmcv's modules for it.

:class:`DptMSDeformAttn` is mmcv's ``MultiScaleDeformableAttention`` (same parameters, same
state-dict keys) sampling with :func:`dpt.ops.ms_deform_attn`; :func:`use_dpt_ms_deform_attn`
puts it in place of mmcv's modules inside a built model, keeping their weights. The detector
that does so from a config is :class:`dpt.models.DeformableDETRWithOp`.
"""

from mmcv.ops import MultiScaleDeformableAttention as MMCVMultiScaleDeformableAttention
from mmdet.registry import MODELS
from torch import nn

from .ms_deform_attn import ms_deform_attn


def sampling_locations(reference_points, offsets, spatial_shapes, num_points):
    """Normalised sampling locations (N, Lq, M, L, P, 2) from reference points and offsets.

    Deformable DETR, sec. 4.1 and appendix A.2: with 2-d reference points (x, y) the offsets
    are in pixels of each level; with 4-d reference boxes (x, y, w, h) (iterative box
    refinement, two-stage) they are in units of half the box over ``num_points``.
    """
    if reference_points.shape[-1] == 2:
        size = spatial_shapes.flip(-1).to(offsets.dtype)  # (W, H) per level
        return reference_points[:, :, None, :, None, :] + offsets / size[None, None, None, :, None]
    if reference_points.shape[-1] == 4:
        centre = reference_points[:, :, None, :, None, :2]
        box = reference_points[:, :, None, :, None, 2:]
        return centre + offsets / num_points * box * 0.5
    raise ValueError(
        f'reference_points must end in 2 (points) or 4 (boxes), got {tuple(reference_points.shape)}'
    )


@MODELS.register_module()
class DptMSDeformAttn(MMCVMultiScaleDeformableAttention):
    """mmcv's ``MultiScaleDeformableAttention`` (same arguments, parameters, initialisation)
    whose sampling runs on :func:`dpt.ops.ms_deform_attn`: dpt's CUDA kernel on GPUs and
    its leaner PyTorch path elsewhere. ``im2col_step`` is accepted and unused."""

    def forward(
        self,
        query,
        key=None,
        value=None,
        identity=None,
        query_pos=None,
        key_padding_mask=None,
        reference_points=None,
        spatial_shapes=None,
        level_start_index=None,
        **kwargs,
    ):
        """Same arguments and result as mmcv's module (queries (Lq, N, C), or (N, Lq, C) with
        ``batch_first``)."""
        value = query if value is None else value
        identity = query if identity is None else identity
        if query_pos is not None:
            query = query + query_pos
        if not self.batch_first:
            query, value = query.transpose(0, 1), value.transpose(0, 1)
        N, num_query, _ = query.shape
        value = self.value_proj(value)
        if key_padding_mask is not None:
            value = value.masked_fill(key_padding_mask[..., None], 0.0)
        value = value.view(N, value.shape[1], self.num_heads, -1)
        shape = (N, num_query, self.num_heads, self.num_levels, self.num_points)
        offsets = self.sampling_offsets(query).view(*shape, 2)
        weights = self.attention_weights(query).view(N, num_query, self.num_heads, -1)
        weights = weights.softmax(-1).view(shape)
        locations = sampling_locations(reference_points, offsets, spatial_shapes, self.num_points)
        output = self.output_proj(
            ms_deform_attn(value, spatial_shapes, level_start_index, locations, weights)
        )
        if not self.batch_first:
            output = output.transpose(0, 1)
        return self.dropout(output) + identity

    @classmethod
    def from_mmcv(cls, module):
        """dpt's module with the arguments and weights of an mmcv one."""
        new = cls(
            embed_dims=module.embed_dims,
            num_heads=module.num_heads,
            num_levels=module.num_levels,
            num_points=module.num_points,
            im2col_step=module.im2col_step,
            dropout=module.dropout.p,
            batch_first=module.batch_first,
            norm_cfg=module.norm_cfg,
            init_cfg=module.init_cfg,
            value_proj_ratio=module.value_proj.out_features / module.embed_dims,
        )
        weight = module.value_proj.weight
        new.to(device=weight.device, dtype=weight.dtype).load_state_dict(module.state_dict())
        return new


def use_dpt_ms_deform_attn(model: nn.Module) -> int:
    """Replace every mmcv ``MultiScaleDeformableAttention`` inside ``model`` by dpt's (weights
    kept); returns how many. :class:`dpt.models.DeformableDETRWithOp` calls it on its encoder
    and decoder; other detectors (DINO, a DETReg head ...) can call it at the end of their
    ``_init_layers``."""
    swaps = [
        (parent, name, child)
        for parent in model.modules()
        for name, child in parent.named_children()
        if type(child) is MMCVMultiScaleDeformableAttention
    ]
    for parent, name, child in swaps:
        setattr(parent, name, DptMSDeformAttn.from_mmcv(child))
    return len(swaps)
