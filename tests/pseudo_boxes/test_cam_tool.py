"""Class activation maps of timm / torchvision classifiers, and the pseudo-box tool end to
end: outputs, resuming, a corrupt image, bad input."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from dpt.pseudo_boxes import CamSettings, build_classifier, class_activation_maps
from dpt.utils.errors import CheckpointError, ConfigError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TIMM_KW = dict(channels=(4, 8, 8, 8), stem_width=4)


def _save_timm(path, num_classes=2):
    import timm
    torch.manual_seed(0)
    net = timm.create_model('resnet18', num_classes=num_classes, **TIMM_KW)
    torch.save({'state_dict': {f'module.{k}': v for k, v in net.state_dict().items()}}, path)
    return net.eval()


@pytest.mark.parametrize('family', ['timm', 'torchvision'])
def test_cam_is_the_classifier_applied_per_location(tmp_path, family):
    if family == 'timm':
        net = _save_timm(tmp_path / 'c.pth', 3)
        clf = build_classifier('timm:resnet18', str(tmp_path / 'c.pth'), TIMM_KW)
    else:
        import torchvision
        net = torchvision.models.resnet18(num_classes=3).eval()
        torch.save(net.state_dict(), tmp_path / 'c.pth')
        clf = build_classifier('torchvision:resnet18', str(tmp_path / 'c.pth'))
    assert clf.num_classes == 3
    x = torch.rand(2, 3, 64, 64) * 255
    labels = torch.tensor([0, 2])
    with torch.no_grad():
        logits = net((x - clf.mean) / clf.std)
        cams = clf.cams(x, labels)
    # global average of the map + bias = the logit of the label
    torch.testing.assert_close(cams.mean(dim=(1, 2)) + clf.fc.bias[labels],
                               logits[torch.arange(2), labels], rtol=1e-4, atol=1e-4)


def test_flip_averaged_maps_mirror_with_the_image(tmp_path):
    _save_timm(tmp_path / 'c.pth')
    clf = build_classifier('timm:resnet18', str(tmp_path / 'c.pth'), TIMM_KW)
    x = torch.rand(1, 3, 48, 64) * 255
    both = class_activation_maps(clf, torch.cat([x, x.flip(-1)]), torch.tensor([1, 1]),
                                 CamSettings(scales=(64, 96)))
    torch.testing.assert_close(both[0], both[1].flip(-1), rtol=1e-4, atol=1e-4)
    assert both.shape[-2:] == (3, 4) and float(both.min()) == 0 and float(both.max()) == 1


def test_wrong_checkpoint_and_spec(tmp_path):
    _save_timm(tmp_path / 'c.pth')
    with pytest.raises(CheckpointError, match="c.pth: tensor 'layer1.0.conv1.weight' missing or of "
                                              'another shape for timm:resnet18'):
        build_classifier('timm:resnet18', str(tmp_path / 'c.pth'))  # default widths
    with pytest.raises(ConfigError, match='write timm:<model> or torchvision:<model>'):
        build_classifier('resnet18', str(tmp_path / 'c.pth'))


@pytest.fixture
def image_folder(tmp_path):
    rng = np.random.default_rng(0)
    for cls in ('a', 'b'):
        (tmp_path / 'imgs' / cls).mkdir(parents=True)
        for i in range(3):
            img = rng.integers(0, 255, (40, 48, 3), dtype=np.uint8)
            Image.fromarray(img).save(tmp_path / 'imgs' / cls / f'{i}.jpg')
    (tmp_path / 'imgs' / 'b' / '2.jpg').write_bytes(b'broken')
    _save_timm(tmp_path / 'c.pth')
    return tmp_path


def _tool(root, *extra):
    cmd = [sys.executable, 'tools/misc/make_cam_boxes.py', str(root / 'imgs'), '--classifier',
           'timm:resnet18', '--checkpoint', str(root / 'c.pth'), '--model-kwargs',
           json.dumps(TIMM_KW), '--out', str(root / 'out' / 'cam'), '--scales', '48', '64',
           *extra]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_tool_resumes_reports_failures_and_writes_coco(image_folder):
    from dpt.datasets.coco import CheckedCOCO
    root = image_folder
    r = _tool(root, '--limit', '2', '--nms', '0.8', '0.5')
    assert r.returncode == 0, r.stderr[-2000:]
    assert os.path.isfile(root / 'out' / 'cam.partial.jsonl')
    r = _tool(root, '--nms', '0.8', '0.5')
    assert r.returncode == 0, r.stderr[-2000:]
    assert '6 images, 2 done already, 4 to do' in r.stdout
    assert 'b/2.jpg: corrupt image (skipped)' in r.stdout
    data = json.load(open(root / 'out' / 'cam_nms0.8.json'))
    assert [c['name'] for c in data['categories']] == ['a', 'b']
    assert len(data['images']) == 5 and data['failed_images'][0]['file_name'] == 'b/2.jpg'
    labels = {im['id']: im['label'] for im in data['images']}
    assert data['annotations'] and all(a['category_id'] == labels[a['image_id']]
                                       for a in data['annotations'])
    for a in data['annotations']:
        x, y, w, h = a['bbox']
        assert 0 <= x and 0 <= y and x + w <= 48.01 and y + h <= 40.01
    assert len(json.load(open(root / 'out' / 'cam_nms0.5.json'))['annotations']) <= len(
        data['annotations'])
    CheckedCOCO(str(root / 'out' / 'cam_nms0.8.json'))  # a valid COCO file
    assert os.path.isfile(root / 'out' / 'cam.partial.jsonl')  # kept: one image failed


def test_tool_bad_input_is_one_line(image_folder):
    r = _tool(image_folder, '--checkpoint', str(image_folder / 'none.pth'))
    assert r.returncode == 2 and r.stderr.strip().splitlines()[-1].startswith(
        'make_cam_boxes: error:') and 'none.pth' in r.stderr
