"""RetinaNet and FCOS for AlignDet box-domain pre-training (ICCV 2023, Sec. 3.3).

The classification layer becomes a 1x1-conv MLP that embeds every anchor / point; positions
are assigned to the proposals by the head's own rule (IoU for RetinaNet, inside-box and
scale range for FCOS), and a random sample of them, positives first and background filling
the rest (AlignDet's ``RandomSampler(num=2048, pos_fraction=1.0)``), is contrasted across
views by the pre-trainer. Box regression (and FCOS's IoU loss + centerness) are trained on
the sampled positives as usual. Each view computes its own assignment, so the target's keys
are the target view's positions of the same proposals.
"""

from typing import Tuple

import torch
from mmdet.models.dense_heads import FCOSHead, RetinaHead
from mmdet.models.detectors import SingleStageDetector
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.utils import reduce_mean
from mmengine.structures import InstanceData
from torch import Tensor

from .box_domain import BoxDomainMixin, embedding_mlp, ids_as_labels, labels_as_ids

# mmdet's conv init of the heads, without the classifier-bias prior: on the embedding MLP it
# would push the hidden layer below zero and kill its ReLU
_HEAD_INIT = dict(type='Normal', layer='Conv2d', std=0.01)
# RetinaNet's classification branch has no norm layer: with std 0.01 its 4 convs and the MLP
# shrink the features over 1000x (R50 FPN, measured), and the scale-invariant contrastive loss
# then gives the biases gradients so large that the first step makes every embedding the
# same (the loss stays at log(#negatives)); dpt pairs anchors and ids correctly (AlignDet did
# not with 2 images per GPU) and this still happens (test_pretrain_step.py::
# test_retinanet_head_init). Kaiming init there keeps the neck's scale; AlignDet used std 0.01
# throughout (init_cfg=dict(type='Normal', layer='Conv2d', std=0.01) to have it).
_RETINA_INIT = dict(
    _HEAD_INIT,
    override=[dict(type='Kaiming', name='cls_convs'), dict(type='Kaiming', name='retina_cls')],
)


def _per_image(maps, channels):
    """(N, A*C, H, W) maps of all levels -> (N, sum_l H_l*W_l*A, C), mmdet's prior order."""
    return torch.cat([m.permute(0, 2, 3, 1).reshape(m.size(0), -1, channels) for m in maps], 1)


def _per_level(maps, channels):
    """(N, C, H, W) maps of all levels -> (sum_l N*H_l*W_l, C): level-major, as FCOS's
    targets."""
    return torch.cat([m.permute(0, 2, 3, 1).reshape(-1, channels) for m in maps])


