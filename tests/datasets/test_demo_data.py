"""The synthetic demo dataset: deterministic, valid COCO, hard enough, written safely."""

import itertools
import json
import os
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from _cli import one_error_line, run
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

import dpt.datasets.demo_data as demo_data
from dpt.datasets.demo_data import DEMO_CLASSES, draw_samples, make_demo_dataset, mask_to_polygons
from dpt.utils.errors import DataError

SMALL = dict(num_train=12, num_val=4)


@pytest.fixture(scope='module')
def medium(tmp_path_factory):
    """60 + 12 images: enough for statistics over classes, sizes and occlusion."""
    root = tmp_path_factory.mktemp('demo') / 'medium'
    make_demo_dataset(root, num_train=60, num_val=12, seed=3)
    return root


def files(root):
    return sorted(p for p in Path(root).rglob('*') if p.is_file())


def box_iou(a, b):
    iw = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    ih = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    inter = max(iw, 0) * max(ih, 0)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def decode(ann, size=160):
    rles = mask_utils.frPyObjects(ann['segmentation'], size, size)
    return mask_utils.decode(mask_utils.merge(rles))


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    a = make_demo_dataset(tmp_path / 'a', seed=1, **SMALL)
    b = make_demo_dataset(tmp_path / 'b', seed=1, **SMALL)
    make_demo_dataset(tmp_path / 'c', seed=2, **SMALL)
    assert a['created'] and b['created'] and a['train']['images'] == 12 and a['val']['images'] == 4
    fa, fb = files(tmp_path / 'a'), files(tmp_path / 'b')
    assert [p.relative_to(tmp_path / 'a') for p in fa] == [
        p.relative_to(tmp_path / 'b') for p in fb
    ]
    assert len([p for p in fa if p.suffix == '.jpg']) == 16
    for pa, pb in zip(fa, fb):
        assert pa.read_bytes() == pb.read_bytes(), pa
        if pa.suffix == '.jpg':
            assert np.array_equal(cv2.imread(str(pa)), cv2.imread(str(pb)))
    for name in ('train', 'val'):
        ann = f'annotations/instances_{name}.json'
        assert (tmp_path / 'a' / ann).read_text() != (tmp_path / 'c' / ann).read_text()
    val_a = cv2.imread(str(tmp_path / 'a/val/000000.jpg'))
    img_a = cv2.imread(str(tmp_path / 'a/train/000000.jpg'))
    assert np.abs(img_a.astype(int) - val_a).mean() > 10  # splits do not repeat each other
    img_c = cv2.imread(str(tmp_path / 'c/train/000000.jpg'))
    assert np.abs(img_a.astype(int) - img_c).mean() > 10
    meta = json.loads((tmp_path / 'a' / 'meta.json').read_text())
    assert meta['params'] == dict(num_train=12, num_val=4, image_size=160, seed=1)
    assert meta['classes'] == list(DEMO_CLASSES) and 'format_version' in meta


