"""Deformable DETR head with DETReg's embedding branch (Bar et al., CVPR 2022, sec. 3.2;
amirbar/DETReg ``models/deformable_detr.py``: ``feature_embed`` and ``loss_object_embedding``).

The detection losses are Deformable DETR's, over one class (the region priors): sigmoid focal
x2, L1 x5, GIoU x2 on every decoder layer, Hungarian matching with costs 2/5/2. Beside them,
``feature_embed`` (an MLP, embed_dims -> embed_dims -> feature_dims) predicts for each query
of the last decoder layer the embedding of the region it was matched to, under a plain L1
loss (weight 1); the pairs come from the matching of the last layer's detection losses.
"""

import torch
from mmdet.models.dense_heads import DeformableDETRHead
from mmdet.models.layers import MLP
from mmdet.registry import MODELS

from ...utils.errors import DataError
from ..detr_common import QueryEmbeddingMixin, recorded_matches

# the embedding branch's name, DETReg's: fine-tuning has no such module, so weight extraction
# leaves it out (dpt.weights.detector.OUTPUT_LAYERS)
EMBEDDING = 'feature_embed'


class DETRegEmbeddingMixin(QueryEmbeddingMixin):
    """DETReg's ``feature_embed``: an MLP embed_dims -> embed_dims -> feature_dims."""

    embedding_name = EMBEDDING

    def build_embedding(self):
        return MLP(self.embed_dims, self.embed_dims, self.feature_dims, 2)


@MODELS.register_module()
class DETRegHead(DETRegEmbeddingMixin, DeformableDETRHead):
    """:class:`DeformableDETRHead` plus ``feature_embed`` and ``loss_embed``.

    Args:
        feature_dims: size of the embedding targets (512: SwAV ResNet-50 layer2).
        loss_embed: loss between matched queries' embeddings and their targets.
        *args, **kwargs: as ``DeformableDETRHead`` (``num_classes=1`` for DETReg).
    """

    def __init__(
        self, *args, feature_dims=512, loss_embed=dict(type='L1Loss', loss_weight=1.0), **kwargs
    ):
        self.feature_dims = feature_dims
        super().__init__(*args, **kwargs)
        self.loss_embed = MODELS.build(loss_embed)

    def loss(
        self, hidden_states, references, enc_outputs_class, enc_outputs_coord, batch_data_samples
    ):
        """Deformable DETR's losses plus ``loss_embed``; the samples' ``gt_instances`` carry
        ``embeddings`` (num_boxes, feature_dims), set by :class:`DETReg`."""
        with recorded_matches(self) as matches:
            losses = super().loss(
                hidden_states, references, enc_outputs_class, enc_outputs_coord, batch_data_samples
            )
        losses['loss_embed'] = embedding_loss(self, hidden_states, matches, batch_data_samples)
        return losses


def embedding_loss(head, hidden_states, matches, batch_data_samples):
    """``head.loss_embed`` between the embedding branch of the last decoder layer's matched
    queries and their regions' embeddings;
    ``matches`` as :func:`dpt.models.detr_common.recorded_matches` gives."""
    num_layers, num_imgs = hidden_states.shape[0], len(batch_data_samples)
    last = matches[(num_layers - 1) * num_imgs : num_layers * num_imgs]
    embeddings = head.embed_queries(hidden_states[-1])  # (B, Q, feature_dims)
    preds, targets = [], []
    for embedding, gt_inds, sample in zip(embeddings, last, batch_data_samples):
        gt = sample.gt_instances
        if 'embeddings' not in gt:
            raise DataError(
                f"{sample.metainfo.get('img_path')}: no region embeddings; "
                'the pipeline needs RegionPriors and PackRegionPriors'
            )
        matched = gt_inds > 0
        preds.append(embedding[matched])
        targets.append(gt.embeddings[gt_inds[matched] - 1].to(embedding.dtype))
    preds, targets = torch.cat(preds), torch.cat(targets)
    if len(preds):
        return head.loss_embed(preds, targets)
    return embeddings.sum() * 0  # every box cropped away: keep the branch in the graph for DDP
