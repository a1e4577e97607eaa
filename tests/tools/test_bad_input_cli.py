"""Each bad input: one clear line naming the file and item, exit status 2."""
import json
import os
import shutil
import subprocess
import sys

import pytest
import torch

from _cli import CONFIG, data_options, one_error_line, run


@pytest.fixture
def data(tmp_path, demo_data_root):
    root = tmp_path / 'demo'
    shutil.copytree(demo_data_root, root)
    return root


def train(root, *extra, workers=0):
    opts = data_options(f'{root}/')
    opts = [o.replace('num_workers=0', f'num_workers={workers}') for o in opts]
    if workers:
        opts = [o.replace('persistent_workers=False', 'persistent_workers=True') for o in opts]
    return run(sys.executable, 'tools/train.py', CONFIG, '--work-dir', f'{root}/../work',
               *opts, *extra)


def test_missing_config():
    proc = run(sys.executable, 'tools/train.py', 'configs/nope.py')
    assert 'configs/nope.py: config file not found' in one_error_line(proc, 'train')


def test_missing_data_root(tmp_path):
    proc = train(tmp_path / 'nowhere')
    assert "data root" in one_error_line(proc, 'train') and 'nowhere' in proc.stderr


def test_annotation_naming_unknown_image(data):
    path = data / 'annotations' / 'instances_train.json'
    coco = json.loads(path.read_text())
    coco['annotations'][3]['image_id'] = 4242
    path.write_text(json.dumps(coco))
    line = one_error_line(train(data), 'train')
    assert 'instances_train.json' in line and 'names image id 4242' in line


@pytest.mark.parametrize('workers', [0, 1])
def test_corrupt_image_during_training(data, workers):
    coco = json.loads((data / 'annotations' / 'instances_train.json').read_text())
    for img in coco['images']:  # every train image broken: the first batch meets one
        (data / 'train' / img['file_name']).write_bytes(b'\x00garbage')
    line = one_error_line(train(data, workers=workers), 'train')
    assert '/train/' in line and 'image id' in line and 'corrupt' in line


def test_checkpoint_of_another_model(tmp_path, data):
    other = {'state_dict': {'conv1.weight': torch.zeros(64, 3, 7, 7),
                            'fc.weight': torch.zeros(1000, 512)}}
    torch.save(other, tmp_path / 'resnet.pth')
    line = one_error_line(train(data, f'load_from={tmp_path}/resnet.pth'), 'train')
    assert 'resnet.pth: does not fit FasterRCNN' in line


class Payload:
    def __reduce__(self):
        return (os.system, ('touch /tmp/dpt-should-not-exist',))


def test_unsafe_checkpoint_is_refused(tmp_path, data):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'x': Payload()}, path)
    proc = run(sys.executable, 'tools/test.py', CONFIG, str(path),
               *data_options(f'{data}/'))
    line = one_error_line(proc, 'test')
    assert 'evil.pth: refused to load' in line and 'system' in line
    assert not os.path.exists('/tmp/dpt-should-not-exist')
