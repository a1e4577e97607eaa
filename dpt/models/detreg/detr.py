"""DETReg's DETR variant (Bar et al., CVPR 2022; amirbar/DETReg ``--model detr --pre_norm``,
configs/DETReg_top30_in_detr.sh): :class:`dpt.models.PreNormDETR`, DETR with a pre-norm
transformer, pre-trained on the region priors like the Deformable DETR variant.
"""

from mmdet.models.dense_heads import DETRHead
from mmdet.registry import MODELS

from ..detr import PreNormDETR
from ..detr_common import DETR_LOSS_CLS, no_object_class_weight, recorded_matches
from .detector import RegionTargetsMixin
from .head import DETRegEmbeddingMixin, embedding_loss


@MODELS.register_module()
class DETRegDETRHead(DETRegEmbeddingMixin, DETRHead):
    """mmdet's DETRHead plus DETReg's ``feature_embed`` (embed_dims -> embed_dims ->
    feature_dims) and ``loss_embed`` on the last decoder layer's matched queries.

    ``loss_cls`` defaults to DETR's (no-object weight 0.1: DETReg's ``--eos_coef 0.1``)."""

    def __init__(
        self,
        num_classes,
        *args,
        feature_dims=512,
        loss_embed=dict(type='L1Loss', loss_weight=1.0),
        loss_cls=None,
        **kwargs,
    ):
        self.feature_dims = feature_dims
        loss_cls, bg_cls_weight = no_object_class_weight(loss_cls or DETR_LOSS_CLS, num_classes)
        super().__init__(num_classes, *args, loss_cls=loss_cls, **kwargs)
        self.bg_cls_weight = bg_cls_weight
        self.loss_embed = MODELS.build(loss_embed)

    def loss(self, hidden_states, batch_data_samples):
        with recorded_matches(self) as matches:
            losses = super().loss(hidden_states, batch_data_samples)
        losses['loss_embed'] = embedding_loss(self, hidden_states, matches, batch_data_samples)
        return losses


@MODELS.register_module()
class DETRegDETR(RegionTargetsMixin, PreNormDETR):
    """:class:`dpt.models.PreNormDETR` with a :class:`DETRegDETRHead` and
    :class:`RegionTargetsMixin`'s ``region_encoder`` / ``freeze_backbone``."""
