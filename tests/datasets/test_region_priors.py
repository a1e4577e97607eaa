"""DETReg's region priors: boxes from the online search or a proposal file, crops, packing."""
import json
import os

import mmcv
import numpy as np
import pytest
import torch

from mmdet.registry import TRANSFORMS
from mmdet.utils import register_all_modules

import dpt  # noqa: F401  (registers the transforms)
from dpt.datasets.transforms.region_priors import crop_regions
from dpt.utils.errors import ConfigError, DataError

register_all_modules()


@pytest.fixture(scope='module')
def image(demo_data_root):
    path = os.path.join(demo_data_root, 'train', sorted(os.listdir(demo_data_root + 'train'))[0])
    return path, mmcv.imread(path)


@pytest.fixture(scope='module')
def proposal_file(demo_data_root, tmp_path_factory):
    """Forty boxes per demo train image, COCO-style, as make_proposals.py writes them."""
    with open(os.path.join(demo_data_root, 'annotations', 'instances_train.json')) as f:
        images = json.load(f)['images']
    anns = [dict(id=len(images) * 40 + k, image_id=im['id'], category_id=1,
                 bbox=[k, k, 40, 30], area=1200, iscrowd=0)
            for im in images for k in range(40)]
    for i, ann in enumerate(anns):
        ann['id'] = i + 1
    path = tmp_path_factory.mktemp('detreg') / 'proposals.json'
    path.write_text(json.dumps(dict(images=images, annotations=anns,
                                    categories=[dict(id=1, name='proposal')])))
    return str(path)


def _check_boxes(results, img):
    h, w = img.shape[:2]
    boxes = results['gt_bboxes'].tensor
    assert 2 <= len(boxes) <= 30
    assert (boxes[:, 0] >= 0).all() and (boxes[:, 2] <= w).all()
    assert (boxes[:, 1] >= 0).all() and (boxes[:, 3] <= h).all()
    assert (results['gt_bboxes_labels'] == 0).all()
    assert results['region_patches'].shape == (len(boxes), 3, 128, 128)
    assert results['region_patches'].dtype == torch.uint8


@pytest.mark.parametrize('source', ['online', 'cache'])
def test_region_priors_sources(source, image, proposal_file):
    path, img = image
    t = TRANSFORMS.build(dict(type='RegionPriors', source=source, proposal_file=proposal_file,
                              seed=0))
    results = t(dict(img=img.copy(), img_path=path, img_shape=img.shape[:2]))
    _check_boxes(results, img)
    if source == 'cache':  # the first 30 in file order
        assert results['gt_bboxes'].tensor[29].tolist() == [29, 29, 69, 59]


def test_too_few_priors_resample(image, proposal_file):
    path, img = image
    t = TRANSFORMS.build(dict(type='RegionPriors', source='cache', proposal_file=proposal_file,
                              num_priors=1))
    assert t(dict(img=img.copy(), img_path=path)) is None  # mmengine loads another image


def test_bad_settings(tmp_path):
    with pytest.raises(ConfigError):
        TRANSFORMS.build(dict(type='RegionPriors', source='nope'))
    t = TRANSFORMS.build(dict(type='RegionPriors', source='cache',
                              proposal_file=str(tmp_path / 'missing.json')))
    with pytest.raises(DataError, match='missing.json'):
        t(dict(img=np.zeros((8, 8, 3), np.uint8), img_path='a.jpg'))


def test_crops_follow_the_view(image, proposal_file):
    """Crops come from the original image; a view crop that drops boxes drops their crops."""
    path, img = image
    boxes = np.array([[0, 0, 40, 20], [100, 100, 160, 160]], np.float32)
    crops = crop_regions(img[..., ::-1], boxes, 32)
    assert crops.shape == (2, 3, 32, 32)
    pipeline = [TRANSFORMS.build(c) for c in (
        dict(type='RegionPriors', source='cache', proposal_file=proposal_file, augment=False),
        dict(type='RandomCrop', crop_size=(60, 60), allow_negative_crop=True),
        dict(type='RandomFlip', prob=1.0),
        dict(type='PackRegionPriors'))]
    results = dict(img=img.copy(), img_path=path)
    for t in pipeline:
        results = t(results)
    gt = results['data_samples'].gt_instances
    assert len(gt.patches) == len(gt.bboxes) <= 30
    assert gt.patches.shape[1:] == (3, 128, 128)


def test_dataset_resamples(demo_data_root, proposal_file, tmp_path):
    """Images with < 2 priors are replaced by others (mmengine's dataset, training mode)."""
    from mmdet.registry import DATASETS
    with open(proposal_file) as f:
        data = json.load(f)
    first = data['images'][0]['id']
    data['annotations'] = [a for a in data['annotations'] if a['image_id'] != first]
    sparse = tmp_path / 'sparse.json'
    sparse.write_text(json.dumps(data))
    ds = DATASETS.build(dict(
        type='CocoDataset', data_root=demo_data_root,
        ann_file='annotations/instances_train.json', data_prefix=dict(img='train/'),
        filter_cfg=dict(filter_empty_gt=False), metainfo=dict(classes=('object',)),
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='RegionPriors', source='cache', proposal_file=str(sparse),
                       patch_size=16),
                  dict(type='PackRegionPriors')]))
    idx = next(i for i in range(len(ds)) if ds.get_data_info(i)['img_id'] == first)
    sample = ds[idx]['data_samples']
    assert sample.img_id != first and len(sample.gt_instances) == 30
