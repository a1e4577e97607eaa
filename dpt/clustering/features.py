"""One feature vector per proposal: RoIAlign on a frozen ResNet's last stage, for
:mod:`dpt.clustering` (AlignDet, ICCV 2023, App. B.5: the image-domain backbone's features).

The image is resized as for testing (short side 800, long side <= 1333), RoIAlign 7x7 of each
proposal on the stride-32 stage, averaged to one vector per proposal.
"""

from typing import Optional

import numpy as np
import torch

from ..utils.constants import IMAGENET_MEAN_255, IMAGENET_STD_255
from ..utils.errors import CheckpointError

STRIDE = 32  # of a ResNet's last stage


def build_backbone(
    depth: int = 50, base_channels: int = 64, checkpoint: Optional[str] = None, seed: int = 0
):
    """mmdet's ResNet (last stage only, eval mode) from an mmdet ResNet state dict (e.g.
    tools/model_converters/convert_backbone.py's output; a detector's ``backbone.*`` keys
    also do), or randomly initialised with ``seed`` when ``checkpoint`` is None."""
    from mmdet.models.backbones import ResNet

    from ..utils.state_dict import compare_state_dicts, state_dict_of
    from ..weights.backbone import load_weights_file

    with torch.random.fork_rng():
        torch.manual_seed(seed)
        # PyTorch's default init (mmengine's init_weights would log every tensor)
        model = ResNet(depth=depth, base_channels=base_channels, out_indices=(3,), style='pytorch')
    if checkpoint:
        state = state_dict_of(load_weights_file(checkpoint))
        if any(k.startswith('backbone.') for k in state):
            state = {
                k[len('backbone.') :]: v for k, v in state.items() if k.startswith('backbone.')
            }
        report = compare_state_dicts(state, model.state_dict())
        missing = [k for k in report.missing if not k.endswith('num_batches_tracked')]
        if missing or report.shape_mismatch:
            bad = [k for k, _, _ in report.shape_mismatch] + missing
            raise CheckpointError(
                f'{checkpoint}: not an mmdet ResNet-{depth} (base_channels {base_channels}) '
                f"state dict: {len(bad)} tensors missing or of another shape (e.g. '{bad[0]}'); "
                'convert it with tools/model_converters/convert_backbone.py'
            )
        model.load_state_dict({k: state[k] for k in report.loaded}, strict=False)
    model.eval()  # mmdet's ResNet.train() returns None
    return model


class RoIFeatures:
    """One vector per proposal: the mean of its RoIAlign (``roi_size`` squared) on the
    backbone's last stage, the image resized to ``short_side`` (long side <= ``max_side``)."""

    def __init__(
        self, backbone, short_side: int = 800, max_side: int = 1333, roi_size: int = 7, device='cpu'
    ) -> None:
        self.backbone = backbone.to(device)
        self.short_side, self.max_side, self.roi_size = short_side, max_side, roi_size
        self.device = torch.device(device)
        # ImageNet's RGB statistics: the pytorch-style ResNets AlignDet starts from
        self.mean = torch.tensor(IMAGENET_MEAN_255, device=device).view(1, 3, 1, 1)
        self.std = torch.tensor(IMAGENET_STD_255, device=device).view(1, 3, 1, 1)

    @torch.no_grad()
    def __call__(self, rgb: np.ndarray, boxes_xyxy: np.ndarray) -> torch.Tensor:
        import cv2
        from torchvision.ops import roi_align

        h, w = rgb.shape[:2]
        scale = min(self.short_side / min(h, w), self.max_side / max(h, w))
        size = (max(int(w * scale + 0.5), 1), max(int(h * scale + 0.5), 1))
        img = torch.from_numpy(cv2.resize(rgb, size, interpolation=cv2.INTER_LINEAR))
        img = img.to(self.device).permute(2, 0, 1)[None].float()
        feat = self.backbone((img - self.mean) / self.std)[-1]
        boxes = torch.as_tensor(boxes_xyxy, dtype=torch.float32, device=self.device)
        rois = torch.cat([boxes.new_zeros(len(boxes), 1), boxes * scale], 1)
        pooled = roi_align(
            feat, rois, self.roi_size, spatial_scale=1 / STRIDE, sampling_ratio=2, aligned=True
        )
        return pooled.mean((2, 3)).float()
