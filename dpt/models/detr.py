"""DETR (Carion et al., ECCV 2020) with a pre-norm transformer, as DETR's own code builds it
with ``--pre_norm`` (facebookresearch/detr ``models/transformer.py``, ``normalize_before``) and
DETReg pre-trains and fine-tunes it (amirbar/DETReg ``configs/DETReg_top30_in_detr.sh``).

Pre-norm: each attention / FFN block normalises its input and adds its output to the
un-normalised input, ``x + f(norm(x))`` instead of mmdet's post-norm ``norm(x + f(x))``; the
encoder ends with a LayerNorm (``encoder.post_norm``), the decoder with its own (mmdet's
``decoder.post_norm``, as in post-norm DETR). The layers' modules and checkpoint keys are
mmdet's.
"""

from mmdet.models.detectors import DETR
from mmdet.models.layers import (
    DetrTransformerDecoder,
    DetrTransformerDecoderLayer,
    DetrTransformerEncoder,
    DetrTransformerEncoderLayer,
)
from mmdet.registry import MODELS
from torch import nn

from .deprecated import register_deprecated_alias


def _pre_norm_self_attn(layer, query, query_pos, **kwargs):
    """``query + self_attn(norm(query))``: a layer's self-attention block, pre-norm (its first
    norm); ``kwargs`` (masks) go to the attention."""
    x = layer.norms[0](query)
    return layer.self_attn(
        query=x, key=x, value=x, identity=query, query_pos=query_pos, key_pos=query_pos, **kwargs
    )


class PreNormDetrTransformerEncoderLayer(DetrTransformerEncoderLayer):
    def forward(self, query, query_pos, key_padding_mask, **kwargs):
        query = _pre_norm_self_attn(
            self, query, query_pos, key_padding_mask=key_padding_mask, **kwargs
        )
        return self.ffn(self.norms[1](query), identity=query)


class PreNormDetrTransformerDecoderLayer(DetrTransformerDecoderLayer):
    def forward(
        self,
        query,
        key=None,
        value=None,
        query_pos=None,
        key_pos=None,
        self_attn_mask=None,
        cross_attn_mask=None,
        key_padding_mask=None,
        **kwargs,
    ):
        query = _pre_norm_self_attn(self, query, query_pos, attn_mask=self_attn_mask, **kwargs)
        query = self.cross_attn(
            query=self.norms[1](query),
            key=key,
            value=value,
            identity=query,
            query_pos=query_pos,
            key_pos=key_pos,
            attn_mask=cross_attn_mask,
            key_padding_mask=key_padding_mask,
            **kwargs,
        )
        return self.ffn(self.norms[2](query), identity=query)


class PreNormDetrTransformerEncoder(DetrTransformerEncoder):
    def _init_layers(self):
        self.layers = nn.ModuleList(
            [PreNormDetrTransformerEncoderLayer(**self.layer_cfg) for _ in range(self.num_layers)]
        )
        self.embed_dims = self.layers[0].embed_dims
        self.post_norm = nn.LayerNorm(self.embed_dims)

    def forward(self, query, query_pos, key_padding_mask, **kwargs):
        return self.post_norm(super().forward(query, query_pos, key_padding_mask, **kwargs))


class PreNormDetrTransformerDecoder(DetrTransformerDecoder):
    def _init_layers(self):
        super()._init_layers()
        self.layers = nn.ModuleList(
            [PreNormDetrTransformerDecoderLayer(**self.layer_cfg) for _ in range(self.num_layers)]
        )


@MODELS.register_module()
class PreNormDETR(DETR):
    """mmdet's DETR with a pre-norm transformer (DETR's ``normalize_before``).

    Args:
        pre_norm: ``True`` (default) builds the pre-norm encoder and decoder; ``False`` keeps
            mmdet's post-norm ones (mmdet's DETR, for comparison).
        *args, **kwargs: as ``DETR``.
    """

    def __init__(self, *args, pre_norm=True, **kwargs):
        self.pre_norm = pre_norm
        super().__init__(*args, **kwargs)

    def _init_layers(self):
        encoder, decoder = self.encoder, self.decoder  # still the configs
        super()._init_layers()
        if self.pre_norm:
            self.encoder = PreNormDetrTransformerEncoder(**encoder)
            self.decoder = PreNormDetrTransformerDecoder(**decoder)


# its name until dpt 0.1.0 (where ``pre_norm`` defaulted to False): users' own fine-tuning
# configs may still use it
DptDETR = register_deprecated_alias(PreNormDETR, 'DptDETR', pre_norm=False)
