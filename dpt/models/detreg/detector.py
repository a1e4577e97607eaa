"""DETReg's pre-training detector (Bar et al., CVPR 2022, sec. 3): Deformable DETR on dpt's
deformable-attention op, a frozen backbone, and a frozen region encoder for the targets."""
import torch

from mmdet.registry import MODELS

from ...ops import DptDeformableDETR


@MODELS.register_module()
class DETReg(DptDeformableDETR):
    """:class:`DptDeformableDETR` (``msda_impl`` selects the op) with a :class:`DETRegHead`.

    Args:
        region_encoder: config of a :class:`RegionEncoder`; it embeds the samples' region
            crops (``gt_instances.patches``) into the targets of ``loss_embed``, batched on
            the model's device.
        freeze_backbone: DETReg pre-trains with the self-supervised backbone frozen
            (parameters and BN statistics).
        *args, **kwargs: as ``DptDeformableDETR``.
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
