"""The backbone and RoIAlign features of proposal clustering (dpt.clustering.features)."""

import pytest
import torch


def test_backbone_checkpoint(tmp_path):
    from dpt.clustering import build_backbone
    from dpt.utils.errors import CheckpointError

    model = build_backbone(18, 16, seed=1)
    path = tmp_path / 'resnet18_tiny.pth'
    torch.save(
        {'state_dict': {f'backbone.{k}': v for k, v in model.state_dict().items()}}, str(path)
    )
    loaded = build_backbone(18, 16, str(path), seed=2)
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    assert not loaded.training
    with pytest.raises(CheckpointError, match='not an mmdet ResNet-18 .base_channels 64'):
        build_backbone(18, 64, str(path))


def test_roi_features_per_proposal_in_image_pixels():
    """One vector per box, the box in the pixels of the image as read: the same image at twice
    the size (boxes doubled) is resized to the same short side and gives the same features."""
    import cv2
    import numpy as np

    from dpt.clustering import RoIFeatures, build_backbone

    rng = np.random.default_rng(0)
    small = cv2.resize(
        rng.integers(0, 255, (12, 16, 3), dtype=np.uint8), (80, 60), interpolation=cv2.INTER_CUBIC
    )
    large = cv2.resize(small, (160, 120), interpolation=cv2.INTER_NEAREST)
    boxes = np.array([[0, 0, 40, 30], [20, 10, 80, 60], [5, 5, 30, 55]], np.float32)
    extract = RoIFeatures(build_backbone(18, 16, seed=0), short_side=96, max_side=200)
    a, b = extract(small, boxes), extract(large, boxes * 2)
    assert a.shape == (3, 128) and a.dtype == torch.float32  # ResNet-18, 16 wide: 8 x 16 channels
    torch.testing.assert_close(a, b, atol=0.05 * float(a.abs().max()), rtol=0)
    assert not torch.allclose(a[0], a[1])  # other boxes, other features
    # the long side is capped: 96 / 60 * 80 > 100, so the scale is 100 / 80
    capped = RoIFeatures(extract.backbone, short_side=96, max_side=100)
    assert not torch.allclose(capped(small, boxes), a)
