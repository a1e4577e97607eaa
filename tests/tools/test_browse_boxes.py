"""browse_boxes over the files dpt's tools write (proposals / region priors, clusters, CAM
pseudo boxes) and AlignDet's published proposal format: PNGs written, the true boxes drawn
where the annotation file says, per-image recall@0.5 and CorLoc right."""

import json
import os.path as osp
import sys

import numpy as np
import pytest
from _cli import one_error_line, run


def close(a, b, tol=40):
    return int(np.abs(np.asarray(a, int) - np.asarray(b, int)).max()) <= tol


def xyxy(anns):
    return np.array([[x, y, x + w, y + h] for x, y, w, h in (a['bbox'] for a in anns)])


@pytest.fixture(scope='module')
def subset(demo_data_root, tmp_path_factory):
    """The first 3 demo val images and their true boxes."""
    gt = json.load(open(osp.join(demo_data_root, 'annotations/instances_val.json')))
    keep = {im['id'] for im in gt['images'][:3]}
    sub = dict(
        gt,
        images=gt['images'][:3],
        annotations=[a for a in gt['annotations'] if a['image_id'] in keep],
    )
    path = tmp_path_factory.mktemp('subset') / 'val3.json'
    path.write_text(json.dumps(sub))
    return str(path), osp.join(demo_data_root, 'val')


@pytest.fixture(scope='module')
def region_priors(subset, tmp_path_factory):
    """make_proposals.py's output (DETReg's search: fast, no compilation)."""
    from dpt.proposals import ProposalSettings, generate_proposals

    ann, img_dir = subset
    out = str(tmp_path_factory.mktemp('priors') / 'priors.json')
    settings = ProposalSettings.from_options('opencv_fast', None, None, None, None, None, 10)
    generate_proposals(out, img_dir, ann, settings, workers=1)
    return out


def test_true_boxes_drawn_where_the_file_says_and_recall(subset, region_priors, tmp_path):
    from dpt.visualization import TRUE_COLOR, browse_boxes

    ann, img_dir = subset
    records, summary = browse_boxes(region_priors, img_dir, str(tmp_path), ann, zoom=2)
    gt = json.load(open(ann))
    assert len(records) == 3 and summary['images'] == 3
    for r in records:
        assert osp.getsize(r['path']) > 0
        im = next(i for i in gt['images'] if i['file_name'] == r['file_name'])
        truth = xyxy([a for a in gt['annotations'] if a['image_id'] == im['id']])
        panel = r['panel']
        np.testing.assert_allclose(panel.boxes[-len(truth) :], truth, atol=1e-3)
        picture = __import__('cv2').imread(r['path'])[..., ::-1]
        x1, y1, x2, y2 = panel.to_picture(truth[-1:])[0]  # drawn last, on top
        assert close(picture[round((y1 + y2) / 2), round(x1)], TRUE_COLOR)
        assert r['quality']['true'] == len(truth)
        assert 0 <= r['quality']['recall'] <= 1


def test_recall_and_corloc_per_image(subset, tmp_path):
    from dpt.visualization import browse_boxes

    ann, img_dir = subset
    gt = json.load(open(ann))
    first = gt['images'][0]['id']
    # AlignDet's published format: COCO-style, one category 'selective_search'; here the
    # true boxes of image 1 (all found) and shifted far off for the others (none found)
    anns = []
    for a in gt['annotations']:
        x, y, w, h = a['bbox']
        shift = 0 if a['image_id'] == first else w + 20
        anns.append(
            dict(
                id=len(anns) + 1,
                image_id=a['image_id'],
                category_id=1,
                bbox=[x + shift, y, w, h],
                area=w * h,
                iscrowd=0,
            )
        )
    path = tmp_path / 'published.json'
    path.write_text(
        json.dumps(
            dict(
                images=gt['images'],
                annotations=anns,
                categories=[dict(id=1, name='selective_search', supercategory='selective_search')],
            )
        )
    )
    records, summary = browse_boxes(str(path), img_dir, str(tmp_path / 'out'), ann)
    q = {r['file_name']: r['quality'] for r in records}
    assert q[gt['images'][0]['file_name']]['recall'] == 1.0
    assert q[gt['images'][0]['file_name']]['corloc'] is True
    for im in gt['images'][1:]:
        assert q[im['file_name']]['recall'] == 0.0 and q[im['file_name']]['corloc'] is False
    assert summary['corloc'] == pytest.approx(1 / 3)


