"""DETReg's DETR variant (Bar et al., CVPR 2022; amirbar/DETReg ``--model detr --pre_norm``,
configs/DETReg_top30_in_detr.sh): DETR with a pre-norm transformer, pre-trained on the region
priors like the Deformable DETR variant.

Pre-norm (DETR's ``normalize_before``): each attention / FFN block normalises its input and
adds its output to the un-normalised input, ``x + f(norm(x))`` instead of mmdet's post-norm
``norm(x + f(x))``; the encoder ends with a LayerNorm (``encoder.post_norm``), the decoder
with its own (mmdet's ``decoder.post_norm``, as in post-norm DETR). The layers' modules and
checkpoint keys are mmdet's.
"""
import torch
from torch import nn

from mmdet.models.dense_heads import DETRHead
from mmdet.models.detectors import DETR
from mmdet.models.layers import (MLP, DetrTransformerDecoder, DetrTransformerDecoderLayer,
                                 DetrTransformerEncoder, DetrTransformerEncoderLayer)
from mmdet.registry import MODELS

from .detector import RegionTargetsMixin
from .head import EMBEDDING, embedding_loss, recorded_matches


class PreNormDetrTransformerEncoderLayer(DetrTransformerEncoderLayer):

    def forward(self, query, query_pos, key_padding_mask, **kwargs):
        x = self.norms[0](query)
        query = self.self_attn(query=x, key=x, value=x, identity=query, query_pos=query_pos,
                               key_pos=query_pos, key_padding_mask=key_padding_mask, **kwargs)
        return self.ffn(self.norms[1](query), identity=query)


class PreNormDetrTransformerDecoderLayer(DetrTransformerDecoderLayer):

    def forward(self, query, key=None, value=None, query_pos=None, key_pos=None,
                self_attn_mask=None, cross_attn_mask=None, key_padding_mask=None, **kwargs):
        x = self.norms[0](query)
        query = self.self_attn(query=x, key=x, value=x, identity=query, query_pos=query_pos,
                               key_pos=query_pos, attn_mask=self_attn_mask, **kwargs)
        query = self.cross_attn(query=self.norms[1](query), key=key, value=value,
                                identity=query, query_pos=query_pos, key_pos=key_pos,
                                attn_mask=cross_attn_mask, key_padding_mask=key_padding_mask,
                                **kwargs)
        return self.ffn(self.norms[2](query), identity=query)


class PreNormDetrTransformerEncoder(DetrTransformerEncoder):

    def _init_layers(self):
        self.layers = nn.ModuleList([PreNormDetrTransformerEncoderLayer(**self.layer_cfg)
                                     for _ in range(self.num_layers)])
        self.embed_dims = self.layers[0].embed_dims
        self.post_norm = nn.LayerNorm(self.embed_dims)

    def forward(self, query, query_pos, key_padding_mask, **kwargs):
        return self.post_norm(super().forward(query, query_pos, key_padding_mask, **kwargs))


class PreNormDetrTransformerDecoder(DetrTransformerDecoder):

    def _init_layers(self):
        super()._init_layers()
        self.layers = nn.ModuleList([PreNormDetrTransformerDecoderLayer(**self.layer_cfg)
                                     for _ in range(self.num_layers)])


@MODELS.register_module()
class DptDETR(DETR):
    """mmdet's DETR; ``pre_norm=True`` builds the pre-norm transformer (DETReg's DETR)."""

    def __init__(self, *args, pre_norm=False, **kwargs):
        self.pre_norm = pre_norm
        super().__init__(*args, **kwargs)

    def _init_layers(self):
        encoder, decoder = self.encoder, self.decoder  # still the configs
        super()._init_layers()
        if self.pre_norm:
            self.encoder = PreNormDetrTransformerEncoder(**encoder)
            self.decoder = PreNormDetrTransformerDecoder(**decoder)


@MODELS.register_module()
class DETRegDETRHead(DETRHead):
    """mmdet's DETRHead plus DETReg's ``feature_embed`` (embed_dims -> embed_dims ->
    feature_dims) and ``loss_embed`` on the last decoder layer's matched queries."""

    def __init__(self, num_classes, *args, feature_dims=512,
                 loss_embed=dict(type='L1Loss', loss_weight=1.0), loss_cls=None, **kwargs):
        self.feature_dims = feature_dims
        # DETRHead turns the no-object weight into a class-weight vector only for its own
        # class (`self.__class__ is DETRHead`): done here for this subclass, as it does
        loss_cls = dict(loss_cls or dict(type='CrossEntropyLoss', bg_cls_weight=0.1,
                                         use_sigmoid=False, loss_weight=1.0, class_weight=1.0))
        bg_weight = 0
        if loss_cls.get('class_weight') is not None:
            weight = loss_cls['class_weight']
            bg_weight = loss_cls.pop('bg_cls_weight', weight)
            loss_cls['class_weight'] = torch.ones(num_classes + 1) * weight
            loss_cls['class_weight'][num_classes] = bg_weight
        super().__init__(num_classes, *args, loss_cls=loss_cls, **kwargs)
        self.bg_cls_weight = bg_weight
        self.loss_embed = MODELS.build(loss_embed)

    def _init_layers(self):
        super()._init_layers()
        setattr(self, EMBEDDING, MLP(self.embed_dims, self.embed_dims, self.feature_dims, 2))

    def loss(self, hidden_states, batch_data_samples):
        with recorded_matches(self) as matches:
            losses = super().loss(hidden_states, batch_data_samples)
        losses['loss_embed'] = embedding_loss(self, hidden_states, matches, batch_data_samples)
        return losses


@MODELS.register_module()
class DETRegDETR(RegionTargetsMixin, DptDETR):
    """:class:`DptDETR` (DETReg: ``pre_norm=True``) with a :class:`DETRegDETRHead` and
    :class:`RegionTargetsMixin`'s ``region_encoder`` / ``freeze_backbone``."""
