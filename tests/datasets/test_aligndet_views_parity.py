"""dpt's two AlignDet views (configs/aligndet/_base_/pretrain.py) against AlignDet's own view
pipelines run with the same seeds (tests/data/parity/aligndet/views/, PROVENANCE.md).

With one numpy seed both draw the same scale, flip, op and magnitude, in the same order
(view 1 = online, then view 2 = target). dpt flips before padding: its views equal AlignDet's
transforms run in that order exactly (images and boxes). Against AlignDet's own order,
unflipped views are equal; flipped ones have the same boxes, but AlignDet's flipped content
lies the padding width to their right (flip_offset.json shows it on a white box)."""

import copy
import json
import os

import numpy as np
import pytest
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, 'tests', 'data', 'parity', 'aligndet', 'views')


@pytest.fixture(scope='module', autouse=True)
def _registered():
    from mmdet.utils import register_all_modules

    register_all_modules()
    import dpt  # noqa: F401


@pytest.fixture(scope='module')
def views_fixture():
    with np.load(os.path.join(FIXTURES, 'views.npz')) as data:
        arrays = dict(data)
    with open(os.path.join(FIXTURES, 'views.json')) as f:
        return arrays, json.load(f)


def _multi_branch(scales, flip_after_pad=False):
    """The MultiBranch of dpt's pre-training pipeline, at ``scales``; ``flip_after_pad``:
    with AlignDet's order (``aligndet_flip_after_pad``, as docs/aligndet.md says)."""
    from mmdet.registry import TRANSFORMS
    from mmengine.config import Config

    cfg = Config.fromfile(os.path.join(ROOT, 'configs', 'aligndet', '_base_', 'pretrain.py'))
    branch = copy.deepcopy(cfg.aligndet_train_dataloader.dataset.pipeline[-1])
    assert branch.type == 'MultiBranch'
    for view in cfg.aligndet_views:
        assert branch[view][0].type == 'RandomChoiceResize'
        branch[view][0].scales = [tuple(s) for s in scales]
        if flip_after_pad:
            assert [t.type for t in branch[view][1:3]] == ['RandomFlip', 'PadKeepingImgShape']
            branch[view][1:3] = copy.deepcopy(cfg.aligndet_flip_after_pad)
    return TRANSFORMS.build(branch)


def _loaded(image, boxes):
    """What LoadImageFromFile + LoadAnnotations hand the views."""
    from mmdet.structures.bbox import HorizontalBoxes

    return dict(
        img=image.copy(),
        img_shape=image.shape[:2],
        ori_shape=image.shape[:2],
        gt_bboxes=HorizontalBoxes(torch.tensor(boxes, dtype=torch.float32)),
        gt_bboxes_labels=np.zeros(len(boxes), np.int64),
        gt_ignore_flags=np.zeros(len(boxes), bool),
    )


def test_views_match_aligndet(views_fixture):
    arrays, meta = views_fixture
    branch = _multi_branch(meta['scales'])
    with np.load(os.path.join(FIXTURES, 'ops.npz')) as data:
        image = data['image']  # test_aligndet_color_ops.py checks that it is rebuilt
    flipped = unflipped = 0
    for seed in meta['seeds']:
        np.random.seed(seed)
        out = branch(_loaded(image, meta['boxes']))
        for view in ('online', 'target'):
            sample, img = out['data_samples'][view], out['inputs'][view]
            ours = f'flip_before_pad/{seed}/{view}'
            theirs = f'aligndet/{seed}/{view}'
            want, orig = meta['views'][ours], meta['views'][theirs]
            # the same draws as AlignDet: scale, flip
            assert sample.img_shape == tuple(want['img_shape'][:2]) == tuple(orig['img_shape'][:2])
            assert sample.flip == want['flip'] == orig['flip']
            np.testing.assert_allclose(sample.scale_factor, want['scale_factor'][:2])
            # padded to 32 in the pipeline, content top-left; the op saw the padding
            assert tuple(img.shape[1:]) == tuple(want['pad_shape'][:2])
            ours_img = img.permute(1, 2, 0).numpy()
            np.testing.assert_array_equal(
                ours_img, arrays[ours], err_msg=f'{ours} ({want["op"]} {want["magnitude"]})'
            )
            boxes = sample.gt_instances.bboxes.tensor.numpy()
            np.testing.assert_array_equal(boxes, np.array(want['gt_bboxes'], np.float32))
            if not want['flip']:
                unflipped += 1
                np.testing.assert_array_equal(ours_img, arrays[theirs])
                np.testing.assert_array_equal(boxes, np.array(orig['gt_bboxes'], np.float32))
            else:
                flipped += 1
                # the same boxes (both flipped over the content width) ...
                np.testing.assert_array_equal(boxes, np.array(orig['gt_bboxes'], np.float32))
                # ... but AlignDet flipped the padded image: its content lies `shift` px
                # right of them (Sharpness: edge columns differ, they border the padding)
                h, w = want['img_shape'][:2]
                shift = want['pad_shape'][1] - w
                assert shift > 0
                cols = slice(1, w - 1) if want['op'] == 'RandSharpness' else slice(0, w)
                np.testing.assert_array_equal(
                    arrays[theirs][:h, shift : shift + w][:, cols], ours_img[:h, :w][:, cols]
                )
    assert flipped and unflipped
    # every op of the nine appears among the fixture's views
    assert len({v['op'] for v in meta['views'].values()}) == 9