def test_cam_boxes_match_box_quality(tmp_path):
    """make_cam_boxes.py's format (images with a label, the label as category): per-image
    CorLoc / recall over the label's true boxes, as dpt.pseudo_boxes.box_quality counts."""
    from dpt.datasets.demo_data import make_demo_classification
    from dpt.pseudo_boxes import box_quality
    from dpt.visualization import browse_boxes

    root = tmp_path / 'cls'
    make_demo_classification(root, num_train=6, num_val=6)
    gt = json.load(open(root / 'annotations' / 'train_gt.json'))
    labels = {im['id']: im['label'] for im in gt['images']}
    anns = [
        dict(a, id=i + 1, score=0.5)
        for i, a in enumerate(gt['annotations'])
        if a['category_id'] == labels[a['image_id']] and a['image_id'] % 2
    ]
    cams = dict(images=gt['images'], annotations=anns, categories=gt['categories'])
    (tmp_path / 'cams.json').write_text(json.dumps(cams))
    records, summary = browse_boxes(
        str(tmp_path / 'cams.json'),
        str(root / 'train'),
        str(tmp_path / 'out'),
        str(root / 'annotations' / 'train_gt.json'),
    )
    want = box_quality(cams, gt)
    assert summary['corloc'] == pytest.approx(want['corloc'])
    assert summary['recall'] == pytest.approx(want['recall'])
    # the boxes are coloured by class and named
    assert all(r['panel'].colors for r in records if r['quality']['found'])


def test_cluster_ids(subset, region_priors, tmp_path):
    from dpt.clustering import ClusterSettings, cluster_proposals
    from dpt.visualization import browse_boxes, color

    ann, img_dir = subset
    out = str(tmp_path / 'clusters.json')
    cluster_proposals(
        region_priors,
        img_dir,
        out,
        ClusterSettings(
            num_clusters=3,
            pca_dims=4,
            depth=18,
            base_channels=16,
            short_side=160,
            pca_images=0,
            fit_samples=0,
            iters=10,
            chunk_images=10,
        ),
        'cpu',
    )
    data = json.load(open(out))
    records, _ = browse_boxes(out, img_dir, str(tmp_path / 'out'))
    for r in records:
        im = next(i for i in data['images'] if i['file_name'] == r['file_name'])
        cats = [a['category_id'] for a in data['annotations'] if a['image_id'] == im['id']]
        assert r['panel'].colors == [color(c) for c in cats]  # colour = cluster id


def test_cli(subset, region_priors, tmp_path):
    ann, img_dir = subset
    proc = run(
        sys.executable,
        'tools/analysis_tools/browse_boxes.py',
        region_priors,
        '--img-dir',
        img_dir,
        '--gt',
        ann,
        '--output-dir',
        str(tmp_path / 'o'),
        '--max',
        '2',
        '--max-boxes',
        '5',
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'drew 2 images' in proc.stdout and 'recall@0.5' in proc.stdout
    assert len(list((tmp_path / 'o').glob('*.png'))) == 2
    proc = run(
        sys.executable,
        'tools/analysis_tools/browse_boxes.py',
        ann + '.missing',
        '--img-dir',
        img_dir,
        '--output-dir',
        str(tmp_path / 'o'),
    )
    assert '.missing' in one_error_line(proc, 'browse_boxes')


def test_cam_heat_map_under_the_boxes(tmp_path):
    """--classifier/--checkpoint: the CAM of each image's label, from dpt.pseudo_boxes."""
    import timm
    import torch

    from dpt.datasets.demo_data import make_demo_classification
    from dpt.visualization import browse_boxes
    from dpt.visualization.cams import CamHeatmaps

    root = tmp_path / 'cls'
    make_demo_classification(root, num_train=6, num_val=6)
    gt = json.load(open(root / 'annotations' / 'train_gt.json'))
    kwargs = dict(channels=[16, 32, 64, 128], stem_width=16)
    torch.manual_seed(0)
    model = timm.create_model('resnet18', num_classes=len(gt['categories']), **kwargs)
    torch.save(model.state_dict(), tmp_path / 'cls.pth')
    boxes = tmp_path / 'cams.json'
    boxes.write_text(
        json.dumps(
            dict(images=gt['images'], annotations=gt['annotations'], categories=gt['categories'])
        )
    )
    heat = CamHeatmaps(str(boxes), 'timm:resnet18', str(tmp_path / 'cls.pth'), kwargs, (64,))
    img = __import__('mmcv').imread(
        str(root / 'train' / gt['images'][0]['file_name']), channel_order='rgb'
    )
    cam = heat(gt['images'][0]['file_name'], img)
    assert cam.ndim == 2 and cam.min() >= 0 and cam.max() == pytest.approx(1)
    plain, _ = browse_boxes(str(boxes), str(root / 'train'), str(tmp_path / 'a'), max_images=1)
    hot, _ = browse_boxes(
        str(boxes), str(root / 'train'), str(tmp_path / 'b'), max_images=1, heatmaps=heat
    )
    assert (plain[0]['panel'].image != hot[0]['panel'].image).mean() > 0.3
