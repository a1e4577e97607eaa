"""DETR for AlignDet box-domain pre-training (Li et al., ICCV 2023, Sec. 3.3 and App. B.5;
liming-ai/AlignDet ``SelfSupDETR`` / ``SelfSupDETRHead``, configs/selfsup/detr.py).

DETR's one-to-one matching needs classes: a class-agnostic target lets every query match
every proposal equally well, and AlignDet reports that it then pre-trains poorly (issue #5).
So each proposal carries the K-means cluster of its backbone features as its class
(:mod:`dpt.clustering`, 256 clusters), and the head keeps DETR's own losses
over those classes: Hungarian matching, cross-entropy over the K clusters, L1 x5 and GIoU x2,
on every decoder layer, with AlignDet's plain cross-entropy (no class weights: no-object
weighs 1, the sum divided by the matched queries). An embedding MLP beside the classifier
projects each query for the
contrastive loss; a query matched to a proposal is tagged with that proposal's instance id,
an unmatched one is background (-1, a negative only), on every decoder layer, as AlignDet
contrasts them. AlignDet matched the queries a second time for this, with the instance ids
in the classification cost's place (``obj_assigner``); here the tags come from the matching
of the losses, so a query is contrasted as the proposal it regresses to.
"""

from typing import Optional, Tuple

import torch
from mmdet.models.dense_heads import DETRHead
from mmdet.models.detectors import DETR
from mmdet.registry import MODELS, TASK_UTILS
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy
from mmengine.structures import InstanceData
from torch import Tensor

from ...utils.errors import ConfigError
from ..detr_common import QueryEmbeddingMixin, no_object_class_weight, recorded_matches
from .box_domain import BoxDomainMixin, embedding_mlp

# the contrastive projection's name: a module DETR does not have, so that fine-tuning finds
# nothing of it (extract_detector_weights.py --drop 'bbox_head\.fc_embed' leaves it out)
EMBEDDING = 'fc_embed'


