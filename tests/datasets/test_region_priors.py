"""DETReg's region priors: boxes from the online search or a proposal file, crops (against
DETReg's own, tests/data/parity/detreg), the view and its packing."""

import json
import os
import random

import mmcv
import numpy as np
import pytest
import torch
from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.utils import register_all_modules

import dpt  # noqa: F401  (registers the transforms)
from dpt.datasets.transforms.region_priors import crop_box, crop_regions, simclr_augmentation
from dpt.models.detreg import RegionEncoder
from dpt.utils.errors import ConfigError, DataError

register_all_modules()
PARITY = os.path.join(
    os.path.dirname(os.path.dirname(__file__)), 'data', 'parity', 'detreg', 'region_crops.npz'
)


@pytest.fixture(scope='module')
def parity():
    return dict(np.load(PARITY))


def _normalize(crops):
    enc = RegionEncoder(
        dict(
            type='ResNet',
            depth=18,
            num_stages=1,
            out_indices=(0,),
            strides=(1,),
            dilations=(1,),
            init_cfg=None,
        )
    )
    return enc.normalize_patches(crops)


def test_crops_as_detreg(parity):
    """Crops and the encoder's input are DETReg's (PIL crop of the rounded box, PIL bilinear
    resize to 128, / 255, ImageNet mean / std) exactly; so are the targets of a fixed encoder."""
    crops = crop_regions(parity['image'], parity['boxes'], 128)
    x = _normalize(crops)
    torch.testing.assert_close(x, torch.from_numpy(parity['crops_val']), rtol=0, atol=0)
    feats = torch.nn.functional.relu(
        torch.nn.functional.conv2d(
            x,
            torch.from_numpy(parity['conv_weight']),
            torch.from_numpy(parity['conv_bias']),
            stride=4,
        )
    ).mean(dim=(2, 3))
    torch.testing.assert_close(feats, torch.from_numpy(parity['targets_val']), rtol=1e-5, atol=1e-6)


def test_crop_augmentation_as_detreg(parity):
    """The SimCLR augmentation draws and applies what DETReg's does: same seeds, same crops."""
    aug = simclr_augmentation()
    for seed, want in zip(parity['train_seeds'], parity['crops_train']):
        box = parity['boxes'][len([s for s in parity['train_seeds'] if s < seed])]
        torch.manual_seed(int(seed))
        random.seed(int(seed))
        crop = crop_regions(parity['image'], box[None], 128, augmentation=aug)
        torch.testing.assert_close(_normalize(crop)[0], torch.from_numpy(want), rtol=0, atol=0)


def test_crop_box_rounds_as_pil():
    assert crop_box(np.float32([10.5, 3.5, 40.5, 33.5]), 90, 70) == (10, 4, 40, 34)
    assert crop_box([5.2, 5.2, 5.3, 5.4], 90, 70) == (5, 5, 6, 6)  # never empty


@pytest.fixture(scope='module')
def image(demo_data_root):
    path = os.path.join(demo_data_root, 'train', sorted(os.listdir(demo_data_root + 'train'))[0])
    return path, mmcv.imread(path)


@pytest.fixture(scope='module')
def proposal_file(demo_data_root, tmp_path_factory):
    """Forty boxes per demo train image, COCO-style, as make_proposals.py writes them."""
    with open(os.path.join(demo_data_root, 'annotations', 'instances_train.json')) as f:
        images = json.load(f)['images']
    anns = [
        dict(
            id=len(images) * 40 + k,
            image_id=im['id'],
            category_id=1,
            bbox=[k, k, 40, 30],
            area=1200,
            iscrowd=0,
        )
        for im in images
        for k in range(40)
    ]
    for i, ann in enumerate(anns):
        ann['id'] = i + 1
    path = tmp_path_factory.mktemp('detreg') / 'proposals.json'
    path.write_text(
        json.dumps(dict(images=images, annotations=anns, categories=[dict(id=1, name='proposal')]))
    )
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
    t = TRANSFORMS.build(
        dict(type='RegionPriors', source=source, proposal_file=proposal_file, seed=0)
    )
    results = t(dict(img=img.copy(), img_path=path, img_shape=img.shape[:2]))
    _check_boxes(results, img)
    if source == 'cache':  # the first 30 in file order
        assert results['gt_bboxes'].tensor[29].tolist() == [29, 29, 69, 59]


def test_too_few_priors_resample(image, proposal_file):
    path, img = image
    t = TRANSFORMS.build(
        dict(type='RegionPriors', source='cache', proposal_file=proposal_file, num_priors=1)
    )
    assert t(dict(img=img.copy(), img_path=path)) is None  # mmengine loads another image


def test_bad_settings(tmp_path):
    with pytest.raises(ConfigError):
        TRANSFORMS.build(dict(type='RegionPriors', source='nope'))
    t = TRANSFORMS.build(
        dict(type='RegionPriors', source='cache', proposal_file=str(tmp_path / 'missing.json'))
    )
    with pytest.raises(DataError, match='missing.json'):
        t(dict(img=np.zeros((8, 8, 3), np.uint8), img_path='a.jpg'))


