"""DETReg's pre-training detectors (Bar et al., CVPR 2022, sec. 3): Deformable DETR on dpt's
deformable-attention op (or DETR), a frozen backbone, and a frozen region encoder for the
targets."""

import torch
from mmdet.registry import MODELS

from ..deformable_detr import DeformableDETRWithOp


class RegionTargetsMixin:
    """What DETReg adds to a DETR-family detector: a frozen :class:`RegionEncoder` whose
    embeddings of the samples' region crops (``gt_instances.patches``) become
    ``gt_instances.embeddings``, the targets of the head's ``loss_embed``; and the backbone
    frozen (parameters and BN statistics), as DETReg pre-trains.

    Args:
        region_encoder: config of a :class:`RegionEncoder`.
        freeze_backbone: freeze the backbone.
    """

    def __init__(self, *args, region_encoder, freeze_backbone=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.region_encoder = MODELS.build(region_encoder)
        self.freeze_backbone = freeze_backbone
        if freeze_backbone:
            self.backbone.requires_grad_(False)
            self.backbone.eval()

    def train(self, mode=True):
        super().train(mode)
        if self.freeze_backbone:
            self.backbone.eval()
        return self

    @torch.no_grad()
    def embed_regions(self, batch_data_samples):
        """Set ``gt_instances.embeddings`` of every sample from its ``patches``, in one pass."""
        gts = [s.gt_instances for s in batch_data_samples]
        patches = [gt.patches for gt in gts]
        feats = self.region_encoder(torch.cat(patches)).split([len(p) for p in patches])
        for gt, feat in zip(gts, feats):
            gt.embeddings = feat

    def loss(self, batch_inputs, batch_data_samples):
        self.embed_regions(batch_data_samples)
        return super().loss(batch_inputs, batch_data_samples)


@MODELS.register_module()
class DETReg(RegionTargetsMixin, DeformableDETRWithOp):
    """:class:`dpt.models.DeformableDETRWithOp` (``msda_impl`` selects the op) with a
    :class:`DETRegHead` and :class:`RegionTargetsMixin`'s ``region_encoder`` /
    ``freeze_backbone``."""
