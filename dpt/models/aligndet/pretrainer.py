"""AlignDet's box-domain pre-trainer: an online detector and its EMA target on two views.

Li et al., "AlignDet: Aligning Pre-training and Fine-tuning in Object Detection", ICCV 2023,
Sec. 3.3 (liming-ai/AlignDet, ``SelfSupDetector``).
"""

import copy
from typing import Dict, Optional

import torch
from mmdet.models.detectors import BaseDetector
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from torch import Tensor

from ...utils.errors import ConfigError
from .box_domain import BoxDomainMixin


@MODELS.register_module()
class BoxDomainPretrainer(BaseDetector):
    """Pre-trains the neck and heads of ``detector`` on unsupervised proposals.

    ``online`` (the detector built from ``detector``) sees the ``online`` view, ``target``
    (a copy of it, updated only as the exponential moving average of ``online`` by
    :class:`~dpt.models.aligndet.TargetMomentumHook`) sees the ``target`` view of the same
    images and proposals. Each proposal gets one instance id per batch; the loss is the
    online detector's own losses plus ``loss_contrast`` between its sampled embeddings
    (queries) and the target's (keys). The backbone of both is frozen.

    State-dict keys are ``online.<detector keys>`` and ``target.<detector keys>``; the
    embedding MLPs sit where the detector's classifier was, under its name.

    Args:
        detector (dict): Config of a detector with :class:`BoxDomainMixin`, e.g.
            ``BoxDomainTwoStageDetector`` or ``BoxDomainSingleStageDetector``.
        momentum (float): Base EMA momentum of the target (BYOL-style, annealed to 1 by the
            hook); AlignDet: 0.996.
        loss_contrast (dict): The contrastive loss; AlignDet: InfoNCE, temperature 0.5.
        views (tuple[str]): Names of the online and target branches of the data
            (``MultiBranch`` in the pipeline).
        class_agnostic (bool): Every proposal is one object class (R-CNN, RetinaNet, FCOS);
            False keeps the labels of the proposal file (DETR: the proposals' clusters).
        target_train_mode (bool): Run the target in training mode, as AlignDet does (its
            ``SelfSupDetector`` is put in train mode whole): dropout is active in the
            target too (DETR's transformer). The frozen backbone stays in eval mode either
            way. False: the target runs in eval mode.
        target_init (str): ``'copy'``: the target starts as an exact copy of the initialised
            online detector. ``'independent'``: it gets its own random init (the same
            pre-trained backbone), as in AlignDet, whose ``SelfSupDetector`` copies the
            parameters in ``__init__`` but whose train tool then calls ``init_weights()``,
            which draws the online and the target heads afresh, each on its own.
        copied_params (tuple[str]): Parameters whose name contains one of these are copied
            from the online detector instead of averaged (AlignDet: DETR's
            ``query_embedding``, "the query embedding values of the two models the same").
        data_preprocessor (dict, optional): Defaults to mmdet's
            ``MultiBranchDataPreprocessor`` around the detector's own preprocessor.
    """

    def __init__(
        self,
        detector: dict,
        momentum: float = 0.996,
        loss_contrast: dict = dict(type='InfoNCELoss', temperature=0.5, loss_weight=1.0),
        views=('online', 'target'),
        class_agnostic: bool = True,
        target_train_mode: bool = True,
        target_init: str = 'copy',
        copied_params=('query_embedding',),
        data_preprocessor: Optional[dict] = None,
        init_cfg=None,
    ) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(
                type='MultiBranchDataPreprocessor',
                data_preprocessor=detector.get(
                    'data_preprocessor', dict(type='DetDataPreprocessor')
                ),
            )
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.online = MODELS.build(detector)
        if not isinstance(self.online, BoxDomainMixin):
            raise ConfigError(
                f"BoxDomainPretrainer: detector type '{detector['type']}' cannot "
                'be pre-trained in the box domain; use BoxDomainTwoStageDetector, '
                'BoxDomainSingleStageDetector or another BoxDomainMixin detector'
            )
        self.target = copy.deepcopy(self.online)
        for param in self.target.parameters():
            param.requires_grad = False
        for param in self.online.backbone.parameters():
            param.requires_grad = False
        self.momentum = momentum
        self.loss_contrast = MODELS.build(loss_contrast)
        self.views = tuple(views)
        self.class_agnostic = class_agnostic
        self.target_train_mode = target_train_mode
        if target_init not in ('copy', 'independent'):
            raise ConfigError(
                f"BoxDomainPretrainer: target_init='{target_init}', choose "
                "'copy' or 'independent' (AlignDet's)"
            )
        self.target_init = target_init
        self.copied_params = tuple(copied_params)

    def init_weights(self) -> None:
        if self.is_init:  # as mmengine's BaseModule: never re-initialise a trained model
            return
        self.online.init_weights()
        if self.target_init == 'independent':
            self.target.init_weights()
        else:  # the target starts as an exact copy of the initialised online detector
            self.target.load_state_dict(self.online.state_dict())
        self._is_init = True

    def train(self, mode: bool = True):
        super().train(mode)
        self.target.train(mode and self.target_train_mode)
        # frozen backbones: BN statistics fixed too
        self.online.backbone.train(False)
        self.target.backbone.train(False)
        return self

    @torch.no_grad()
    def update_target(self, momentum: float) -> None:
        """target <- momentum * target + (1 - momentum) * online, for the trained parameters
        (the frozen ones, e.g. the backbone, stay equal in both; buffers are not averaged, as
        AlignDet's ``SelfSupDetector.momentum_update``); ``copied_params`` are copied."""
        target = dict(self.target.named_parameters())
        for name, param in self.online.named_parameters():
            if any(part in name for part in self.copied_params):
                target[name].copy_(param.detach())
            elif param.requires_grad:
                target[name].mul_(momentum).add_(param.detach(), alpha=1 - momentum)

    def loss(
        self, multi_batch_inputs: Dict[str, Tensor], multi_batch_data_samples: Dict[str, SampleList]
    ) -> dict:
        online_view, target_view = self.views
        branches = sorted(multi_batch_inputs) if isinstance(multi_batch_inputs, dict) else []
        if not set(self.views) <= set(branches):
            raise ConfigError(
                f'BoxDomainPretrainer needs the views {list(self.views)} but the '
                f'data has branches {branches}: end the train pipeline with '
                f'MultiBranch(branch_field={list(self.views)}, ...)'
            )
        online_samples = multi_batch_data_samples[online_view]
        target_samples = multi_batch_data_samples[target_view]
        self._assign_instance_ids(online_samples, target_samples)

        with torch.no_grad():
            _, keys = self.target.loss_and_embed(
                multi_batch_inputs[target_view], target_samples, with_loss=False
            )
        losses, queries = self.online.loss_and_embed(
            multi_batch_inputs[online_view], online_samples
        )
        losses['loss_contrast'] = self.loss_contrast(
            queries.embeddings, queries.instance_ids, keys.embeddings, keys.instance_ids
        )
        return losses

    def _assign_instance_ids(self, online_samples: SampleList, target_samples: SampleList) -> None:
        """Proposal ``j`` of image ``i`` is instance ``sum(n_<i) + j`` in both views."""
        views, offset = self.views, 0
        for online, target in zip(online_samples, target_samples):
            n = len(online.gt_instances)
            if len(target.gt_instances) != n:
                raise ConfigError(
                    f"{online.metainfo.get('img_path')}: {n} proposals in the {views[0]} view "
                    f'but {len(target.gt_instances)} in the {views[1]} view; the view '
                    'pipelines must keep every box (no crop, no box filter)'
                )
            for sample in (online, target):
                gt = sample.gt_instances
                gt.instance_ids = torch.arange(offset, offset + n, device=gt.bboxes.device)
                if self.class_agnostic:
                    gt.labels = torch.zeros_like(gt.labels)
            offset += n

    def predict(self, batch_inputs, batch_data_samples):
        raise NotImplementedError(
            'a box-domain pre-trainer has embeddings, not classifiers: extract the online '
            'detector (tools/model_converters/extract_detector_weights.py) and fine-tune it'
        )

    def _forward(self, batch_inputs, batch_data_samples=None):
        return self.online._forward(batch_inputs, batch_data_samples)

    def extract_feat(self, batch_inputs: Tensor):
        return self.online.extract_feat(batch_inputs)
