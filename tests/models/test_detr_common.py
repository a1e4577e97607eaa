"""The DETR family's shared pieces (dpt.models.detr_common) and the renamed detectors."""

import copy

import pytest
import torch
from mmdet.models.dense_heads import DETRHead
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.structures import InstanceData

import dpt  # noqa: F401
from dpt.models import DeformableDETRWithOp, PreNormDETR
from dpt.models.detr_common import (
    DETR_LOSS_CLS,
    QueryEmbeddingMixin,
    no_object_class_weight,
    recorded_matches,
)
from dpt.utils.errors import ConfigError

register_all_modules()


def test_detr_weighting_is_mmdets():
    """DETR's loss (DETReg's): the per-class vector and bg_cls_weight of mmdet's own
    DETRHead, which is the only head mmdet does this for."""
    loss_cls, bg = no_object_class_weight(DETR_LOSS_CLS, 5)
    # (mmdet's DETRHead changes its loss_cls argument: never its default here)
    plain = DETRHead(num_classes=5, embed_dims=16, loss_cls=dict(DETR_LOSS_CLS))
    assert bg == plain.bg_cls_weight == 0.1 and 'bg_cls_weight' not in loss_cls
    assert torch.equal(loss_cls['class_weight'], plain.loss_cls.class_weight)
    assert 'bg_cls_weight' in DETR_LOSS_CLS  # the argument is not changed
    assert no_object_class_weight(dict(type='CrossEntropyLoss', class_weight=2), 2)[0][
        'class_weight'
    ].tolist() == [2.0, 2.0, 2.0]


def test_without_class_weight_nothing_is_weighted():
    """AlignDet's loss: no class_weight, so no-object weighs 1 and bg_cls_weight is 0 (the
    loss divided by the matched queries), a stray bg_cls_weight included; the same for a
    sigmoid loss and for a per-class class_weight, which stays as given."""
    plain = dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)
    assert no_object_class_weight(plain, 5) == (plain, 0)
    assert no_object_class_weight(dict(plain, bg_cls_weight=0.1), 5) == (plain, 0)
    sigmoid = dict(type='FocalLoss', use_sigmoid=True, class_weight=1.0)
    assert no_object_class_weight(sigmoid, 5) == (sigmoid, 0)
    per_class = dict(plain, class_weight=[1.0] * 6)
    assert no_object_class_weight(per_class, 5) == (per_class, 0)
    with pytest.raises(ConfigError, match='bg_cls_weight'):
        no_object_class_weight(dict(plain, class_weight=1.0, bg_cls_weight='0.1'), 5)


def test_recorded_matches_restores_the_assigner():
    calls = []

    class Assigner:
        def assign(self, pred, gt):
            calls.append(pred)
            return InstanceData(gt_inds=torch.tensor([pred, 0]))

    class Head:
        assigner = Assigner()

    head = Head()
    original = head.assigner
    with recorded_matches(head) as matches:
        head.assigner.assign(1, None)
        head.assigner.assign(2, None)
    assert head.assigner is original and calls == [1, 2]
    assert [m.tolist() for m in matches] == [[1, 0], [2, 0]]
    with pytest.raises(RuntimeError):
        with recorded_matches(head):
            raise RuntimeError
    assert head.assigner is original  # restored on errors too


def test_query_embedding_branch_has_the_strategys_name():
    class Head(QueryEmbeddingMixin, DETRHead):
        embedding_name = 'my_embed'

        def build_embedding(self):
            return torch.nn.Linear(self.embed_dims, 3)

    head = Head(
        num_classes=2,
        embed_dims=16,
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
    )
    assert isinstance(head.my_embed, torch.nn.Linear)
    assert head.embed_queries(torch.zeros(2, 4, 16)).shape == (2, 4, 3)
    # the heads of AlignDet and DETReg keep their strategies' names
    assert MODELS.get('BoxDomainDETRHead').embedding_name == 'fc_embed'
    assert MODELS.get('DETRegHead').embedding_name == 'feature_embed'
    assert MODELS.get('DETRegDETRHead').embedding_name == 'feature_embed'


def test_old_registry_names_build_the_renamed_detectors(caplog):
    """Configs written before the rename keep working (with a warning): DptDETR was
    post-norm unless told otherwise, PreNormDETR is pre-norm unless told otherwise."""
    assert issubclass(MODELS.get('DptDETR'), PreNormDETR)
    assert issubclass(MODELS.get('DptDeformableDETR'), DeformableDETRWithOp)
    detr = dict(
        backbone=dict(type='ResNet', depth=18, base_channels=8, out_indices=(3,)),
        neck=dict(
            type='ChannelMapper', in_channels=[64], out_channels=16, kernel_size=1, num_outs=1
        ),
        encoder=dict(
            num_layers=1,
            layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=16, num_heads=2),
                ffn_cfg=dict(embed_dims=16, feedforward_channels=32),
            ),
        ),
        decoder=dict(
            num_layers=1,
            layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=16, num_heads=2),
                cross_attn_cfg=dict(embed_dims=16, num_heads=2),
                ffn_cfg=dict(embed_dims=16, feedforward_channels=32),
            ),
        ),
        positional_encoding=dict(num_feats=8, normalize=True),
        bbox_head=dict(type='DETRHead', num_classes=2, embed_dims=16, loss_cls=dict(DETR_LOSS_CLS)),
        num_queries=5,
    )

    def build(**kwargs):  # a fresh config each time: mmdet's DETRHead changes its loss_cls
        return MODELS.build(dict(copy.deepcopy(detr), **kwargs))

    assert build(type='PreNormDETR').pre_norm is True
    old = build(type='DptDETR')
    assert old.pre_norm is False and type(old.encoder).__name__ == 'DetrTransformerEncoder'
    assert build(type='DptDETR', pre_norm=True).pre_norm is True


def test_old_python_names_still_import():
    import dpt.ops

    with pytest.warns(FutureWarning):
        assert dpt.ops.DptDeformableDETR is MODELS.get('DptDeformableDETR')
    with pytest.warns(FutureWarning):
        assert dpt.ops.MultiScaleDeformableAttention is dpt.ops.DptMSDeformAttn
