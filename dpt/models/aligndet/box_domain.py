"""What a detector provides for box-domain pre-training (AlignDet, ICCV 2023, Sec. 3).

:class:`~dpt.models.aligndet.BoxDomainPretrainer` runs two copies of a detector on two views
of the same images and proposals. It gives every proposal an instance id (stored as
``gt_instances.instance_ids``, the same in both views) and asks each copy for
:meth:`BoxDomainMixin.loss_and_embed`: the detector's own losses that need no other view
(RPN, box regression, centerness) and the embeddings of the positions it sampled (RoIs,
anchors, points), each tagged with the instance id of the proposal it was assigned to, or
-1 for a sampled background position. A new detector family (e.g. DETR) joins by
subclassing its mmdet detector with this mixin; the pre-trainer does not change.
"""

from typing import List, Optional, Tuple

import torch
import torch.nn as nn
from mmdet.structures import SampleList
from mmengine.structures import InstanceData
from torch import Tensor


class BoxDomainMixin:
    """Mixin for an mmdet detector pre-trained in the box domain.

    The backbone is frozen (AlignDet trains neck and heads on top of an image-domain
    backbone), so its features are computed without autograd.
    """

    def extract_feat(self, batch_inputs: Tensor) -> Tuple[Tensor]:
        with torch.no_grad():
            x = self.backbone(batch_inputs)
        return self.neck(x) if self.with_neck else x

    def loss_and_embed(
        self, batch_inputs: Tensor, batch_data_samples: SampleList, with_loss: bool = True
    ) -> Tuple[dict, InstanceData]:
        """Losses (empty without ``with_loss``) and ``InstanceData(embeddings, instance_ids)``
        of the sampled positions of the batch."""
        raise NotImplementedError


def embedding_mlp(
    in_channels: int,
    out_channels: int,
    hidden_channels: Optional[int] = None,
    conv_kernel: Optional[int] = None,
) -> nn.Sequential:
    """The fc-ReLU-fc projection of MoCo v2 that AlignDet puts where the classifier was.

    With ``conv_kernel`` the layers are convolutions (dense heads): the first with that kernel,
    the second 1x1.
    """
    hidden = hidden_channels or in_channels
    if conv_kernel is None:
        return nn.Sequential(
            nn.Linear(in_channels, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, out_channels)
        )
    return nn.Sequential(
        nn.Conv2d(in_channels, hidden, conv_kernel, padding=conv_kernel // 2),
        nn.ReLU(inplace=True),
        nn.Conv2d(hidden, out_channels, 1),
    )


def ids_as_labels(batch_data_samples: SampleList) -> List[InstanceData]:
    """Copies of the gt instances whose labels encode the instance ids as ``-1 - id``.

    mmdet's dense-head target functions return per-position labels and mark background with
    ``num_classes``; negative labels keep every instance id apart from that marker.
    """
    gts = []
    for sample in batch_data_samples:
        gt = sample.gt_instances.clone()
        gt.labels = -1 - gt.instance_ids
        gts.append(gt)
    return gts


def labels_as_ids(labels: Tensor) -> Tensor:
    """Instance ids back from :func:`ids_as_labels` labels; -1 for background."""
    return torch.where(labels < 0, -1 - labels, labels.new_full((), -1))