def test_aligndet_order_is_reachable(views_fixture):
    """``aligndet_flip_after_pad`` reproduces AlignDet's views, flip offset included."""
    arrays, meta = views_fixture
    branch = _multi_branch(meta['scales'], flip_after_pad=True)
    with np.load(os.path.join(FIXTURES, 'ops.npz')) as data:
        image = data['image']
    flipped = 0
    for seed in meta['seeds']:
        np.random.seed(seed)
        out = branch(_loaded(image, meta['boxes']))
        for view in ('online', 'target'):
            key = f'aligndet/{seed}/{view}'
            sample, want = out['data_samples'][view], meta['views'][key]
            flipped += sample.flip
            assert sample.img_shape == tuple(want['img_shape'][:2])
            np.testing.assert_array_equal(
                out['inputs'][view].permute(1, 2, 0).numpy(), arrays[key], err_msg=key
            )
            np.testing.assert_array_equal(
                sample.gt_instances.bboxes.tensor.numpy(), np.array(want['gt_bboxes'], np.float32)
            )
    assert flipped


def test_flip_after_pad_offset():
    """AlignDet's own Resize -> Pad -> RandFlip on a white box: its box lies the padding
    width left of the box's pixels. dpt's flip before the pad keeps them together."""
    from mmcv.transforms import Compose
    from mmdet.registry import TRANSFORMS

    with open(os.path.join(FIXTURES, 'flip_offset.json')) as f:
        case = json.load(f)
    h, w = case['img_shape'][:2]
    shift = case['pad_shape'][1] - w
    assert case['flip'] and shift == 15
    their_box, their_pixels = case['box_after'], case['object_pixels_after']
    assert abs(their_pixels[0] - their_box[0] - shift) <= 1
    assert abs(their_pixels[2] - their_box[2] - shift) <= 1

    image = np.zeros(tuple(case['input_shape']) + (3,), np.uint8)
    x1, y1, x2, y2 = map(int, case['input_box'])
    image[y1:y2, x1:x2] = 255
    pipeline = Compose(
        [
            TRANSFORMS.build(t)
            for t in [
                dict(type='Resize', scale=(80, 36), keep_ratio=True),
                dict(type='RandomFlip', prob=1.0),
                dict(type='PadKeepingImgShape', size_divisor=32),
            ]
        ]
    )
    out = pipeline(_loaded(image, [case['input_box']]))
    assert out['img'].shape[:2] == tuple(case['pad_shape'][:2])
    assert out['img_shape'] == (h, w) and out['pad_shape'][:2] == tuple(case['pad_shape'][:2])
    box = out['gt_bboxes'].tensor[0].tolist()
    np.testing.assert_allclose(box, their_box, atol=1e-4)  # the same box as AlignDet's ...
    cols = np.nonzero(out['img'][..., 0].max(axis=0) > 127)[0]
    rows = np.nonzero(out['img'][..., 0].max(axis=1) > 127)[0]
    pixels = [cols[0], rows[0], cols[-1] + 1, rows[-1] + 1]
    # ... but over its own pixels (1 px: interpolation at the box's fractional edges)
    np.testing.assert_allclose(pixels, box, atol=1)
    np.testing.assert_array_equal(pixels, np.array(their_pixels) - [shift, 0, shift, 0])


def test_pad_keeping_img_shape():
    from mmdet.registry import TRANSFORMS

    pad = TRANSFORMS.build(dict(type='PadKeepingImgShape', size_divisor=32))
    img = np.full((36, 49, 3), 7, np.uint8)
    out = pad(dict(img=img, img_shape=(36, 49)))
    assert out['img'].shape == (64, 64, 3) and out['img_shape'] == (36, 49)
    assert out['pad_shape'][:2] == (64, 64)
    assert (out['img'][:36, :49] == 7).all()
    assert not out['img'][36:].any() and not out['img'][:, 49:].any()
    # mmdet's own Pad moves img_shape to the padded shape
    mmdet_pad = TRANSFORMS.build(dict(type='Pad', size_divisor=32))
    assert mmdet_pad(dict(img=img, img_shape=(36, 49)))['img_shape'] == (64, 64)


def test_flip_after_pad_leaf_config(tmp_path):
    """The recipe of docs/aligndet.md ("Two views") builds AlignDet's order in both views."""
    from mmengine.config import Config

    base = os.path.join(
        ROOT, 'configs', 'aligndet', 'retinanet_r50_fpn_aligndet-pretrain_1x_coco.py'
    )
    leaf = tmp_path / 'flip_after_pad.py'
    leaf.write_text(
        f"_base_ = [{base!r}]\n"
        "train_dataloader = _base_.train_dataloader\n"
        "train_dataloader.dataset.pipeline[-1].online[1:3] = "
        "_base_.aligndet_flip_after_pad\n"
        "train_dataloader.dataset.pipeline[-1].target[1:3] = "
        "_base_.aligndet_flip_after_pad\n"
    )
    pipeline = Config.fromfile(str(leaf)).train_dataloader.dataset.pipeline
    assert [t.type for t in pipeline[:3]] == [
        'LoadImageFromFile',
        'LoadAnnotations',
        'KeepFirstProposals',
    ]
    for view in ('online', 'target'):
        assert [t.type for t in pipeline[-1][view]] == [
            'RandomChoiceResize',
            'PadKeepingImgShape',
            'RandomFlipAfterPad',
            'RandomColorOp',
            'PackDetInputs',
        ]
