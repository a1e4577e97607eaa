"""dpt's DAP boxes against the original's (tests/data/parity/dap/PROVENANCE.md): DAP's own
``compute_cam_box`` / ``compute_cam_twoscale`` / ``get_transform`` and maskrcnn-benchmark's
``boxlist_nms`` run on the same CAMs and images."""

import json
import os.path as osp

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from dpt.pseudo_boxes import (
    CamClassifier,
    CamSettings,
    cam_boxes,
    class_activation_maps,
    fuse_scales,
    network_input,
    nms_boxes,
)

DATA = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'data', 'parity', 'dap')
FIX = np.load(osp.join(DATA, 'dap_boxes.npz'))
META = json.load(open(osp.join(DATA, 'dap_boxes.json')))


def _check(name, boxes, atol):
    ref = FIX[f'{name}/boxes']
    assert boxes.shape == (len(ref), 5), (name, boxes.shape, ref.shape)
    np.testing.assert_allclose(boxes[:, :4], ref, atol=atol, rtol=0)
    np.testing.assert_allclose(boxes[:, 4], FIX[f'{name}/scores'], atol=1e-4, rtol=1e-4)
    for t in META['nms']:
        kept = nms_boxes(boxes, t)
        want = FIX[f'{name}/nms{t:g}']
        assert kept.shape == (len(want), 5), (name, t)
        np.testing.assert_allclose(kept[:, :4], want, atol=atol, rtol=0)


@pytest.mark.parametrize('case', META['structured'], ids=lambda c: c['name'])
def test_boxes_from_the_same_cams_are_the_originals(case):
    """Maps as a stride-32 network gives them at short sides 144 and 288; no flip. The
    arithmetic is DAP's float32 torch arithmetic: equal to the last bit here."""
    name = case['name']
    small = torch.from_numpy(FIX[f'{name}/small'])[None]
    large = torch.from_numpy(FIX[f'{name}/large'])[None]
    cell = 32 * min(case['size']) / (2 * case['scale'])  # DAP's 32 x short / (2 x scale)
    boxes = cam_boxes(fuse_scales([small, large])[0].numpy(), cell, tuple(case['size']))
    _check(name, boxes, atol=1e-4)


@pytest.mark.parametrize('case', META['transforms'], ids=lambda c: f"{c['name']}-{c['short']}")
def test_resize_normalise_pad_is_the_originals(case):
    img = Image.fromarray(FIX[f"{case['name']}/image"])
    x = network_input([img], case['short'])[0].numpy()
    np.testing.assert_allclose(x, FIX[f"{case['name']}/input{case['short']}"], atol=1e-6, rtol=0)


def _stand_in():
    """The fixture's network: a 32x32 stride-32 convolution, global pooling, a linear
    layer (DAP's ResNet replaced by one layer, same stride)."""
    conv, fc = nn.Conv2d(3, 4, 32, 32), nn.Linear(4, 3)
    conv.weight.data[:] = torch.from_numpy(FIX['net/conv.weight'])
    conv.bias.data[:] = torch.from_numpy(FIX['net/conv.bias'])
    fc.weight.data[:] = torch.from_numpy(FIX['net/fc.weight'])
    fc.bias.data[:] = torch.from_numpy(FIX['net/fc.bias'])
    return CamClassifier(nn.Sequential(conv, nn.AdaptiveAvgPool2d(1), nn.Flatten(), fc))


@pytest.mark.parametrize('case', META['images'], ids=lambda c: c['name'])
def test_boxes_of_an_image_are_the_originals(case):
    """Image -> PIL resize -> normalise -> pad -> network with its flip -> two-scale CAM ->
    boxes -> NMS, against the original end to end (float32 sums in another order: 1e-3 px)."""
    img = Image.fromarray(FIX[f"{case['name']}/image"])
    settings = CamSettings(scales=(case['scale'], 2 * case['scale']))
    cams, cell = class_activation_maps(_stand_in(), [img], [case['label']], settings)
    assert cell == 32 * min(img.size) / (2 * case['scale'])
    _check(case['name'], cam_boxes(cams[0].numpy(), cell, img.size, settings), atol=1e-3)
