"""Fixtures of the AlignDet tests: proposals for the demo data, tiny pre-train configs."""
import json
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
CONFIG_DIR = os.path.join(ROOT, 'configs', 'aligndet')


@pytest.fixture(scope='module', autouse=True)
def _registered():
    from mmdet.utils import register_all_modules
    register_all_modules()
    import dpt  # noqa: F401


@pytest.fixture(scope='session')
def proposal_file(demo_data_root, tmp_path_factory):
    """Proposals of the demo train images in the layout of dpt's proposal tool: the demo
    objects' boxes, one category `selective_search`, plus one box per image around two
    objects so that proposals overlap."""
    with open(os.path.join(demo_data_root, 'annotations', 'instances_train.json')) as f:
        data = json.load(f)
    anns = []
    for ann in data['annotations']:
        anns.append(dict(id=len(anns) + 1, image_id=ann['image_id'], category_id=1,
                         bbox=ann['bbox'], area=ann['area'], iscrowd=0))
    for img in data['images']:
        boxes = [a['bbox'] for a in data['annotations'] if a['image_id'] == img['id']][:2]
        x1, y1 = min(b[0] for b in boxes), min(b[1] for b in boxes)
        x2, y2 = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
        anns.append(dict(id=len(anns) + 1, image_id=img['id'], category_id=1,
                         bbox=[x1, y1, x2 - x1, y2 - y1], area=(x2 - x1) * (y2 - y1),
                         iscrowd=0))
    path = tmp_path_factory.mktemp('proposals') / 'train_proposals.json'
    path.write_text(json.dumps(dict(images=data['images'], annotations=anns,
                                    categories=[dict(id=1, name='selective_search')])))
    return str(path)


@pytest.fixture
def tiny_config(demo_data_root, proposal_file):
    """``make(name)``: the tiny pre-train config of ``name`` (faster-rcnn, ...), reading the
    session's demo data and proposals, loading in the test process."""
    from mmengine.config import Config

    from dpt.apis.stages import data_root_options

    def make(name):
        cfg = Config.fromfile(os.path.join(CONFIG_DIR, f'{name}_aligndet-pretrain_tiny_demo.py'))
        # every loader and evaluator on the session's demo data (a runner builds them all)
        cfg.merge_from_dict(dict(item.split('=', 1) for item in data_root_options(demo_data_root)))
        cfg.train_dataloader.dataset.ann_file = proposal_file
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            cfg[loader].update(num_workers=0, persistent_workers=False)
        return cfg

    return make