def test_any_image_regenerates_alone(medium):
    """Image k does not depend on the images before it."""
    img, objs = demo_data.render_image(3, 0, 7)
    ok, buf = cv2.imencode('.jpg', img, [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok and buf.tobytes() == (medium / 'train' / '000007.jpg').read_bytes()
    coco = json.loads((medium / 'annotations' / 'instances_train.json').read_text())
    assert len([a for a in coco['annotations'] if a['image_id'] == 8]) == len(objs)


@pytest.mark.parametrize('split', ['train', 'val'])
def test_valid_coco_with_masks_matching_boxes(medium, split):
    coco = COCO(str(medium / 'annotations' / f'instances_{split}.json'))
    assert [coco.cats[i]['name'] for i in sorted(coco.cats)] == list(DEMO_CLASSES)
    assert sorted(coco.imgs) == list(range(1, len(coco.imgs) + 1))
    ious = []
    for ann in coco.anns.values():
        info = coco.imgs[ann['image_id']]
        w, h = info['width'], info['height']
        assert (medium / split / info['file_name']).is_file() and info['file_name'].endswith('.jpg')
        x, y, bw, bh = ann['bbox']
        assert all(isinstance(v, float) for v in ann['bbox'])
        assert 0 <= x and 0 <= y and bw > 0 and bh > 0 and x + bw <= w and y + bh <= h
        assert ann['iscrowd'] == 0 and ann['area'] >= demo_data.MIN_VISIBLE_PIXELS
        polys = ann['segmentation']
        assert polys and all(len(p) >= 6 and len(p) % 2 == 0 for p in polys)
        m = coco.annToMask(ann)
        ys, xs = np.nonzero(m)
        decoded = [xs.min(), ys.min(), xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min()]
        ious.append(box_iou(decoded, ann['bbox']))
        assert abs(m.sum() - ann['area']) <= 0.1 * ann['area'] + 3
    assert min(ious) > 0.9 and np.mean(ious) > 0.98


def test_polygons_round_trip_with_holes():
    """A ring with an object inside its hole: the polygons must leave the hole empty."""
    m = np.zeros((64, 64), np.uint8)
    cv2.circle(m, (30, 30), 20, 1, -1)
    cv2.circle(m, (30, 30), 10, 0, -1)
    cv2.rectangle(m, (28, 28), (32, 32), 1, -1)
    cv2.rectangle(m, (55, 55), (60, 60), 1, -1)
    rle = mask_utils.merge(mask_utils.frPyObjects(mask_to_polygons(m), 64, 64))
    back = mask_utils.decode(rle)
    assert back[30, 24] == 0 and back[30, 30] == 1 and back[57, 57] == 1
    assert (back & m).sum() / (back | m).sum() > 0.99


def test_content_is_varied_and_occluded(medium):
    coco = json.loads((medium / 'annotations' / 'instances_train.json').read_text())
    anns = coco['annotations']
    assert {a['category_id'] for a in anns} == set(range(1, 7))
    per_image = np.bincount([a['image_id'] for a in anns], minlength=len(coco['images']) + 1)[1:]
    assert per_image.mean() > 3 and per_image.max() <= 7
    sides = np.array([max(a['bbox'][2:]) for a in anns])
    assert sides.min() < 16 and sides.max() > 60 and (sides < 32).mean() > 0.3
    # Occlusion: overlapping boxes whose masks are disjoint (each keeps only its visible part).
    by_image = {}
    for a in anns:
        by_image.setdefault(a['image_id'], []).append(a)
    overlapping = 0
    for group in by_image.values():
        for a, b in itertools.combinations(group, 2):
            if box_iou(a['bbox'], b['bbox']) > 0.05:
                overlapping += 1
                both = decode(a) & decode(b)
                assert both.sum() <= 0.05 * min(a['area'], b['area'])
    assert overlapping >= 10
    # Objects are textured, not flat colour: pixels inside some masks vary a lot.
    img = cv2.imread(str(medium / 'train' / '000000.jpg'))
    stds = [img[decode(a) > 0].std() for a in by_image[1]]
    assert max(stds) > 5


def test_second_call_is_a_no_op(tmp_path):
    root = tmp_path / 'demo'
    make_demo_dataset(root, **SMALL)
    before = {p: p.stat().st_mtime_ns for p in files(root)}
    again = make_demo_dataset(root, **SMALL)
    assert not again['created'] and again['train']['objects'] > 0
    assert {p: p.stat().st_mtime_ns for p in files(root)} == before
    assert sorted(os.listdir(tmp_path)) == ['demo']  # no temporary folder left behind


def test_other_parameters_refused_unless_overwrite(tmp_path):
    root = tmp_path / 'demo'
    make_demo_dataset(root, **SMALL)
    before = {p: p.read_bytes() for p in files(root)}
    with pytest.raises(DataError) as e:
        make_demo_dataset(root, num_train=6, num_val=4)
    msg = str(e.value)
    assert str(root) in msg and 'num_train' in msg and '\n' not in msg
    assert {p: p.read_bytes() for p in files(root)} == before
    made = make_demo_dataset(root, num_train=6, num_val=4, overwrite=True)
    assert made['created'] and len(list((root / 'train').glob('*.jpg'))) == 6
    assert sorted(os.listdir(tmp_path)) == ['demo']


def test_foreign_folder_is_never_touched(tmp_path):
    root = tmp_path / 'mine'
    root.mkdir()
    (root / 'notes.txt').write_text('keep me')
    for overwrite in (False, True):  # overwrite replaces only an earlier demo dataset
        with pytest.raises(DataError, match='not a demo dataset'):
            make_demo_dataset(root, overwrite=overwrite, **SMALL)
    assert os.listdir(root) == ['notes.txt'] and sorted(os.listdir(tmp_path)) == ['mine']


def test_failure_leaves_nothing_behind(tmp_path, monkeypatch):
    calls = []

    def broken(*args):
        calls.append(args)
        if len(calls) == 5:
            raise RuntimeError('disk full')
        return render(*args)

    render = demo_data.render_image
    monkeypatch.setattr(demo_data.write, 'render_image', broken)  # where the writer finds it
    with pytest.raises(RuntimeError):
        make_demo_dataset(tmp_path / 'demo', **SMALL)
    assert os.listdir(tmp_path) == []


def test_draw_samples(medium, tmp_path):
    grid = draw_samples(medium, split='val', num=6, out_file=tmp_path / 'grid.png')
    assert grid.shape == cv2.imread(str(tmp_path / 'grid.png')).shape
    assert grid.shape[0] > 300 and grid.shape[1] > 4 * 300  # two rows of four tiles, zoomed 2x


def test_cli(tmp_path):
    out = tmp_path / 'cli'
    tool = 'tools/misc/make_demo_data.py'
    proc = run(
        sys.executable,
        tool,
        '--out',
        str(out),
        '--num-train',
        '6',
        '--num-val',
        '2',
        '--preview',
        str(tmp_path / 'p.png'),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1 and str(out) in lines[0] and 'train 6 images' in lines[0]
    assert cv2.imread(str(tmp_path / 'p.png')) is not None
    assert len(COCO(str(out / 'annotations' / 'instances_val.json')).imgs) == 2

    proc = run(
        sys.executable, tool, '--out', str(out), '--num-train', '7', '--num-val', '2', timeout=300
    )
    line = one_error_line(proc, 'make_demo_data')
    assert str(out) in line and 'num_train' in line


def test_classification_split(tmp_path):
    """Class folders, balanced, the folder's class dominant (the largest box) in every image,
    true boxes kept aside; same bytes again; a detection folder is refused."""
    from dpt.datasets.demo_data import make_demo_classification

    s = make_demo_classification(tmp_path / 'cls', num_train=12, num_val=6)
    root = Path(s['out_dir'])
    assert sorted(os.listdir(root / 'train')) == sorted(DEMO_CLASSES)
    assert all(len(os.listdir(root / 'train' / c)) == 2 for c in DEMO_CLASSES)
    coco = COCO(s['train']['ann_file'])
    names = {c['id']: c['name'] for c in coco.dataset['categories']}
    for img in coco.dataset['images']:
        folder = img['file_name'].split('/')[0]
        assert names[img['label']] == folder and (root / 'train' / img['file_name']).is_file()
        anns = coco.imgToAnns[img['id']]
        dominant = [a for a in anns if a['dominant']]
        assert len(dominant) == 1 and dominant[0]['category_id'] == img['label']
        assert dominant[0]['bbox'][2] * dominant[0]['bbox'][3] == max(
            a['bbox'][2] * a['bbox'][3] for a in anns
        )
    before = files(root)
    assert not make_demo_classification(root, num_train=12, num_val=6)['created']
    assert files(root) == before
    make_demo_classification(tmp_path / 'det_as_cls', num_train=2, num_val=1)
    with pytest.raises(DataError, match='other parameters .*task classification != detection'):
        make_demo_dataset(tmp_path / 'det_as_cls', num_train=2, num_val=1)
    grid = draw_samples(root, split='val', num=4, cols=2)
    assert grid.shape[0] > 2 * 300


def test_cli_classification(tmp_path):
    out = tmp_path / 'cls'
    proc = run(
        sys.executable,
        'tools/misc/make_demo_data.py',
        '--task',
        'classification',
        '--out',
        str(out),
        '--num-train',
        '6',
        '--num-val',
        '0',
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'train 6 images' in proc.stdout and (out / 'annotations' / 'train_gt.json').is_file()


# SHA-256 of tiny demo sets (relative paths and bytes of every file) made by the generator
# before it was split into modules; a change to the rendering or the writing changes them.
# Computed with the pinned OpenCV (requirements.txt) and NumPy 2.4: JPEG encoding and numpy's
# distributions may differ under other versions, so the test is skipped there.
_TINY_HASHES = dict(
    detection='c838695bba97c0733f442f8745743db34d09671e0da70b5b551950ab8c26561c',
    classification='d3486b6564558ddecb8316994e6ce0c43cc3717c5259aa46667771ac77b2b118',
    grid='4db2098ae1266864f3a2d90b59fba51d16eb28953ff237e283f829290243f693',
)


def tree_hash(root):
    import hashlib

    h = hashlib.sha256()
    for p in files(root):
        h.update(str(p.relative_to(root)).encode() + b'\0' + p.read_bytes() + b'\0')
    return h.hexdigest()


@pytest.mark.skipif(
    not (cv2.__version__.startswith('4.14.') and np.__version__.startswith('2.4.')),
    reason='hashes recorded with OpenCV 4.14 and NumPy 2.4',
)
def test_generated_bytes_unchanged(tmp_path):
    import hashlib

    from dpt.datasets.demo_data import make_demo_classification

    make_demo_dataset(tmp_path / 'det', num_train=3, num_val=2, image_size=64, seed=5)
    make_demo_classification(tmp_path / 'cls', num_train=6, num_val=1, image_size=64, seed=5)
    grid = draw_samples(tmp_path / 'det', split='train', num=3, cols=2)
    assert tree_hash(tmp_path / 'det') == _TINY_HASHES['detection']
    assert tree_hash(tmp_path / 'cls') == _TINY_HASHES['classification']
    assert hashlib.sha256(grid.tobytes()).hexdigest() == _TINY_HASHES['grid']
