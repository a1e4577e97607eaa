"""UnlabelledImageFolder: a plain (ImageNet-style) folder of images for DETReg pre-training."""

import os
import shutil

import pytest
from mmdet.registry import DATASETS
from mmdet.utils import register_all_modules
from mmengine.config import Config

import dpt  # noqa: F401
from dpt.utils.errors import DataError

register_all_modules()
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='RegionPriors', source='online', num_priors=30, min_priors=2, patch_size=32, seed=0),
    dict(type='PackRegionPriors'),
]


@pytest.fixture
def folder(tmp_path, demo_data_root):
    """train/<class>/<image>: 3 images in 2 class folders, plus a non-image file."""
    root = tmp_path / 'imagenet'
    for i, (cls, name) in enumerate(
        [('n01', '000000.jpg'), ('n01', '000001.jpg'), ('n02', '000002.jpg')]
    ):
        (root / 'train' / cls).mkdir(parents=True, exist_ok=True)
        shutil.copy(os.path.join(demo_data_root, 'train', name), root / 'train' / cls / name)
    (root / 'train' / 'n02' / 'notes.txt').write_text('not an image')
    return root


def _build(root, **kw):
    return DATASETS.build(
        dict(
            type='UnlabelledImageFolder',
            data_root=str(root),
            data_prefix=dict(img='train/'),
            pipeline=PIPELINE,
            **kw,
        )
    )


def test_scans_the_folder_and_makes_region_priors(folder):
    ds = _build(folder)
    assert len(ds) == 3 and ds.metainfo['classes'] == ('region',)
    assert [ds.get_data_info(i)['file_name'] for i in range(3)] == [
        'n01/000000.jpg',
        'n01/000001.jpg',
        'n02/000002.jpg',
    ]
    sample = ds[0]
    gt = sample['data_samples'].gt_instances
    assert 2 <= len(gt) <= 30 and (gt.labels == 0).all()
    assert gt.patches.shape[1:] == (3, 32, 32)


def test_reads_a_list_file(folder):
    (folder / 'list.txt').write_text('# two of them\nn02/000002.jpg\n\nn01/000000.jpg\n')
    ds = _build(folder, ann_file='list.txt')
    assert [ds.get_data_info(i)['file_name'] for i in range(len(ds))] == [
        'n02/000002.jpg',
        'n01/000000.jpg',
    ]


@pytest.mark.parametrize(
    'text, message',
    [
        ('../outside.jpg\n', r"list.txt: line 1: '../outside.jpg' is not a path relative"),
        ('# nothing\n', 'list.txt: the image list is empty'),
    ],
)
def test_bad_list_file_is_one_line(folder, text, message):
    (folder / 'list.txt').write_text(text)
    with pytest.raises(DataError, match=message):
        _build(folder, ann_file='list.txt')


def test_empty_folder_and_corrupt_image(folder, tmp_path):
    (tmp_path / 'empty' / 'train').mkdir(parents=True)
    with pytest.raises(DataError, match='no image files'):
        _build(tmp_path / 'empty')
    (folder / 'train' / 'n01' / '000001.jpg').write_bytes(b'not a jpeg')
    ds = _build(folder)
    with pytest.raises(DataError, match=r'000001.jpg \(image id 2\): corrupt'):
        ds.prepare_data(1)


@pytest.mark.parametrize(
    'name',
    [
        'deformable-detr_r50_detreg-pretrain_5e_imagenet.py',
        'deformable-detr_r50_detreg-pretrain_50e_imagenet100.py',
    ],
)
def test_imagenet_configs(name, folder):
    cfg = Config.fromfile(os.path.join(ROOT, 'configs', 'detreg', name))
    ds_cfg = cfg.train_dataloader.dataset
    assert ds_cfg.type == 'UnlabelledImageFolder' and ds_cfg.data_prefix.img == 'train/'
    assert [t['type'] for t in ds_cfg.pipeline][:2] == ['LoadImageFromFile', 'RegionPriors']
    epochs = {'5e': 5, '50e': 50}[name.split('_')[-2]]
    assert cfg.train_cfg.max_epochs == epochs
    ds_cfg.data_root = str(folder)
    assert len(DATASETS.build(ds_cfg)) == 3