@MODELS.register_module()
class BoxDomainRetinaHead(RetinaHead):
    """:class:`RetinaHead` whose ``retina_cls`` is an MLP giving an ``embed_dims`` embedding per
    anchor. ``train_cfg.sampler`` must sample background too (AlignDet: ``RandomSampler``,
    2048 per image, ``pos_fraction=1.0``, ``neg_pos_ub=-1``).

    ``aligndet_pairing=True`` reproduces AlignDet's pairing of embeddings and instance ids
    (liming-ai/AlignDet AlignDet/models/dense_heads/retina_head.py:172-179): embeddings of all
    anchors flattened level by level, labels image by image, matched by position, which
    pairs anchors with other anchors' ids when a GPU holds more than one image. The default
    pairs each anchor with its own id.
    """

    def __init__(
        self,
        *args,
        embed_dims: int = 256,
        init_cfg=_RETINA_INIT,
        aligndet_pairing: bool = False,
        **kwargs,
    ) -> None:
        self.embed_dims = embed_dims
        self.aligndet_pairing = aligndet_pairing
        super().__init__(*args, init_cfg=init_cfg, **kwargs)

    def _init_layers(self) -> None:
        super()._init_layers()
        self.retina_cls = embedding_mlp(
            self.feat_channels, self.num_base_priors * self.embed_dims, conv_kernel=1
        )

    def loss_and_embed(
        self, x: Tuple[Tensor], batch_data_samples: SampleList, with_loss: bool = True
    ) -> Tuple[dict, InstanceData]:
        cls_scores, bbox_preds = self(x)
        metas = [s.metainfo for s in batch_data_samples]
        anchor_list, valid_flag_list = self.get_anchors(
            [m.shape[-2:] for m in cls_scores], metas, device=cls_scores[0].device
        )
        labels, label_weights, bbox_targets, bbox_weights, _ = self.get_targets(
            anchor_list, valid_flag_list, ids_as_labels(batch_data_samples), metas
        )
        if self.aligndet_pairing:
            embedded = self._aligndet_pairs(cls_scores, labels, label_weights)
        else:
            embeddings, ids = [], []
            for level_map, level_labels, level_weights in zip(cls_scores, labels, label_weights):
                # gather the sampled anchors' embeddings instead of flattening every
                # anchor's; channels are (anchor, embedding), positions (y, x, anchor) as
                # mmdet's priors
                img, idx = torch.nonzero(level_weights > 0, as_tuple=True)
                n, _, h, w = level_map.shape
                grid = level_map.view(n, self.num_base_priors, self.embed_dims, h, w)
                cell = idx // self.num_base_priors
                embeddings.append(grid[img, idx % self.num_base_priors, :, cell // w, cell % w])
                ids.append(labels_as_ids(level_labels[img, idx]))
            embedded = InstanceData(embeddings=torch.cat(embeddings), instance_ids=torch.cat(ids))
        losses = dict()
        if with_loss:
            pos = (torch.cat(labels, 1) < 0) & (torch.cat(label_weights, 1) > 0)
            pred = _per_image(bbox_preds, self.bbox_coder.encode_size)[pos]
            targets = torch.cat(bbox_targets, 1)[pos]
            if self.reg_decoded_bbox:
                anchors = torch.stack([torch.cat(a) for a in anchor_list])[pos]
                pred = self.bbox_coder.decode(anchors, pred)
            losses['loss_bbox'] = self.loss_bbox(
                pred, targets, torch.cat(bbox_weights, 1)[pos], avg_factor=max(int(pos.sum()), 1)
            )
        return losses, embedded

    def _aligndet_pairs(self, cls_scores, labels, label_weights) -> InstanceData:
        """AlignDet's order: every anchor's embedding flattened level-major, the labels
        image-major, taken together where the (image-major) weight is positive."""
        flat = torch.cat([m.permute(0, 2, 3, 1).reshape(-1, self.embed_dims) for m in cls_scores])
        sampled = torch.cat(label_weights, 1).reshape(-1) > 0
        return InstanceData(
            embeddings=flat[sampled],
            instance_ids=labels_as_ids(torch.cat(labels, 1).reshape(-1)[sampled]),
        )


def _random_subset(inds: Tensor, num: int) -> Tensor:
    return inds[torch.randperm(len(inds), device=inds.device)[: max(num, 0)]]


@MODELS.register_module()
class BoxDomainFCOSHead(FCOSHead):
    """:class:`FCOSHead` whose ``conv_cls`` is an MLP (3x3 conv, ReLU, 1x1 conv, as AlignDet's
    ``SelfSupFCOSHead``) giving an ``embed_dims`` embedding per point. ``num_samples``
    points are sampled per batch (AlignDet: 2048), positives first."""

    def __init__(
        self, *args, embed_dims: int = 256, num_samples: int = 2048, init_cfg=_HEAD_INIT, **kwargs
    ) -> None:
        self.embed_dims = embed_dims
        self.num_samples = num_samples
        super().__init__(*args, init_cfg=init_cfg, **kwargs)

    def _init_predictor(self) -> None:
        super()._init_predictor()
        self.conv_cls = embedding_mlp(self.feat_channels, self.embed_dims, conv_kernel=3)

    def loss_and_embed(
        self, x: Tuple[Tensor], batch_data_samples: SampleList, with_loss: bool = True
    ) -> Tuple[dict, InstanceData]:
        cls_scores, bbox_preds, centernesses = self(x)
        points = self.prior_generator.grid_priors(
            [m.shape[-2:] for m in cls_scores],
            dtype=bbox_preds[0].dtype,
            device=bbox_preds[0].device,
        )
        labels, bbox_targets = self.get_targets(points, ids_as_labels(batch_data_samples))
        labels = torch.cat(labels)
        pos = _random_subset(torch.nonzero(labels < 0).view(-1), self.num_samples)
        neg = _random_subset(
            torch.nonzero(labels == self.num_classes).view(-1), self.num_samples - len(pos)
        )
        sampled = torch.cat([pos, neg])
        embedded = InstanceData(
            embeddings=_per_level(cls_scores, self.embed_dims)[sampled],
            instance_ids=labels_as_ids(labels[sampled]),
        )
        if not with_loss:
            return dict(), embedded

        pos_bbox_preds = _per_level(bbox_preds, 4)[pos]
        pos_centerness = _per_level(centernesses, 1)[pos].view(-1)
        pos_bbox_targets = torch.cat(bbox_targets)[pos]
        pos_centerness_targets = self.centerness_target(pos_bbox_targets)
        centerness_denorm = max(reduce_mean(pos_centerness_targets.sum().detach()), 1e-6)
        if len(pos) == 0:  # keep the graph connected for DDP
            return dict(
                loss_bbox=pos_bbox_preds.sum(), loss_centerness=pos_centerness.sum()
            ), embedded
        num_imgs = cls_scores[0].size(0)
        pos_points = torch.cat([p.repeat(num_imgs, 1) for p in points])[pos]
        loss_bbox = self.loss_bbox(
            self.bbox_coder.decode(pos_points, pos_bbox_preds),
            self.bbox_coder.decode(pos_points, pos_bbox_targets),
            weight=pos_centerness_targets,
            avg_factor=centerness_denorm,
        )
        loss_centerness = self.loss_centerness(
            pos_centerness, pos_centerness_targets, avg_factor=len(pos)
        )
        return dict(loss_bbox=loss_bbox, loss_centerness=loss_centerness), embedded


@MODELS.register_module()
class BoxDomainSingleStageDetector(BoxDomainMixin, SingleStageDetector):
    """RetinaNet / FCOS (a :class:`SingleStageDetector` with a ``BoxDomain*Head``) for
    box-domain pre-training; the state-dict keys are those of the mmdet detector."""

    def loss_and_embed(
        self, batch_inputs: Tensor, batch_data_samples: SampleList, with_loss: bool = True
    ) -> Tuple[dict, InstanceData]:
        return self.bbox_head.loss_and_embed(
            self.extract_feat(batch_inputs), batch_data_samples, with_loss
        )
