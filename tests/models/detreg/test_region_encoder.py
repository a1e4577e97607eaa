"""DETReg's region encoder with SwAV's projection head (``--obj_embedding_head head``)."""

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from torch import nn

import dpt  # noqa: F401
from dpt.models.detreg import RegionEncoder
from dpt.utils.errors import CheckpointError

register_all_modules()
FULL_R18 = dict(type='ResNet', depth=18, num_stages=4, out_indices=(3,), init_cfg=None)
PROJECTION = dict(hidden_channels=32, out_channels=16, normalize=True)


def _swav_like_checkpoint(path, with_head=True):
    """A SwAV-layout file: 'module.'-prefixed ResNet-18, projection head, prototypes."""
    ref = MODELS.build(FULL_R18)
    head = nn.Sequential(nn.Linear(512, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 16))
    head.eval()
    head[1].running_mean.uniform_(-1, 1)
    state = {f'module.{k}': v for k, v in ref.state_dict().items()}
    if with_head:
        state.update({f'module.projection_head.{k}': v for k, v in head.state_dict().items()})
    state['module.prototypes.weight'] = torch.randn(30, 16)
    torch.save(state, path)
    ref.eval()  # mmdet ResNet.train returns None
    return ref, head


def test_projection_target_matches_swav_forward(tmp_path):
    path = tmp_path / 'swav.pth'
    ref, head = _swav_like_checkpoint(path)
    enc = RegionEncoder(FULL_R18, checkpoint=str(path), projection=PROJECTION)
    enc.init_weights()
    assert enc.out_channels == 16
    crops = torch.randint(0, 255, (4, 3, 64, 64), dtype=torch.uint8)
    feats = enc(crops)
    x = (crops.float() / 255 - enc.mean) / enc.std
    with torch.no_grad():
        want = nn.functional.normalize(head(ref(x)[-1].mean(dim=(2, 3))), dim=1)
    assert feats.shape == (4, 16)
    torch.testing.assert_close(feats, want)
    torch.testing.assert_close(feats.norm(dim=1), torch.ones(4))


def test_projection_needs_the_head_in_the_checkpoint(tmp_path):
    path = tmp_path / 'moco.pth'
    _swav_like_checkpoint(path, with_head=False)
    enc = RegionEncoder(FULL_R18, checkpoint=str(path), projection=PROJECTION)
    with pytest.raises(
        CheckpointError, match="moco.pth: projection head tensor 'projection_head.0"
    ):
        enc.init_weights()


def test_no_projection_keeps_the_pooled_feature(tmp_path):
    path = tmp_path / 'swav.pth'
    ref, _ = _swav_like_checkpoint(path)
    enc = RegionEncoder(FULL_R18, checkpoint=str(path))
    enc.init_weights()
    crops = torch.randint(0, 255, (2, 3, 64, 64), dtype=torch.uint8)
    x = (crops.float() / 255 - enc.mean) / enc.std
    with torch.no_grad():
        torch.testing.assert_close(enc(crops), ref(x)[-1].mean(dim=(2, 3)))
