"""browse_dataset on every kind of dpt pipeline: PNGs written, boxes drawn where the
pipeline put them (and, with an identity pipeline, where the annotation file says)."""

import json
import os.path as osp
import sys

import numpy as np
import pytest
from _cli import ROOT, one_error_line, run

BASELINE = 'configs/baselines/faster-rcnn_tiny_demo.py'
LOWRES = 'configs/direct_pretraining/mask-rcnn_tiny_lowres-pretrain_demo.py'
ALIGNDET = 'configs/aligndet/faster-rcnn_aligndet-pretrain_tiny_demo.py'
DETREG = 'configs/detreg/deformable-detr_detreg-pretrain_tiny_demo.py'
DAP = 'configs/dap/faster-rcnn_dap-pretrain_tiny_demo.py'


def config(path, options):
    import argparse

    from mmengine.config import DictAction

    from dpt.apis import load_config

    ns = argparse.Namespace()
    DictAction(option_strings=[], dest='o')(None, ns, options)
    return load_config(osp.join(ROOT, path), ns.o)


def close(a, b, tol=40):
    return int(np.abs(np.asarray(a, int) - np.asarray(b, int)).max()) <= tol


def edge_hits(picture, panel, boxes=None, colors=None):
    """Share of boxes whose left-edge midpoint pixel has the box's colour."""
    boxes = panel.boxes if boxes is None else boxes
    colors = panel.colors if colors is None else colors
    hits = 0
    for (x1, y1, x2, y2), col in zip(panel.to_picture(boxes), colors):
        hits += close(picture[round((y1 + y2) / 2), round(x1)], col)
    return hits / max(len(boxes), 1)


def last_edge_share(picture, panel):
    """Share of the pixels along the left edge of the box drawn last that show its colour.
    It is drawn over every other box, but the labels are drawn over all boxes: in a crowded
    panel they cover parts of that edge with their 60 % black backgrounds (one or two deep:
    40 % or 16 % of the colour left, which count) and their glyphs (which do not)."""
    x1, y1, _, y2 = panel.to_picture(panel.boxes[-1:])[0]
    col = np.asarray(panel.colors[-1])
    seen = [picture[y, round(x1)] for y in range(round(y1) + 2, round(y2) - 1)]
    shades = [col, 0.4 * col, 0.16 * col]
    return np.mean([any(close(p, c, tol=12) for c in shades) for p in seen]) if seen else 0.0


@pytest.fixture(scope='module')
def proposals(demo_data_root, tmp_path_factory):
    """A proposal file in make_proposals.py's format (one category, selective_search): the
    true boxes and a shifted copy of each, so boxes overlap as proposals do."""
    from dpt.proposals.generate import CATEGORY

    gt = json.load(open(osp.join(demo_data_root, 'annotations/instances_train.json')))
    anns = []
    for a in gt['annotations']:
        x, y, w, h = a['bbox']
        for dx in (0, 3):
            anns.append(
                dict(
                    id=len(anns) + 1,
                    image_id=a['image_id'],
                    category_id=1,
                    bbox=[x + dx, y, w, h],
                    area=w * h,
                    iscrowd=0,
                    score=1.0,
                )
            )
    path = tmp_path_factory.mktemp('props') / 'train_props.json'
    path.write_text(json.dumps(dict(images=gt['images'], annotations=anns, categories=[CATEGORY])))
    return str(path)