def test_crops_follow_the_view(image, proposal_file):
    """Crops come from the original image; a view crop that drops boxes drops their crops."""
    path, img = image
    boxes = np.array([[0, 0, 40, 20], [100, 100, 160, 160]], np.float32)
    crops = crop_regions(np.ascontiguousarray(img[..., ::-1]), boxes, 32)
    assert crops.shape == (2, 3, 32, 32)
    pipeline = [
        TRANSFORMS.build(c)
        for c in (
            dict(type='RegionPriors', source='cache', proposal_file=proposal_file, augment=False),
            dict(type='RandomCrop', crop_size=(60, 60), allow_negative_crop=True),
            dict(type='RandomFlip', prob=1.0),
            dict(type='PackRegionPriors'),
        )
    ]
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
    ds = DATASETS.build(
        dict(
            type='CocoDataset',
            data_root=demo_data_root,
            ann_file='annotations/instances_train.json',
            data_prefix=dict(img='train/'),
            filter_cfg=dict(filter_empty_gt=False),
            metainfo=dict(classes=('object',)),
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='RegionPriors', source='cache', proposal_file=str(sparse), patch_size=16),
                dict(type='PackRegionPriors'),
            ],
        )
    )
    idx = next(i for i in range(len(ds)) if ds.get_data_info(i)['img_id'] == first)
    sample = ds[idx]['data_samples']
    assert sample.img_id != first and len(sample.gt_instances) == 30


def test_view_crop_as_detreg(parity):
    """mmdet's RandomCrop keeps, clips and drops the boxes (and so the crops) of a region as
    DETReg's view crop does."""
    boxes = parity['view_boxes']
    for r, (top, left, h, w) in enumerate(parity['view_regions']):
        t = TRANSFORMS.build(
            dict(
                type='RandomCrop',
                crop_type='absolute',
                crop_size=(int(w), int(h)),
                allow_negative_crop=True,
            )
        )
        t._rand_offset = lambda margin, o=(int(top), int(left)): o
        results = t(
            dict(
                img=np.zeros((500, 600, 3), np.uint8),
                gt_bboxes=HorizontalBoxes(boxes),
                gt_bboxes_labels=np.zeros(len(boxes), np.int64),
                gt_ignore_flags=np.zeros(len(boxes), bool),
                gt_instances_ids=np.arange(len(boxes)),
            )
        )
        assert results['img'].shape[:2] == (h, w)
        np.testing.assert_array_equal(results['gt_instances_ids'], parity[f'view_kept_{r}'])
        np.testing.assert_array_equal(results['gt_bboxes'].numpy(), parity[f'view_boxes_{r}'])


VIEW = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    'configs',
    'detreg',
    '_base_',
    'pretrain_view.py',
)


def test_view_branches(image, proposal_file):
    """DETReg's view: both branches are taken (plain resize; resize -> 384-600 crop -> resize),
    boxes stay in the image, every box keeps its crop, < 2 boxes left -> another image."""
    from mmengine.config import Config

    path, img = image
    view = Config.fromfile(VIEW)
    big = mmcv.imrescale(img, (800, 640))  # 640 x 640: the crop branch can cut boxes away
    pipeline = [
        TRANSFORMS.build(c)
        for c in (
            dict(type='RegionPriors', source='online', patch_size=16, augment=False, seed=0),
            *view.detreg_view,
            dict(type='PackRegionPriors'),
        )
    ]
    np.random.seed(0)
    random.seed(0)
    sides = set()
    for _ in range(24):
        results = dict(img=big.copy(), img_path=path, img_shape=big.shape[:2])
        for t in pipeline:
            results = t(results)
            if results is None:
                break
        if results is None:
            continue
        h, w = results['data_samples'].img_shape
        sides.add((min(h, w), max(h, w)))
        assert min(h, w) <= max(view.detreg_scales) and max(h, w) <= 600
        gt = results['data_samples'].gt_instances
        assert len(gt) >= 2 and len(gt.patches) == len(gt)
        b = gt.bboxes.tensor
        assert (b[:, 0] >= 0).all() and (b[:, 2] <= w).all() and (b[:, 3] <= h).all()
    # square input: the plain branch keeps it square, the crop branch mostly not
    assert any(a == b for a, b in sides) and any(a != b for a, b in sides)
    few = TRANSFORMS.build(dict(type='MinRegionPriors', min_priors=2))
    assert few(dict(gt_bboxes=HorizontalBoxes(np.zeros((1, 4), np.float32)))) is None


def test_detr_resize_sizes_as_detreg(parity):
    """DETRResize gives DETReg's resize sizes and boxes (its datasets/transforms.py resize) for
    the view's and the fine-tuning's short sides and limits; mmdet's keep-ratio Resize
    differs by a pixel in about half of these cases."""
    for w, h, size, max_size, new_w, new_h, *box in parity['view_resize']:
        w, h, size, max_size = int(w), int(h), int(size), int(max_size)
        t = TRANSFORMS.build(
            dict(
                type='DETRResize', keep_ratio=True, backend='pillow', scale=(max(max_size, 0), size)
            )
        )
        results = t(
            dict(
                img=np.zeros((h, w, 3), np.uint8),
                img_shape=(h, w),
                gt_bboxes=HorizontalBoxes(np.float32([[1.5, 2.5, w - 3.25, h - 1.75]])),
            )
        )
        assert results['img'].shape[:2] == (new_h, new_w) == results['img_shape']
        np.testing.assert_allclose(results['gt_bboxes'].numpy()[0], box, rtol=1e-6, atol=1e-4)
