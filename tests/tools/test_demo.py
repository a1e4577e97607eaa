"""The main job (tools/demo.py), shortened to one epoch per stage on the small demo data."""

import json
import subprocess
import sys

from _cli import ROOT, env, in_process_loaders


def test_demo_pretrains_finetunes_and_evaluates(tmp_path, demo_data_root):
    cmd = [
        sys.executable,
        'tools/demo.py',
        '--data',
        demo_data_root,
        '--work-dir',
        str(tmp_path / 'demo'),
        '--cfg-options',
        'train_cfg.max_epochs=1',
        'train_cfg.val_interval=1',
        *in_process_loaders(),
    ]
    proc = subprocess.run(cmd, cwd=ROOT, env=env(), capture_output=True, text=True, timeout=900)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    for stage in ('[demo 2/4]', '[demo 3/4]', '[demo 4/4]'):
        assert stage in log
    # fine-tuning loaded the whole pre-trained detector
    assert 'mask-rcnn_tiny_finetune_demo' in log
    tensors = [ln for ln in log.splitlines() if "-> MaskRCNN: loaded" in ln]
    assert tensors, log[-3000:]
    assert '0 shape mismatches, 0 missing, 0 unused' in tensors[0]
    metrics = json.loads((tmp_path / 'demo' / 'test' / 'metrics.json').read_text())
    assert 0 <= metrics['coco/bbox_mAP'] <= 1 and 0 <= metrics['coco/segm_mAP'] <= 1
    assert 'bbox  AP' in proc.stdout and 'segm  AP' in proc.stdout

    # run again: every stage is done already and nothing is retrained
    again = subprocess.run(cmd, cwd=ROOT, env=env(), capture_output=True, text=True, timeout=900)
    assert again.returncode == 0
    assert again.stdout.count('done already') == 2
    assert 'Epoch(train)' not in again.stdout + again.stderr