def test_detection_boxes_land_where_the_annotation_file_says(demo_data_root, tmp_path):
    from dpt.visualization import browse_dataset

    cfg = config(
        BASELINE,
        [
            f'train_dataloader.dataset.data_root={demo_data_root}',
            'train_dataloader.dataset.pipeline.3.prob=0.0',
        ],
    )  # no flip
    records = browse_dataset(cfg, str(tmp_path), max_items=3, zoom=2)
    gt = json.load(open(osp.join(demo_data_root, 'annotations/instances_train.json')))
    by_name = {im['file_name']: im['id'] for im in gt['images']}
    for r in records:
        assert r['kind'] == 'boxes' and osp.getsize(r['path']) > 0
        panel = r['rows'][0][0]
        name = osp.basename(r['item']['data_samples'].img_path)
        want = np.array(
            [
                [x, y, x + w, y + h]
                for a in gt['annotations']
                if a['image_id'] == by_name[name]
                for x, y, w, h in [a['bbox']]
            ]
        )
        np.testing.assert_allclose(np.sort(panel.boxes, 0), np.sort(want, 0), atol=1e-3)
        assert edge_hits(r['image'], panel) >= 0.7
        # the last box drawn is on top: its edge is its colour
        assert edge_hits(r['image'], panel, panel.boxes[-1:], panel.colors[-1:]) == 1


def test_normalisation_is_undone(demo_data_root):
    import mmcv

    from dpt.visualization import browse_dataset

    cfg = config(
        BASELINE,
        [
            f'train_dataloader.dataset.data_root={demo_data_root}',
            'train_dataloader.dataset.pipeline.3.prob=0.0',
        ],
    )
    cfg.train_dataloader.dataset.pipeline.insert(
        4,
        dict(
            type='Normalize',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            to_rgb=True,
        ),
    )
    r = browse_dataset(cfg, None, max_items=1, zoom=1)[0]
    assert r['item']['inputs'].dtype.is_floating_point  # the pipeline did normalise
    raw = mmcv.imread(r['item']['data_samples'].img_path, channel_order='rgb')
    panel = r['rows'][0][0]
    shown = r['image'][panel.title_height : panel.title_height + raw.shape[0], : raw.shape[1]]
    assert (np.abs(shown.astype(int) - raw).max(-1) <= 1).mean() > 0.8  # boxes aside


def test_lowres_pretraining_crops(demo_data_root, tmp_path):
    from dpt.visualization import browse_dataset

    cfg = config(LOWRES, [f'train_dataloader.dataset.data_root={demo_data_root}'])
    records = browse_dataset(cfg, str(tmp_path), max_items=2, zoom=2)
    for r in records:
        sample = r['item']['data_samples']
        h, w = r['item']['inputs'].shape[-2:]
        assert 0.8 * 96 - 1 <= max(h, w) <= 96  # resize 0.8-1.2 of 96 px, crop of 96 px
        panel = r['rows'][0][0]
        assert panel.image.shape[:2] == (h * 2 + panel.title_height, w * 2)
        assert (panel.boxes >= 0).all() and (panel.boxes[:, 2] <= w).all()
        assert (panel.boxes[:, 3] <= h).all()
        assert len(panel.boxes) == len(sample.gt_instances)


def test_aligndet_views_share_box_ids(demo_data_root, proposals, tmp_path):
    from dpt.visualization import browse_dataset

    cfg = config(
        ALIGNDET,
        [
            f'train_dataloader.dataset.data_root={demo_data_root}',
            f'train_dataloader.dataset.ann_file={proposals}',
        ],
    )
    records = browse_dataset(cfg, str(tmp_path), max_items=2)
    data = json.load(open(proposals))
    ids = {im['file_name']: im['id'] for im in data['images']}
    for r in records:
        assert r['kind'] == 'views' and osp.getsize(r['path']) > 0
        online, target = r['rows'][0]
        assert len(online.boxes) == len(target.boxes) > 0
        assert online.colors == target.colors  # box j: one colour in both views
        name = osp.basename(r['item']['data_samples']['online'].img_path)
        want = np.array(
            [
                [x, y, x + w, y + h]
                for a in data['annotations']
                if a['image_id'] == ids[name]
                for x, y, w, h in [a['bbox']]
            ]
        )
        for view, panel in zip(('online', 'target'), (online, target)):
            meta = r['item']['data_samples'][view].metainfo
            sx, sy = meta['scale_factor']
            b = want * np.array([sx, sy, sx, sy])
            h, w = meta['img_shape'][:2]
            b[:, 0::2], b[:, 1::2] = b[:, 0::2].clip(0, w), b[:, 1::2].clip(0, h)
            if meta['flip']:
                b = np.stack([w - b[:, 2], b[:, 1], w - b[:, 0], b[:, 3]], 1)
            np.testing.assert_allclose(panel.boxes, b, atol=0.5)  # proposal j is box j
            assert edge_hits(r['image'], panel) >= 0.5
        # the right view starts right of the left one
        assert target.offset[0] >= online.image.shape[1]


