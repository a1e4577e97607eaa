"""CheckedCocoDataset: each bad input gets one clear error naming the file and the item."""
import json
import logging
import shutil

import pytest
from mmdet.utils import register_all_modules
from mmengine.logging import MMLogger

from dpt.datasets import CheckedCocoDataset
from dpt.utils.errors import DataError

register_all_modules(init_default_scope=True)

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True),
            dict(type='PackDetInputs')]


@pytest.fixture
def data(tmp_path, demo_data_root):
    """A private copy of the demo data that a test may damage."""
    root = tmp_path / 'demo'
    shutil.copytree(demo_data_root, root)
    return root


def build(root, ann='annotations/instances_train.json', **kw):
    from dpt.datasets.demo_data import DEMO_CLASSES
    return CheckedCocoDataset(data_root=str(root), ann_file=ann, data_prefix=dict(img='train/'),
                              metainfo=dict(classes=DEMO_CLASSES), pipeline=PIPELINE, **kw)


def edit(root, fn):
    path = root / 'annotations' / 'instances_train.json'
    coco = json.loads(path.read_text())
    fn(coco)
    path.write_text(json.dumps(coco))
    return coco


def test_clean_data_loads(data):
    ds = build(data)
    assert len(ds) > 0
    assert ds[0]['inputs'].shape[0] == 3


def test_missing_data_root(tmp_path):
    with pytest.raises(DataError, match="data root '.*nowhere' does not exist"):
        build(tmp_path / 'nowhere')


def test_missing_annotation_file(data):
    with pytest.raises(DataError, match="annotation file '.*instances_nope.json' not found"):
        build(data, ann='annotations/instances_nope.json')


def test_invalid_json(data):
    (data / 'annotations' / 'instances_train.json').write_text('{"images": [')
    with pytest.raises(DataError, match='instances_train.json: not valid JSON'):
        build(data)


def test_annotation_naming_unknown_image(data):
    def orphan(coco):
        coco['annotations'][0]['image_id'] = 999999
    edit(data, orphan)
    first_id = json.loads((data / 'annotations/instances_train.json').read_text())[
        'annotations'][0]['id']
    with pytest.raises(DataError, match=rf'annotation {first_id} names image id 999999'):
        build(data)


def test_degenerate_boxes_are_dropped_with_a_warning(data):
    def degenerate(coco):
        coco['annotations'][0]['bbox'] = [5, 5, 0, 10]              # zero width
        coco['annotations'][1]['bbox'] = [500, 500, 10, 10]         # outside the image
        coco['annotations'][2]['bbox'] = [1, 2, float('nan'), 3]    # not a number
    coco = edit(data, degenerate)
    clean_total = len(coco['annotations'])
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        ds = build(data, filter_cfg=None)
    finally:
        logger.removeHandler(handler)
    kept = sum(len(ds.get_data_info(i)['instances']) for i in range(len(ds)))
    assert kept == clean_total - 3
    text = '\n'.join(r.getMessage() for r in records if r.levelno == logging.WARNING)
    assert 'dropped 3 degenerate boxes' in text
    assert f"annotation {coco['annotations'][0]['id']}" in text


def test_corrupt_image_names_file_and_image_id(data):
    ds = build(data)
    info = ds.get_data_info(0)
    with open(info['img_path'], 'wb') as f:
        f.write(b'not an image at all')
    with pytest.raises(DataError) as e:
        ds.prepare_data(0)
    assert info['img_path'] in str(e.value)
    assert f"image id {info['img_id']}" in str(e.value)


def test_missing_image_file(data):
    ds = build(data)
    info = ds.get_data_info(1)
    (data / 'train' / info['img_path'].split('/')[-1]).unlink()
    with pytest.raises(DataError, match=rf"image id {info['img_id']}\): image file not found"):
        ds.prepare_data(1)
