"""DAP: the pseudo-box dataset, one pre-train step of the tiny config, the hand-over."""

import copy
import json
import os

import pytest
import torch
from _model_steps import build_model, state_tensors, train_batch
from mmdet.registry import DATASETS, MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config

import dpt  # noqa: F401
from dpt.datasets.demo_data import make_demo_classification
from dpt.utils.errors import DataError

register_all_modules()
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PRETRAIN = os.path.join(ROOT, 'configs', 'dap', 'faster-rcnn_dap-pretrain_tiny_demo.py')
FINETUNE = os.path.join(ROOT, 'configs', 'dap', 'faster-rcnn_dap-finetune_tiny_demo.py')


@pytest.fixture(scope='module')
def cls_root(tmp_path_factory):
    """A small classification demo with a pseudo-box file: the dominant true boxes stand in
    for CAM boxes (the dataset reads any COCO-style file)."""
    root = tmp_path_factory.mktemp('demo_cls')
    make_demo_classification(root, num_train=8, num_val=0)
    with open(root / 'annotations' / 'train_gt.json') as f:
        gt = json.load(f)
    gt['annotations'] = [a for a in gt['annotations'] if a['dominant']]
    with open(root / 'annotations' / 'train_cam_boxes_nms0.8.json', 'w') as f:
        json.dump(gt, f)
    return root


def _cfg(cls_root):
    cfg = Config.fromfile(PRETRAIN)
    cfg.train_dataloader.dataset.data_root = str(cls_root) + '/'
    cfg.model.backbone.init_cfg = None  # no classifier file in the tests
    return cfg


def test_dataset_takes_its_classes_from_the_file(cls_root):
    ds = DATASETS.build(_cfg(cls_root).train_dataloader.dataset)
    assert ds.metainfo['classes'] == ('circle', 'square', 'triangle', 'star', 'ring', 'cross')
    assert len(ds) == 8
    sample = ds[0]
    assert len(sample['data_samples'].gt_instances) == 1
    short = min(sample['data_samples'].img_shape)
    assert short in (64, 96, 128, 160)


def test_not_a_pseudo_box_file(tmp_path):
    (tmp_path / 'boxes.json').write_text(json.dumps(dict(images=[], annotations=[])))
    with pytest.raises(DataError, match="boxes.json: no 'categories' list"):
        DATASETS.build(
            dict(
                type='PseudoBoxDataset', data_root=str(tmp_path), ann_file='boxes.json', pipeline=[]
            )
        )
    with pytest.raises(DataError, match="pseudo-box file '.*none.json' not found"):
        DATASETS.build(
            dict(
                type='PseudoBoxDataset', data_root=str(tmp_path), ann_file='none.json', pipeline=[]
            )
        )


def test_pretrain_step_and_hand_over(cls_root, tmp_path):
    from dpt.utils.state_dict import compare_state_dicts
    from dpt.weights import extract_detector_weights

    cfg = _cfg(cls_root)
    model = build_model(copy.deepcopy(cfg))
    model.train()
    batch = model.data_preprocessor(train_batch(cfg), True)
    before = state_tensors(model)
    optim = torch.optim.SGD(model.parameters(), lr=0.01)
    losses = model.loss(batch['inputs'], batch['data_samples'])
    total = sum(v for k, v in losses.items() if 'loss' in k and torch.is_tensor(v))
    assert torch.isfinite(total)
    total.backward()
    optim.step()
    changed = [k for k, v in model.state_dict().items() if not torch.equal(v, before[k])]
    assert any(k.startswith('roi_head.bbox_head.fc_cls') for k in changed)
    assert any(k.startswith('backbone.layer4') for k in changed)

    torch.save({'state_dict': model.state_dict()}, tmp_path / 'iter_1.pth')
    result, _ = extract_detector_weights(tmp_path / 'iter_1.pth', preset='dap')
    finetune = MODELS.build(copy.deepcopy(Config.fromfile(FINETUNE).model))
    report = compare_state_dicts(result.state, finetune.state_dict())
    assert not report.unexpected and not report.shape_mismatch
    assert sorted({k.rsplit('.', 1)[0] for k in report.missing}) == [
        'roi_head.bbox_head.fc_cls',
        'roi_head.bbox_head.fc_reg',
    ]
