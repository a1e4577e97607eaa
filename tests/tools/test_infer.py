"""tools/infer.py: drawn detections and a JSON per image, from a fine-tuned checkpoint and
from one that extract_detector_weights.py made; pre-training checkpoints refused."""

import json
import os.path as osp
import sys

import pytest
import torch
from _cli import ROOT, one_error_line, run

MASK_RCNN = 'configs/baselines/mask-rcnn_tiny_demo.py'
PRETRAIN = 'configs/aligndet/faster-rcnn_aligndet-pretrain_tiny_demo.py'
FINETUNE = 'configs/aligndet/faster-rcnn_aligndet-finetune_tiny_demo.py'
CLASSES = ('circle', 'square', 'triangle', 'star', 'ring', 'cross')


def saved_model(config, path, meta=None):
    """A randomly initialised model of ``config`` saved as mmengine saves checkpoints."""
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    cfg = Config.fromfile(osp.join(ROOT, config))
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    torch.save(dict(state_dict=model.state_dict(), meta=meta or {}), path)
    return str(path)


def images(root, n=2):
    data = json.load(open(osp.join(root, 'annotations/instances_val.json')))
    return [osp.join(root, 'val', im['file_name']) for im in data['images'][:n]]


def check_outputs(out_dir, imgs, num_classes, masks=False):
    for img in imgs:
        stem = osp.splitext(osp.basename(img))[0]
        assert osp.getsize(osp.join(out_dir, 'vis', osp.basename(img))) > 0
        pred = json.load(open(osp.join(out_dir, 'preds', stem + '.json')))
        assert len(pred['labels']) == len(pred['scores']) == len(pred['bboxes']) > 0
        assert all(0 <= label < num_classes for label in pred['labels'])
        assert all(len(b) == 4 and b[0] <= b[2] and b[1] <= b[3] for b in pred['bboxes'])
        assert ('masks' in pred) == masks


def test_fine_tuned_checkpoint_boxes_and_masks(tmp_path, demo_data_root):
    from dpt.apis.infer import infer_images

    ckpt = saved_model(MASK_RCNN, tmp_path / 'ft.pth', dict(dataset_meta=dict(classes=CLASSES)))
    imgs = images(demo_data_root)
    results = infer_images(
        osp.join(ROOT, MASK_RCNN), ckpt, imgs, str(tmp_path / 'out'), score_thr=0.0
    )
    assert [osp.basename(i) for i, _ in results] == [osp.basename(i) for i in imgs]
    check_outputs(str(tmp_path / 'out'), imgs, len(CLASSES), masks=True)


def test_extracted_checkpoint_and_refused_pretrainer(tmp_path, demo_data_root):
    from dpt.weights.detector import extract_detector_weights

    pre = saved_model(PRETRAIN, tmp_path / 'pretrain.pth')
    _, init = extract_detector_weights(pre, str(tmp_path / 'finetune_init.pth'))
    assert 'dataset_meta' not in torch.load(init, weights_only=False).get('meta', {})
    imgs = images(demo_data_root)
    out = tmp_path / 'out'
    proc = run(
        sys.executable,
        'tools/infer.py',
        FINETUNE,
        init,
        *imgs,
        '--out-dir',
        str(out),
        '--score-thr',
        '0.0',
        '--device',
        'cpu',
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    check_outputs(str(out), imgs, len(CLASSES))
    assert 'detections of score >= 0.0' in proc.stdout
    # the config's classes, not COCO's (the extracted checkpoint names none)
    from dpt.apis.infer import build_inferencer

    inferencer = build_inferencer(osp.join(ROOT, FINETUNE), init)
    assert tuple(inferencer.model.dataset_meta['classes']) == CLASSES
    # the pre-training checkpoint itself: refused in one line
    proc = run(sys.executable, 'tools/infer.py', FINETUNE, pre, imgs[0], '--out-dir', str(out))
    assert 'extract' in one_error_line(proc, 'infer')


def test_checkpoint_of_another_model_is_refused(tmp_path, demo_data_root):
    from dpt.apis.infer import build_inferencer
    from dpt.utils.errors import CheckpointError

    other = tmp_path / 'other.pth'
    torch.save(dict(state_dict={'fc.weight': torch.zeros(2, 2)}), other)
    with pytest.raises(CheckpointError, match='does not fit'):
        build_inferencer(osp.join(ROOT, MASK_RCNN), str(other))
