"""Shared fixtures: small demo datasets made once per test session; the registry scope a test
makes current is undone after it."""

import json
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for path in (ROOT, os.path.join(ROOT, 'tests')):  # the package, and tests/_cli.py
    if path not in sys.path:
        sys.path.insert(0, path)


@pytest.fixture(autouse=True)
def isolated_default_scope():
    """Each test starts in the registry scope the one before it started in: a runner built
    without a config (``DptRunner(model=...)``) makes mmengine's scope current for the rest of
    the process, where mmdet's and dpt's classes are not found."""
    from mmengine.registry import DefaultScope

    saved = DefaultScope._instance_dict.copy()
    yield
    DefaultScope._instance_dict = saved


@pytest.fixture(scope='session')
def repo_root():
    return ROOT


@pytest.fixture(scope='session')
def demo_data_root(tmp_path_factory):
    """A small demo dataset (16 train / 8 val images), made once for the whole session."""
    from dpt.datasets import make_demo_dataset

    root = tmp_path_factory.mktemp('demo') / 'demo'
    make_demo_dataset(root, num_train=16, num_val=8, seed=0)
    return str(root) + '/'


@pytest.fixture(scope='session')
def proposal_file(demo_data_root, tmp_path_factory):
    """Proposals of the demo train images in the layout of dpt's proposal tool: the demo
    objects' boxes, one category `selective_search`, plus one box per image around two
    objects so that proposals overlap."""
    with open(os.path.join(demo_data_root, 'annotations', 'instances_train.json')) as f:
        data = json.load(f)
    anns = []
    for ann in data['annotations']:
        anns.append(
            dict(
                id=len(anns) + 1,
                image_id=ann['image_id'],
                category_id=1,
                bbox=ann['bbox'],
                area=ann['area'],
                iscrowd=0,
            )
        )
    for img in data['images']:
        boxes = [a['bbox'] for a in data['annotations'] if a['image_id'] == img['id']][:2]
        x1, y1 = min(b[0] for b in boxes), min(b[1] for b in boxes)
        x2, y2 = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
        anns.append(
            dict(
                id=len(anns) + 1,
                image_id=img['id'],
                category_id=1,
                bbox=[x1, y1, x2 - x1, y2 - y1],
                area=(x2 - x1) * (y2 - y1),
                iscrowd=0,
            )
        )
    path = tmp_path_factory.mktemp('proposals') / 'train_proposals.json'
    path.write_text(
        json.dumps(
            dict(
                images=data['images'],
                annotations=anns,
                categories=[dict(id=1, name='selective_search')],
            )
        )
    )
    return str(path)
