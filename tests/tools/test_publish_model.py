"""publish_model.py (training state dropped, sha256 prefix in the name, meta), tools/test.py
refusing pre-training checkpoints (DETReg issues 73 / 77), 'n/a' for COCO's -1."""

import hashlib
import re
import sys

import numpy as np
import pytest
import torch
from _cli import CONFIG, one_error_line, run


def trained_like(path):
    """What mmengine's CheckpointHook writes: weights, meta with the config, training state."""
    from mmengine.logging import MessageHub

    import dpt  # noqa: F401  (message-hub buffers pickle as data, as in training)

    hub = MessageHub.get_instance('publish_test')
    hub.update_scalar('train/loss', 1.0)
    ckpt = dict(
        state_dict={'backbone.conv1.weight': torch.randn(4, 3, 3, 3)},
        meta=dict(cfg="model = dict(type='FasterRCNN')", epoch=3, seed=np.int64(0)),
        optimizer=dict(state={}, param_groups=[dict(lr=0.02)]),
        message_hub=hub.state_dict(),
        param_schedulers=[dict(last_step=3)],
    )
    torch.save(ckpt, path)
    return str(path)


def test_publish_drops_training_state_and_names_by_sha(tmp_path):
    src = trained_like(tmp_path / 'epoch_3.pth')
    proc = run(
        sys.executable,
        'tools/model_converters/publish_model.py',
        src,
        str(tmp_path / 'faster-rcnn_tiny.pth'),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = re.search(r'saved at (\S+)\.$', proc.stdout.strip()).group(1)
    assert re.fullmatch(r'.*/faster-rcnn_tiny-[0-9a-f]{8}\.pth', out)
    data = open(out, 'rb').read()
    assert hashlib.sha256(data).hexdigest()[:8] == out[-12:-4]
    from dpt.utils.checkpoint import load_checkpoint_file

    ckpt = load_checkpoint_file(out)
    assert set(ckpt) == {'meta', 'state_dict'}
    assert 'message_hub, optimizer, param_schedulers' in proc.stdout
    meta = ckpt['meta']
    import dpt

    assert meta['dpt_version'] == dpt.__version__ and meta['cfg'].startswith('model')
    assert meta['parent'] == dict(
        file='epoch_3.pth', sha256=hashlib.sha256(open(src, 'rb').read()).hexdigest()
    )
    assert meta['epoch'] == 3
    torch.testing.assert_close(
        ckpt['state_dict']['backbone.conv1.weight'],
        torch.load(src, weights_only=False)['state_dict']['backbone.conv1.weight'],
    )


def test_publish_needs_a_config(tmp_path):
    from dpt.apis.checkpoints import publish_checkpoint
    from dpt.utils.errors import CheckpointError

    src = tmp_path / 'bare.pth'
    torch.save(dict(state_dict={'w': torch.zeros(1)}), src)
    with pytest.raises(CheckpointError, match=r'\(config=\)$'):  # the tool says --config
        publish_checkpoint(str(src), str(tmp_path / 'o.pth'))
    out, _ = publish_checkpoint(str(src), str(tmp_path / 'o.pth'), CONFIG)
    assert 'FasterRCNN' in torch.load(out, weights_only=False)['meta']['cfg']


def test_pretraining_checkpoints_are_not_tested(tmp_path):
    from dpt.apis.checkpoints import check_testable, pretraining_kind
    from dpt.utils.errors import CheckpointError

    aligndet = {
        'online.backbone.conv1.weight': torch.zeros(1),
        'target.backbone.conv1.weight': torch.zeros(1),
    }
    detreg = {
        'backbone.conv1.weight': torch.zeros(1),
        'bbox_head.feature_embed.0.layers.0.weight': torch.zeros(1),
        'region_encoder.backbone.conv1.weight': torch.zeros(1),
    }
    plain = {
        'backbone.conv1.weight': torch.zeros(1),
        'roi_head.bbox_head.fc_cls.weight': torch.zeros(1),
    }
    assert pretraining_kind(aligndet) == 'AlignDet'
    assert pretraining_kind(detreg) == 'DETReg'
    assert pretraining_kind(plain) is None
    for name, state in (('detreg', detreg), ('plain', plain)):
        torch.save(dict(state_dict=state), tmp_path / f'{name}.pth')
    with pytest.raises(CheckpointError, match='DETReg pre-training.*--preset detreg'):
        check_testable(str(tmp_path / 'detreg.pth'))
    check_testable(str(tmp_path / 'plain.pth'))
    torch.save(dict(state_dict=aligndet, meta={}), tmp_path / 'aligndet.pth')
    proc = run(sys.executable, 'tools/test.py', CONFIG, str(tmp_path / 'aligndet.pth'))
    line = one_error_line(proc, 'test')
    assert 'AlignDet pre-training checkpoint' in line and 'extract_detector_weights' in line


def test_minus_one_ap_reads_na():
    from dpt.apis import format_metrics

    text = format_metrics(
        {'coco/bbox_mAP': 0.1234, 'coco/bbox_mAP_s': -1.0, 'coco/bbox_mAP_l': 0.0}
    )
    lines = dict(ln.split() for ln in text.splitlines())
    assert lines == {'coco/bbox_mAP': '12.34', 'coco/bbox_mAP_s': 'n/a', 'coco/bbox_mAP_l': '0.00'}
    assert '-100' not in text
