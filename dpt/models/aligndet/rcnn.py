"""Faster / Mask R-CNN for AlignDet box-domain pre-training (ICCV 2023, Sec. 3.3).

The RPN learns the proposals as class-agnostic objects with its usual loss. The RoI head
samples positive RoIs only (IoU >= 0.5 with a proposal, the proposals themselves added as
RoIs), regresses them to their proposal with the usual box loss, and embeds them with the
MLP that replaces the box head's classifier ``fc_cls``; the pre-trainer contrasts those
embeddings across views by instance id. The box head is AlignDet's
``Shared4Conv1FCBBoxHead`` (4 shared 3x3 convs without norm, one shared fc; liming-ai/AlignDet
configs/_base_/models/selfsup_mask_rcnn_r50_fpn.py), so the MLP sits on the shared fc.
"""

from typing import List, Tuple

import torch
from mmdet.models.detectors import TwoStageDetector
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox2roi
from mmengine.structures import InstanceData
from torch import Tensor

from ...utils.errors import ConfigError
from .box_domain import BoxDomainMixin, embedding_mlp


@MODELS.register_module()
class BoxDomainRoIHead(StandardRoIHead):
    """:class:`StandardRoIHead` whose box head embeds RoIs instead of classifying them.

    The box head's ``fc_cls`` becomes an fc-ReLU-fc MLP with ``embed_dims`` outputs (AlignDet's
    ``SelfSupConvFCBBoxHead``), under the same name so that weight extraction drops it with
    the classifier. There is no mask head: proposals have no masks, and AlignDet pre-trains
    Mask R-CNN without one (its mask head starts from random init at fine-tuning).

    Args:
        embed_dims (int): Width of the embedding; AlignDet: 256 (its box head's
            ``num_classes``).
        regress_by_instance (bool): The box head's classes are the batch's instance ids, as
            in AlignDet (``num_classes=256``, ``reg_class_agnostic=False``, instance ids as
            labels): proposal ``j`` of the batch is regressed by output ``j`` of a
            class-specific ``fc_reg``, and proposals with ids >= ``bbox_head.num_classes``
            get no box loss. False: the proposals' labels (one class).
    """

    def __init__(
        self, *args, embed_dims: int = 256, regress_by_instance: bool = True, **kwargs
    ) -> None:
        self.embed_dims = embed_dims
        self.regress_by_instance = regress_by_instance
        super().__init__(*args, **kwargs)
        if self.with_mask:
            raise ConfigError(
                'BoxDomainRoIHead: set roi_head.mask_roi_extractor=None and '
                'roi_head.mask_head=None; box-domain pre-training has no masks'
            )

    def init_bbox_head(self, bbox_roi_extractor, bbox_head) -> None:
        super().init_bbox_head(bbox_roi_extractor, bbox_head)
        fc_cls = self.bbox_head.fc_cls
        self.bbox_head.fc_cls = embedding_mlp(fc_cls.in_features, self.embed_dims)

    def loss_and_embed(
        self,
        x: Tuple[Tensor],
        rpn_results_list: List[InstanceData],
        batch_data_samples: SampleList,
        with_loss: bool = True,
    ) -> Tuple[dict, InstanceData]:
        """Box regression loss and the embeddings of the sampled RoIs with their
        instance ids (see :mod:`dpt.models.aligndet.box_domain`)."""
        sampling_results, ids = [], []
        for proposals, sample in zip(rpn_results_list, batch_data_samples):
            gt = sample.gt_instances
            if self.regress_by_instance:
                gt = InstanceData(
                    bboxes=gt.bboxes, labels=gt.instance_ids, instance_ids=gt.instance_ids
                )
            proposals = InstanceData(priors=proposals.bboxes)
            assign_result = self.bbox_assigner.assign(proposals, gt)
            result = self.bbox_sampler.sample(assign_result, proposals, gt)
            sampling_results.append(result)
            # RoIs are ordered positives first; negatives (none with AlignDet's sampler)
            # would be background
            ids += [
                gt.instance_ids[result.pos_assigned_gt_inds],
                gt.instance_ids.new_full((len(result.neg_inds),), -1),
            ]

        rois = bbox2roi([res.priors for res in sampling_results])
        bbox_results = self._bbox_forward(x, rois)
        losses = dict()
        if with_loss:
            targets = self.bbox_head.get_targets(sampling_results, self.train_cfg)
            losses = self.bbox_head.loss(None, bbox_results['bbox_pred'], rois, *targets)
        return losses, InstanceData(
            embeddings=bbox_results['cls_score'], instance_ids=torch.cat(ids)
        )


@MODELS.register_module()
class BoxDomainTwoStageDetector(BoxDomainMixin, TwoStageDetector):
    """Faster / Mask R-CNN (any :class:`TwoStageDetector` with an RPN and a
    :class:`BoxDomainRoIHead`) for box-domain pre-training; the state-dict keys are those of
    the mmdet detector."""

    def loss_and_embed(
        self, batch_inputs: Tensor, batch_data_samples: SampleList, with_loss: bool = True
    ) -> Tuple[dict, InstanceData]:
        x = self.extract_feat(batch_inputs)
        # AlignDet's target view samples RoIs among its own RPN proposals too, made with the
        # training proposal settings
        proposal_cfg = self.train_cfg.get('rpn_proposal', self.test_cfg.rpn)
        losses = dict()
        if with_loss:
            rpn_losses, rpn_results_list = self.rpn_head.loss_and_predict(
                x, batch_data_samples, proposal_cfg=proposal_cfg
            )
            losses.update({k if 'rpn' in k else f'rpn_{k}': v for k, v in rpn_losses.items()})
        else:
            rpn_results_list = self.rpn_head.predict_by_feat(
                *self.rpn_head(x),
                batch_img_metas=[s.metainfo for s in batch_data_samples],
                cfg=proposal_cfg,
            )
        roi_losses, embedded = self.roi_head.loss_and_embed(
            x, rpn_results_list, batch_data_samples, with_loss
        )
        losses.update(roi_losses)
        return losses, embedded
