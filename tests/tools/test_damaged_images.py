"""A damaged image is judged the same everywhere (dpt.utils.image_io, as mmdet's loader
reads): training refuses a truncated JPEG, and the proposal, CAM-box and clustering jobs do
not make boxes for it (listed under failed images; clustering stops naming it)."""

import json
import os.path as osp
import shutil
import sys

import cv2
import pytest
import torch
from _cli import CONFIG, data_options, one_error_line, run


@pytest.fixture
def data(tmp_path, demo_data_root):
    """A copy of the demo data whose first train image is cut after half its bytes."""
    root = tmp_path / 'demo'
    shutil.copytree(demo_data_root, root)
    coco = json.loads((root / 'annotations' / 'instances_train.json').read_text())
    first = coco['images'][0]
    path = root / 'train' / first['file_name']
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return root, first, str(path)


def test_the_reader_refuses_what_cv2_imread_pads(data):
    from dpt.utils.image_io import ImageReadError, image_problem, read_rgb

    _, _, path = data
    assert cv2.imread(path) is not None  # OpenCV's file reader fills the rest with grey
    with pytest.raises(ImageReadError, match='^corrupt image$'):
        read_rgb(path)
    assert image_problem(path) == 'corrupt image'


def test_training_refuses_it(data):
    root, first, path = data
    proc = run(
        sys.executable,
        'tools/train.py',
        CONFIG,
        '--work-dir',
        f'{root}/../work',
        *data_options(f'{root}/'),
        'train_dataloader.sampler.shuffle=False',
    )
    line = one_error_line(proc, 'train')
    assert line == f"train: error: {path} (image id {first['id']}): corrupt image", line


def test_proposals_list_it_as_failed(data, tmp_path):
    from dpt.proposals import ProposalSettings, generate_proposals

    root, first, _ = data
    out = tmp_path / 'proposals.json'
    summary = generate_proposals(
        str(out),
        str(root / 'train'),
        str(root / 'annotations' / 'instances_train.json'),
        ProposalSettings.from_options('opencv_fast'),
    )
    result = json.loads(out.read_text())
    assert summary['failed'] == 1
    assert result['failed_images'] == [
        dict(id=first['id'], file_name=first['file_name'], error='corrupt image')
    ]
    assert first['id'] not in {im['id'] for im in result['images']}


def test_cam_boxes_list_it_as_failed(data, tmp_path):
    import timm

    from dpt.pseudo_boxes import CamSettings, build_classifier
    from dpt.pseudo_boxes.generate import process_chunk

    root, first, _ = data
    kw = dict(channels=(4, 8, 8, 8), stem_width=4)
    torch.save(
        {'state_dict': timm.create_model('resnet18', num_classes=2, **kw).state_dict()},
        tmp_path / 'c.pth',
    )
    classifier = build_classifier('timm:resnet18', str(tmp_path / 'c.pth'), kw)
    coco = json.loads((root / 'annotations' / 'instances_train.json').read_text())
    chunk = [(im['file_name'], 0) for im in coco['images'][:3]]
    results = process_chunk(classifier, str(root / 'train'), chunk, CamSettings(scales=(48, 64)))
    by_name = {r['file_name']: r for r in results}
    assert by_name[first['file_name']] == dict(file_name=first['file_name'], error='corrupt image')
    assert all('boxes' in by_name[name] for name, _ in chunk[1:])


def test_clustering_stops_naming_it(data, tmp_path):
    from dpt.clustering import ClusterJob, ClusterSettings
    from dpt.utils.errors import DataError

    root, first, path = data
    coco = json.loads((root / 'annotations' / 'instances_train.json').read_text())
    anns = [dict(a, category_id=1) for a in coco['annotations']]
    proposals = tmp_path / 'proposals.json'
    proposals.write_text(
        json.dumps(
            dict(
                images=coco['images'],
                annotations=anns,
                categories=[dict(id=1, name='selective_search')],
            )
        )
    )
    job = ClusterJob(
        str(proposals),
        str(root / 'train'),
        str(tmp_path / 'clusters.json'),
        ClusterSettings(
            depth=18, base_channels=16, short_side=160, pca_dims=8, num_clusters=2, pca_images=0
        ),
        device='cpu',
    )
    with pytest.raises(DataError, match=rf"^{path} \(image id {first['id']}\): corrupt image$"):
        for _ in job.fit_pca():
            pass
    assert not osp.exists(tmp_path / 'clusters.json')
