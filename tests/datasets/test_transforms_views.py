"""AlignDet's two views of an image and its proposals (configs/aligndet/_base_/pretrain.py):
both hold every proposal, in file order, at their own scale and flip, zero-padded to a
multiple of 32 with `img_shape` the content's; KeepFirstProposals. (Parity with AlignDet's
own pipeline: test_aligndet_views_parity.py.)"""

import json
import os

import numpy as np
import pytest
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope='module', autouse=True)
def _registered():
    from mmdet.utils import register_all_modules

    register_all_modules()
    import dpt  # noqa: F401


@pytest.fixture(scope='module')
def proposals(demo_data_root, tmp_path_factory):
    """The demo train objects as proposals of one class, and their xyxy boxes per image."""
    with open(os.path.join(demo_data_root, 'annotations', 'instances_train.json')) as f:
        data = json.load(f)
    anns = [
        dict(
            id=a['id'],
            image_id=a['image_id'],
            category_id=1,
            bbox=a['bbox'],
            area=a['area'],
            iscrowd=0,
        )
        for a in data['annotations']
    ]
    path = tmp_path_factory.mktemp('views') / 'proposals.json'
    path.write_text(
        json.dumps(
            dict(
                images=data['images'],
                annotations=anns,
                categories=[dict(id=1, name='selective_search')],
            )
        )
    )
    boxes = {}
    for a in anns:
        x, y, w, h = a['bbox']
        boxes.setdefault(a['image_id'], []).append([x, y, x + w, y + h])
    return str(path), boxes


def _dataset(config, demo_data_root, proposal_file, first=None):
    from mmdet.registry import DATASETS
    from mmengine.config import Config

    cfg = Config.fromfile(os.path.join(ROOT, 'configs', 'aligndet', config))
    dataset = cfg.train_dataloader.dataset
    dataset.update(data_root=demo_data_root, ann_file=proposal_file)
    if first is not None:
        next(t for t in dataset.pipeline if t.type == 'KeepFirstProposals').num = first
    return DATASETS.build(dataset)


def _in_image_coords(sample):
    """The view's boxes with its flip and resize undone."""
    boxes = sample.gt_instances.bboxes.tensor.clone()
    if sample.flip:
        assert sample.flip_direction == 'horizontal'
        width = sample.img_shape[1]
        boxes[:, [0, 2]] = width - boxes[:, [2, 0]]
    w_scale, h_scale = sample.scale_factor
    return boxes / boxes.new_tensor([w_scale, h_scale, w_scale, h_scale])


def test_views_hold_the_same_boxes(demo_data_root, proposals):
    proposal_file, boxes = proposals
    dataset = _dataset('faster-rcnn_aligndet-pretrain_tiny_demo.py', demo_data_root, proposal_file)
    np.random.seed(0)
    sizes, flips = set(), set()
    for i in range(len(dataset)):
        item = dataset[i]
        assert set(item['inputs']) == set(item['data_samples']) == {'online', 'target'}
        expected = torch.tensor(boxes[dataset.get_data_info(i)['img_id']])
        for view in ('online', 'target'):
            sample = item['data_samples'][view]
            image = item['inputs'][view]
            h, w = sample.img_shape
            assert tuple(image.shape[1:]) == (-(-h // 32) * 32, -(-w // 32) * 32)
            assert 128 <= min(h, w) <= 160
            # every proposal, in file order: box j is proposal j in both views
            assert len(sample.gt_instances) == len(expected)
            torch.testing.assert_close(
                _in_image_coords(sample), expected.float(), atol=1e-3, rtol=0
            )
            assert (sample.gt_instances.labels == 0).all()
            assert len(sample.ignored_instances) == 0
        online, target = item['data_samples']['online'], item['data_samples']['target']
        sizes.add(online.img_shape != target.img_shape)
        flips.add(online.flip != target.flip)
    # each view draws its own scale and flip
    assert True in sizes and True in flips


def test_keep_first_proposals_before_the_views(demo_data_root, proposals):
    proposal_file, boxes = proposals
    dataset = _dataset(
        'retinanet_aligndet-pretrain_tiny_demo.py', demo_data_root, proposal_file, first=2
    )
    many = next(
        i for i in range(len(dataset)) if len(boxes[dataset.get_data_info(i)['img_id']]) > 2
    )
    item = dataset[many]
    expected = torch.tensor(boxes[dataset.get_data_info(many)['img_id']][:2]).float()
    for view in ('online', 'target'):
        torch.testing.assert_close(
            _in_image_coords(item['data_samples'][view]), expected, atol=1e-3, rtol=0
        )


def test_keep_first_proposals_transform():
    from mmdet.registry import TRANSFORMS
    from mmdet.structures.bbox import HorizontalBoxes

    keep = TRANSFORMS.build(dict(type='KeepFirstProposals', num=2))
    results = dict(
        gt_bboxes=HorizontalBoxes(torch.arange(12.0).view(3, 4)),
        gt_bboxes_labels=np.array([0, 1, 2]),
        gt_ignore_flags=np.array([False, False, True]),
    )
    out = keep(results)
    assert out['gt_bboxes'].tensor.tolist() == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert out['gt_bboxes_labels'].tolist() == [0, 1]
    assert out['gt_ignore_flags'].tolist() == [False, False]
    assert len(keep(dict(gt_bboxes=HorizontalBoxes(torch.zeros(1, 4))))['gt_bboxes']) == 1
