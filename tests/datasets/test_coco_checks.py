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

PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs'),
]


@pytest.fixture
def data(tmp_path, demo_data_root):
    """A private copy of the demo data that a test may damage."""
    root = tmp_path / 'demo'
    shutil.copytree(demo_data_root, root)
    return root


def build(root, ann='annotations/instances_train.json', **kw):
    from dpt.datasets.demo_data import DEMO_CLASSES

    return CheckedCocoDataset(
        data_root=str(root),
        ann_file=ann,
        data_prefix=dict(img='train/'),
        metainfo=dict(classes=DEMO_CLASSES),
        pipeline=PIPELINE,
        **kw,
    )


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
    first_id = json.loads((data / 'annotations/instances_train.json').read_text())['annotations'][
        0
    ]['id']
    with pytest.raises(DataError, match=rf'annotation {first_id} names image id 999999'):
        build(data)


def test_degenerate_boxes_are_dropped_with_a_warning(data):
    def degenerate(coco):
        coco['annotations'][0]['bbox'] = [5, 5, 0, 10]  # zero width
        coco['annotations'][1]['bbox'] = [500, 500, 10, 10]  # outside the image
        coco['annotations'][2]['bbox'] = [1, 2, float('nan'), 3]  # not a number

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


TRAIN_FILTER = dict(filter_empty_gt=True, min_size=4)


def _warnings(fn):
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        result = fn()
    finally:
        logger.removeHandler(handler)
    return result, [r.getMessage() for r in records if r.levelno == logging.WARNING]


def test_empty_annotations_leave_nothing_to_train_on(data):
    edit(data, lambda coco: coco.update(annotations=[]))
    with pytest.raises(
        DataError,
        match=r"instances_train.json: no image to train on: its "
        r"'annotations' list is empty",
    ):
        build(data, filter_cfg=TRAIN_FILTER)


def test_no_category_of_the_config(data):
    def labelme(coco):  # a file converted with another class list
        for i, cat in enumerate(coco['categories']):
            cat['name'] = f'part_{i}'

    edit(data, labelme)
    with pytest.raises(DataError) as e:
        build(data, filter_cfg=TRAIN_FILTER)
    msg = str(e.value)
    assert 'instances_train.json: none of its categories (part_0, part_1' in msg
    assert "is one of the config's classes (circle, square, triangle" in msg


def test_image_without_size(data):
    coco = edit(data, lambda coco: coco['images'][2].pop('height'))
    img = coco['images'][2]
    with pytest.raises(
        DataError,
        match=rf"image id {img['id']} \(images\[2\], "
        rf"{img['file_name']}\) has no positive 'height'",
    ):
        build(data)


def test_file_that_is_not_utf8(data):
    path = data / 'annotations' / 'instances_train.json'
    path.write_bytes(path.read_bytes().replace(b'"circle"', b'"c\xe9rcle"'))
    with pytest.raises(DataError, match=r'instances_train.json: not UTF-8 text'):
        build(data)


def test_json_that_is_a_list(data):
    (data / 'annotations' / 'instances_train.json').write_text('[{"id": 1}]')
    with pytest.raises(
        DataError,
        match=r'instances_train.json: the file holds a JSON list, '
        r"not an object with 'images'",
    ):
        build(data)


def test_repeated_image_id(data):
    def repeat(coco):
        coco['images'][5]['id'] = coco['images'][1]['id']

    coco = edit(data, repeat)
    with pytest.raises(
        DataError,
        match=rf"image id {coco['images'][1]['id']} is listed twice "
        r"in 'images' \(images\[1\] and images\[5\]\)",
    ):
        build(data)


def test_repeated_annotation_id(data):
    def repeat(coco):
        coco['annotations'][4]['id'] = coco['annotations'][0]['id']

    coco = edit(data, repeat)
    with pytest.raises(
        DataError,
        match=rf"annotation id {coco['annotations'][0]['id']} is "
        r'used twice \(annotations\[0\] and annotations\[4\]\)',
    ):
        build(data)


def test_image_id_given_as_a_string(data):
    def stringify(coco):
        coco['annotations'][0]['image_id'] = str(coco['annotations'][0]['image_id'])

    coco = edit(data, stringify)
    iid = coco['annotations'][0]['image_id']
    with pytest.raises(
        DataError,
        match=rf"names image id '{iid}' \(a string; the image id in "
        rf"'images' is the number {iid}\), which is not in",
    ):
        build(data)


def test_unknown_category_is_one_warning_with_the_count(data):
    def unknown(coco):
        for ann in coco['annotations'][:3]:
            ann['category_id'] = 99

    coco = edit(data, unknown)
    ds, warnings = _warnings(lambda: build(data, filter_cfg=None))
    kept = sum(len(ds.get_data_info(i)['instances']) for i in range(len(ds)))
    assert kept == len(coco['annotations']) - 3
    mine = [w for w in warnings if 'category_id' in w]
    assert len(mine) == 1
    assert (
        "instances_train.json: dropped 3 annotations whose category_id is not in "
        "'categories' (category_id 99; first: annotation "
        f"{coco['annotations'][0]['id']} of image"
    ) in mine[0]


def test_image_of_another_size_than_the_file_says(data):
    def wrong(coco):
        coco['images'][0]['width'] += 40

    coco = edit(data, wrong)
    ds = build(data)
    info = ds.get_data_info(0)
    assert info['img_id'] == coco['images'][0]['id']
    with pytest.raises(DataError) as e:
        ds.prepare_data(0)
    h, w = coco['images'][0]['height'], coco['images'][0]['width']
    assert str(e.value) == (
        f"{info['img_path']} (image id {info['img_id']}): the image is "
        f'{w - 40}x{h} px but {ds.ann_file} says {w}x{h} (width x height); '
        'its boxes would not fit the image'
    )


def test_zero_byte_image(data):
    ds = build(data)
    info = ds.get_data_info(0)
    open(info['img_path'], 'wb').close()
    with pytest.raises(DataError) as e:
        ds.prepare_data(0)
    assert (
        str(e.value) == f"{info['img_path']} (image id {info['img_id']}): empty image file "
        '(0 bytes)'
    )
