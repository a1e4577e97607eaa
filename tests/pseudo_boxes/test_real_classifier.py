"""A real ImageNet network: torchvision's MobileNetV2 (fetched by tools/setup_env.sh into the
cache; dpt.utils.offline_weights) classifies scikit-image's photos sensibly, and its DAP
boxes land on the object."""

import numpy as np
import pytest
import torch
from PIL import Image

from dpt.pseudo_boxes import (
    CamSettings,
    build_classifier,
    cam_boxes,
    class_activation_maps,
    network_input,
    nms_boxes,
)
from dpt.utils.offline_weights import mobilenet_v2_imagenet

CHECKPOINT = mobilenet_v2_imagenet(check=True)
pytestmark = pytest.mark.skipif(
    CHECKPOINT is None,
    reason='torchvision MobileNetV2 ImageNet weights not in the cache '
    '(tools/setup_env.sh fetches them; or set DPT_MOBILENET_V2)',
)

# the object in each photo, drawn by hand (x0, y0, x1, y1), and acceptable ImageNet classes
PHOTOS = {
    'chelsea': ((80, 20, 400, 300), {281, 282, 283, 284, 285}),  # the cat: cat classes
    'coffee': ((60, 20, 520, 390), {967, 968, 504}),  # espresso, cup, coffee mug
    'astronaut': ((60, 20, 480, 512), None),
}  # the person (no ImageNet class)


@pytest.fixture(scope='module')
def classifier():
    return build_classifier('torchvision:mobilenet_v2', CHECKPOINT)


def _photo(name):
    import skimage.data

    return Image.fromarray(getattr(skimage.data, name)()).convert('RGB')


def _iou(a, b):
    w = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    return w * h / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h)


def test_the_checkpoint_class_count_comes_from_its_classifier(classifier):
    assert classifier.num_classes == 1000 and classifier.fc_name == 'classifier.1'


@pytest.mark.parametrize('name', ['chelsea', 'coffee'])
def test_classifies_photos(classifier, name):
    with torch.no_grad():
        top = int(classifier(network_input([_photo(name)], 224)).argmax())
    assert top in PHOTOS[name][1]


@pytest.mark.parametrize('name', list(PHOTOS))
def test_cam_boxes_land_on_the_object(classifier, name):
    img = _photo(name)
    with torch.no_grad():
        label = int(classifier(network_input([img], 224)).argmax())
    cams, cell = class_activation_maps(classifier, [img], [label], CamSettings())
    cam = cams[0].numpy()
    boxes = nms_boxes(cam_boxes(cam, cell, img.size), 0.8)
    obj = PHOTOS[name][0]
    assert max(_iou(b, obj) for b in boxes[:, :4]) >= 0.5
    y, x = np.unravel_index(cam.argmax(), cam.shape)  # the CAM's peak is on the object
    assert obj[0] <= (x + 0.5) * cell <= obj[2] and obj[1] <= (y + 0.5) * cell <= obj[3]
    # a box elsewhere (the image's opposite corner region) is not what it finds
    assert all(_iou(b, (0, img.size[1] - 60, 60, img.size[1])) < 0.1 for b in boxes[:, :4])


def test_the_tool_with_torchvisions_own_checkpoint(tmp_path):
    """As a new user runs it: torchvision's file, no --num-classes, no --model-kwargs."""
    import json
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for name in ('chelsea', 'coffee'):
        _photo(name).save(tmp_path / f'{name}.png')
    (tmp_path / 'list.txt').write_text('chelsea.png 285\ncoffee.png 967\n')
    r = subprocess.run(
        [
            sys.executable,
            'tools/misc/make_cam_boxes.py',
            str(tmp_path),
            '--list',
            str(tmp_path / 'list.txt'),
            '--classifier',
            'torchvision:mobilenet_v2',
            '--checkpoint',
            CHECKPOINT,
            '--out',
            str(tmp_path / 'out' / 'cam'),
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    data = json.load(open(tmp_path / 'out' / 'cam_nms0.8.json'))
    assert len(data['categories']) == 968 and len(data['images']) == 2
    for im in data['images']:
        obj = PHOTOS[im['file_name'][:-4]][0]
        boxes = [a['bbox'] for a in data['annotations'] if a['image_id'] == im['id']]
        assert max(_iou((x, y, x + w, y + h), obj) for x, y, w, h in boxes) >= 0.5
