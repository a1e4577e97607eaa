"""The frozen encoder of DETReg's embedding targets (Bar et al., CVPR 2022, sec. 3.2): a
self-supervised ResNet (SwAV ResNet-50 in the paper) whose global-average-pooled layer2
feature (512-d for a ResNet-50) embeds each 128x128 region crop."""
import torch
from mmengine.model import BaseModule
from torch import nn

from mmdet.registry import MODELS

from ...utils.errors import CheckpointError
from ...weights.backbone import import_backbone, load_weights_file

# ImageNet RGB statistics on the 0-255 scale, as SwAV / torchvision normalise their inputs
IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)


@MODELS.register_module()
class RegionEncoder(BaseModule):
    """Embeds (N, 3, S, S) uint8 RGB crops as (N, C) pooled features, without gradients.

    Args:
        backbone: an mmdet ``ResNet`` cut after layer2 (``num_stages=2, out_indices=(1,)``).
        checkpoint: its weights, any layout :func:`dpt.weights.import_backbone` reads (SwAV,
            MoCo, torchvision, mmselfsup ...); None keeps the random init (tests, demo).
        checkpoint_format: ``'auto'`` or a name of :data:`dpt.weights.FORMATS`.
        chunk: crops per forward pass, to bound memory.
    """

    def __init__(self, backbone, checkpoint=None, checkpoint_format='auto',
                 mean=IMAGENET_MEAN, std=IMAGENET_STD, chunk=256, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.depth = backbone.get('depth')
        self.checkpoint, self.checkpoint_format, self.chunk = checkpoint, checkpoint_format, chunk
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
        found = import_backbone(load_weights_file(path), str(path), self.checkpoint_format,
                                self.depth, min_fit=0.0)
        own = self.backbone.state_dict()
        missing = [k for k in own if k not in found.state]
        if missing:
            raise CheckpointError(f'{path}: region encoder tensor {missing[0]!r} not found '
                                  f'({len(missing)} missing)')
        self.backbone.load_state_dict({k: found.state[k] for k in own})

    def train(self, mode=True):
        # frozen: BN keeps its statistics whatever the detector's mode
        return super().train(False)

    @torch.no_grad()
    def forward(self, patches):
        """(N, 3, S, S) uint8 RGB crops -> (N, C) float features."""
        feats = []
        for part in patches.split(self.chunk):
            x = (part.to(self.mean.device).float() - self.mean) / self.std
            out = self.backbone(x)[-1]
            feats.append(nn.functional.adaptive_avg_pool2d(out, 1).flatten(1))
        if not feats:
            return self.mean.new_zeros((0, self.out_channels))
        return torch.cat(feats)

    @property
    def out_channels(self):
        """Channels of the last stage (mmdet's ResNet counts only the stages it builds)."""
        return self.backbone.feat_dim
