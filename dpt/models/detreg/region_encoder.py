"""The frozen encoder of DETReg's embedding targets (Bar et al., CVPR 2022, sec. 3.2): a
self-supervised ResNet (SwAV ResNet-50 in the paper) whose global-average-pooled layer2
feature (512-d for a ResNet-50) embeds each 128x128 region crop.

DETReg's ``--obj_embedding_head`` chooses between that (``intermediate``, its default) and
``head``: the whole SwAV ResNet-50, pooled, through SwAV's projection head (Linear 2048 ->
2048, BatchNorm, ReLU, Linear -> 128) and L2-normalised, a 128-d target. ``projection``
here builds the latter; its weights are the checkpoint's ``projection_head.*``.
"""

from collections import OrderedDict

import torch
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from torch import nn

from ...utils.constants import IMAGENET_MEAN, IMAGENET_STD
from ...utils.errors import CheckpointError
from ...utils.state_dict import checkpoint_state, load_weights_file
from ...weights.backbone import import_backbone


@MODELS.register_module()
class RegionEncoder(BaseModule):
    """Embeds (N, 3, S, S) uint8 RGB crops as (N, C) pooled features, without gradients.

    Args:
        backbone: an mmdet ``ResNet`` cut after layer2 (``num_stages=2, out_indices=(1,)``).
        checkpoint: its weights, any layout :func:`dpt.weights.import_backbone` reads (SwAV,
            MoCo, torchvision, mmselfsup ...); None keeps the random init (tests, demo).
        checkpoint_format: ``'auto'`` or a name of :data:`dpt.weights.FORMATS`.
        mean, std: RGB input statistics on the 0-1 scale (ImageNet's, as DETReg).
        chunk: crops per forward pass, to bound memory.
        projection: None (the pooled feature of the backbone's last stage is the target), or
            ``dict(hidden_channels=2048, out_channels=128, normalize=True)``: SwAV's
            projection head on it, as DETReg's ``--obj_embedding_head head`` (then the
            backbone is the whole ResNet, ``num_stages=4``).
    """

    def __init__(
        self,
        backbone,
        checkpoint=None,
        checkpoint_format='auto',
        mean=IMAGENET_MEAN,
        std=IMAGENET_STD,
        chunk=256,
        projection=None,
        init_cfg=None,
    ):
        super().__init__(init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.depth = backbone.get('depth')
        self.checkpoint, self.checkpoint_format, self.chunk = checkpoint, checkpoint_format, chunk
        self.projection_head, self.normalize = None, False
        if projection is not None:
            hidden, out = (
                projection.get('hidden_channels', 2048),
                projection.get('out_channels', 128),
            )
            # SwAV's layout (projection_head.0 / .1 / .3), so its checkpoint keys load as they are
            self.projection_head = nn.Sequential(
                nn.Linear(self.backbone.feat_dim, hidden),
                nn.BatchNorm1d(hidden),
                nn.ReLU(inplace=True),
                nn.Linear(hidden, out),
            )
            self.normalize = projection.get('normalize', True)
        self.register_buffer('mean', torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(std).view(1, 3, 1, 1), persistent=False)
        self.requires_grad_(False)
        self.eval()

    def init_weights(self):
        # after the ResNet's own init, which would otherwise overwrite the checkpoint
        super().init_weights()
        if self.checkpoint:
            self.load_checkpoint(self.checkpoint)

    def load_checkpoint(self, path):
        """Load the encoder's ResNet from ``path``; every tensor it has must be found."""
        from ...weights.mobilenet import find_mobilenet_v2

        checkpoint = load_weights_file(path)
        found = find_mobilenet_v2(checkpoint, str(path), self.checkpoint_format) or import_backbone(
            checkpoint, str(path), self.checkpoint_format, self.depth, min_fit=0.0
        )
        own = self.backbone.state_dict()
        missing = [k for k in own if k not in found.state]
        if missing:
            raise CheckpointError(
                f'{path}: region encoder tensor {missing[0]!r} not found ({len(missing)} missing)'
            )
        self.backbone.load_state_dict({k: found.state[k] for k in own})
        if self.projection_head is not None:
            self._load_projection(checkpoint, path)

    def _load_projection(self, checkpoint, path):
        head = OrderedDict()
        for key, value in checkpoint_state(checkpoint, str(path)).items():
            if key.startswith('projection_head.'):
                head[key[len('projection_head.') :]] = value
        own = self.projection_head.state_dict()
        missing = [k for k in own if k not in head or head[k].shape != own[k].shape]
        if missing:
            raise CheckpointError(
                f"{path}: projection head tensor 'projection_head.{missing[0]}' not found or "
                f'of another shape ({len(missing)} of {len(own)}); a SwAV checkpoint has them'
            )
        self.projection_head.load_state_dict({k: head[k] for k in own})

    def train(self, mode=True):
        # frozen: BN keeps its statistics whatever the detector's mode
        return super().train(False)

    def normalize_patches(self, patches):
        """uint8 RGB crops -> the encoder's input: ``/ 255``, then ``(x - mean) / std``."""
        return (patches.to(self.mean.device).float().div(255) - self.mean) / self.std

    @torch.no_grad()
    def forward(self, patches):
        """(N, 3, S, S) uint8 RGB crops -> (N, C) float features."""
        feats = []
        for part in patches.split(self.chunk):
            x = self.normalize_patches(part)
            out = self.backbone(x)[-1]
            feat = nn.functional.adaptive_avg_pool2d(out, 1).flatten(1)
            if self.projection_head is not None:
                feat = self.projection_head(feat)
                if self.normalize:
                    feat = nn.functional.normalize(feat, dim=1, p=2)
            feats.append(feat)
        if not feats:
            return self.mean.new_zeros((0, self.out_channels))
        return torch.cat(feats)

    @property
    def out_channels(self):
        """Size of the targets: the projection's, else the last stage's channels (mmdet's
        ResNet counts only the stages it builds)."""
        if self.projection_head is not None:
            return self.projection_head[-1].out_features
        if hasattr(self.backbone, 'feat_dim'):
            return self.backbone.feat_dim
        with torch.no_grad():  # another backbone (mmdet's MobileNetV2): its last output's
            return self.backbone(self.mean.new_zeros(1, 3, 32, 32))[-1].shape[1]