def test_detreg_priors_and_their_crops(demo_data_root, tmp_path):
    from dpt.visualization import browse_dataset

    cfg = config(DETREG, [f'train_dataloader.dataset.data_root={demo_data_root}'])
    records = browse_dataset(cfg, str(tmp_path), max_items=2)
    for r in records:
        assert r['kind'] == 'region priors' and osp.getsize(r['path']) > 0
        view, crops = r['rows'][0][0], [p for row in r['rows'][1:] for p in row]
        patches = r['item']['data_samples'].gt_instances.patches
        assert len(crops) == len(view.boxes) == len(patches) >= 2
        for i, crop in enumerate(crops):
            assert crop.colors == [view.colors[i]]  # framed in its box's colour
            x1, y1, x2, y2 = crop.to_picture()[0]
            assert close(r['image'][round((y1 + y2) / 2), round(x1)], view.colors[i])
        assert last_edge_share(r['image'], view) >= 0.5


def test_dap_pseudo_boxes(tmp_path):
    from dpt.datasets.demo_data import make_demo_classification
    from dpt.visualization import browse_dataset

    root = tmp_path / 'demo_cls'
    make_demo_classification(root, num_train=12, num_val=6)
    gt = json.load(open(root / 'annotations' / 'train_gt.json'))
    # make_cam_boxes.py's output: the image's label as category id, one box or more each
    labels = {im['id']: im['label'] for im in gt['images']}
    anns = [
        dict(a, id=i + 1, score=0.9)
        for i, a in enumerate(gt['annotations'])
        if a['category_id'] == labels[a['image_id']]
    ]
    cams = dict(images=gt['images'], annotations=anns, categories=gt['categories'])
    (root / 'annotations' / 'train_cam_boxes_nms0.8.json').write_text(json.dumps(cams))
    cfg = config(DAP, [f'train_dataloader.dataset.data_root={root}/'])
    records = browse_dataset(cfg, str(tmp_path / 'out'), max_items=3)
    names = [c['name'] for c in gt['categories']]
    for r in records:
        assert r['kind'] == 'boxes' and osp.getsize(r['path']) > 0
        sample = r['item']['data_samples']
        assert len(r['rows'][0][0].boxes) == len(sample.gt_instances) >= 1
        assert all(0 <= label < len(names) for label in sample.gt_instances.labels.tolist())


def test_cli_writes_pngs_headless(demo_data_root, tmp_path):
    out = tmp_path / 'out'
    proc = run(
        sys.executable,
        'tools/analysis_tools/browse_dataset.py',
        BASELINE,
        '--output-dir',
        str(out),
        '--not-show',
        '--max',
        '2',
        '--cfg-options',
        f'train_dataloader.dataset.data_root={demo_data_root}',
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    pngs = sorted(out.glob('*.png'))
    assert len(pngs) == 2 and all(p.stat().st_size > 0 for p in pngs)
    assert 'drew 2 items (boxes)' in proc.stdout
    proc = run(
        sys.executable,
        'tools/analysis_tools/browse_dataset.py',
        'no/such.py',
        '--output-dir',
        str(out),
    )
    assert 'no/such.py' in one_error_line(proc, 'browse_dataset')
