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


def test_flip_averaged_maps_mirror_with_the_image(tmp_path):
    _save_timm(tmp_path / 'c.pth')
    clf = build_classifier('timm:resnet18', str(tmp_path / 'c.pth'), TIMM_KW)
    rng = np.random.default_rng(0)
    # 96 x 64: both scales' inputs are multiples of 32, no padding to break the symmetry
    img = Image.fromarray(rng.integers(0, 255, (64, 96, 3), dtype=np.uint8))
    both, cell = class_activation_maps(
        clf,
        [img, img.transpose(Image.FLIP_LEFT_RIGHT)],
        torch.tensor([1, 1]),
        CamSettings(scales=(64, 128)),
    )
    torch.testing.assert_close(both[0], both[1].flip(-1), rtol=1e-4, atol=1e-4)
    # 128 px short side -> 192 x 128 -> a 6 x 4 map of 32 px cells = 16 image px
    assert both.shape[-2:] == (4, 6) and cell == pytest.approx(32 * 64 / 128)
    assert float(both.min()) >= 0 and float(both.max()) <= 1
    # with padding (64 x 48 -> 85 x 64 padded to 96 x 64) the padded input is what is
    # flipped, as in DAP's script: the maps of an image and its mirror then differ
    small = Image.fromarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8))
    cams, _ = class_activation_maps(
        clf,
        [small, small.transpose(Image.FLIP_LEFT_RIGHT)],
        torch.tensor([1, 1]),
        CamSettings(scales=(64, 128)),
    )
    assert cams.shape[-2:] == (4, 6)


def test_wrong_checkpoint_and_spec(tmp_path):
    _save_timm(tmp_path / 'c.pth')
    with pytest.raises(
        CheckpointError,
        match="c.pth: tensor 'layer1.0.conv1.weight' missing or of another shape for timm:resnet18",
    ):
        build_classifier('timm:resnet18', str(tmp_path / 'c.pth'))  # default widths
    with pytest.raises(CheckpointError, match="c.pth: no 'classifier.1.weight' .*pass num_classes"):
        build_classifier('torchvision:mobilenet_v2', str(tmp_path / 'c.pth'))  # another net
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
    cmd = [
        sys.executable,
        'tools/misc/make_cam_boxes.py',
        str(root / 'imgs'),
        '--classifier',
        'timm:resnet18',
        '--checkpoint',
        str(root / 'c.pth'),
        '--model-kwargs',
        json.dumps(TIMM_KW),
        '--out',
        str(root / 'out' / 'cam'),
        '--scales',
        '48',
        '64',
        *extra,
    ]
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
    assert data['annotations'] and all(
        a['category_id'] == labels[a['image_id']] for a in data['annotations']
    )
    for a in data['annotations']:
        x, y, w, h = a['bbox']
        assert 0 <= x and 0 <= y and x + w <= 48.01 and y + h <= 40.01
    assert len(json.load(open(root / 'out' / 'cam_nms0.5.json'))['annotations']) <= len(
        data['annotations']
    )
    CheckedCOCO(str(root / 'out' / 'cam_nms0.8.json'))  # a valid COCO file
    assert os.path.isfile(root / 'out' / 'cam.partial.jsonl')  # kept: one image failed
    first = data['annotations'][0]
    assert first['score'] == 1.0  # DAP's ranking: area relative to the image's first box


@pytest.mark.parametrize(
    'change',
    [
        ('--scales', '48', '96'),
        ('--thresholds', '0.3'),
        ('--checkpoint', 'other'),
        ('--num-classes', '2'),
    ],
)
def test_resume_only_into_the_same_settings(image_folder, change):
    root = image_folder
    r = _tool(root, '--limit', '1')
    assert r.returncode == 0, r.stderr[-2000:]
    before = (root / 'out' / 'cam.partial.jsonl').read_text()
    extra = list(change)
    if change[0] == '--checkpoint':  # the same weights under another name
        (root / 'other.pth').write_bytes((root / 'c.pth').read_bytes())
        extra = ['--checkpoint', str(root / 'other.pth')]
    r = _tool(root, *extra)
    assert r.returncode == 2
    line = r.stderr.strip().splitlines()[-1]
    assert 'cam.partial.jsonl: left by a run with other settings' in line
    key = {
        '--scales': 'settings.scales [48, 64] there, [48, 96] now',
        '--thresholds': 'settings.thresholds [0.2, 0.3, 0.4, 0.5] there, [0.3] now',
        '--checkpoint': 'checkpoint.path',
        '--num-classes': 'num_classes null there, 2 now',
    }
    assert key[change[0]] in line, line
    assert (root / 'out' / 'cam.partial.jsonl').read_text() == before  # nothing mixed in
    r = _tool(root)  # the same settings resume
    assert r.returncode == 0 and '6 images, 1 done already' in r.stdout, r.stderr[-2000:]


def test_tool_bad_input_is_one_line(image_folder):
    r = _tool(image_folder, '--checkpoint', str(image_folder / 'none.pth'))
    assert (
        r.returncode == 2
        and r.stderr.strip().splitlines()[-1].startswith('make_cam_boxes: error:')
        and 'none.pth' in r.stderr
    )