@MODELS.register_module()
class BoxDomainDETRHead(QueryEmbeddingMixin, DETRHead):
    """:class:`DETRHead` over ``num_classes`` proposal clusters, with ``fc_embed``, an fc-ReLU-fc
    MLP (``embed_dims`` wide, AlignDet's ``projector``) embedding every query.

    ``fc_cls`` stays the classifier (over the clusters), so weight extraction drops it as
    DETR's output layer; ``fc_embed`` is a sibling of ``fc_cls`` and ``fc_reg``.

    The default ``loss_cls`` is AlignDet's (liming-ai/AlignDet
    configs/_base_/models/selfsup_detr_r50.py): cross-entropy without class weights, i.e.
    no-object weight 1 and ``bg_cls_weight`` 0 (the loss divided by the matched queries, as
    mmdet 2.25's DETRHead then does). DETR's own weighting: ``class_weight=1.0,
    bg_cls_weight=0.1``.

    ``obj_assigner`` (None: the queries are tagged by the matching of the losses): AlignDet's
    second matching for the tags, a Hungarian assigner whose labels are the instance ids,
    so that its ``ClassificationCost`` reads the cluster classifier's scores at the columns
    of the instance ids (liming-ai/AlignDet ``SelfSupDETRHead._get_target_single``, config
    ``obj_assigner``); :data:`ALIGNDET_OBJ_ASSIGNER` is its config.
    """

    embedding_name = EMBEDDING

    def __init__(
        self,
        num_classes: int,
        *args,
        loss_cls: dict = dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
        obj_assigner: Optional[dict] = None,
        **kwargs,
    ) -> None:
        loss_cls, bg_cls_weight = no_object_class_weight(loss_cls, num_classes)
        super().__init__(num_classes, *args, loss_cls=loss_cls, **kwargs)
        self.bg_cls_weight = bg_cls_weight
        self.obj_assigner = None if obj_assigner is None else TASK_UTILS.build(obj_assigner)

    def build_embedding(self):
        return embedding_mlp(self.embed_dims, self.embed_dims)

    def loss_and_embed(
        self, hidden_states: Tensor, batch_data_samples: SampleList, with_loss: bool = True
    ) -> Tuple[dict, InstanceData]:
        """DETR's losses over the proposal clusters (empty without ``with_loss``) and the
        embeddings of all queries of all decoder layers, with the instance id of the proposal
        each query was matched to (-1: unmatched)."""
        gts = [s.gt_instances for s in batch_data_samples]
        metas = [s.metainfo for s in batch_data_samples]
        for gt, meta in zip(gts, metas):
            if len(gt) and int(gt.labels.max()) >= self.num_classes:
                raise ConfigError(
                    f"{meta.get('img_path')}: a proposal of cluster {int(gt.labels.max()) + 1} "
                    f'but bbox_head.num_classes is {self.num_classes}: set it to the number '
                    'of clusters of the proposal file'
                )
        cls_scores, bbox_preds = self(hidden_states)
        # the target view needs only the matching; its losses are computed and dropped
        with recorded_matches(self) as matches:
            losses = self.loss_by_feat(cls_scores, bbox_preds, gts, metas)
        num_layers, num_imgs = cls_scores.shape[:2]
        if self.obj_assigner is not None:
            matches = self._instance_matches(cls_scores, bbox_preds, gts, metas)
        ids = []
        for k, gt_inds in enumerate(matches):
            instance_ids = gts[k % num_imgs].instance_ids
            matched = gt_inds > 0
            layer_ids = instance_ids.new_full(gt_inds.shape, -1)
            layer_ids[matched] = instance_ids[gt_inds[matched] - 1]
            ids.append(layer_ids)
        embeddings = self.embed_queries(hidden_states)
        embedded = InstanceData(
            embeddings=embeddings.reshape(-1, embeddings.size(-1)), instance_ids=torch.cat(ids)
        )
        return (losses if with_loss else dict()), embedded

    @torch.no_grad()
    def _instance_matches(self, cls_scores, bbox_preds, gts, metas):
        """AlignDet's second matching: ``gt_inds`` per decoder layer and image (layers outer)
        from ``obj_assigner`` with the instance ids as the proposals' labels."""
        num_ids = max((int(gt.instance_ids.max()) + 1 for gt in gts if len(gt)), default=0)
        if num_ids > cls_scores.size(-1):
            raise ConfigError(
                f'bbox_head.obj_assigner: {num_ids} proposals in the batch but '
                f'{cls_scores.size(-1)} classifier columns for their ids'
            )
        matches = []
        for layer in range(cls_scores.size(0)):
            for i, (gt, meta) in enumerate(zip(gts, metas)):
                img_h, img_w = meta['img_shape']
                factor = bbox_preds.new_tensor([img_w, img_h, img_w, img_h])
                pred = InstanceData(
                    scores=cls_scores[layer, i],
                    bboxes=bbox_cxcywh_to_xyxy(bbox_preds[layer, i]) * factor,
                )
                result = self.obj_assigner.assign(
                    pred, InstanceData(bboxes=gt.bboxes, labels=gt.instance_ids), img_meta=meta
                )
                matches.append(result.gt_inds)
        return matches


# AlignDet's `obj_assigner` (configs/_base_/models/selfsup_detr_r50.py:61-65) in mmdet 3 terms
ALIGNDET_OBJ_ASSIGNER = dict(
    type='HungarianAssigner',
    match_costs=[
        dict(type='ClassificationCost', weight=1.0),
        dict(type='BBoxL1Cost', weight=5.0, box_format='xywh'),
        dict(type='IoUCost', iou_mode='giou', weight=2.0),
    ],
)


@MODELS.register_module()
class BoxDomainDETR(BoxDomainMixin, DETR):
    """DETR with a :class:`BoxDomainDETRHead` for box-domain pre-training (frozen backbone);
    the state-dict keys are DETR's plus ``bbox_head.fc_embed``. The proposals' labels must be
    their clusters: ``BoxDomainPretrainer(class_agnostic=False)``."""

    def loss_and_embed(
        self, batch_inputs: Tensor, batch_data_samples: SampleList, with_loss: bool = True
    ) -> Tuple[dict, InstanceData]:
        head_inputs = self.forward_transformer(self.extract_feat(batch_inputs), batch_data_samples)
        return self.bbox_head.loss_and_embed(
            head_inputs['hidden_states'], batch_data_samples, with_loss
        )
