"""Each bad input: one clear line naming the file and item, exit status 2."""

import json
import os
import re
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
    return run(
        sys.executable, 'tools/train.py', CONFIG, '--work-dir', f'{root}/../work', *opts, *extra
    )


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
    other = {
        'state_dict': {
            'conv1.weight': torch.zeros(64, 3, 7, 7),
            'fc.weight': torch.zeros(1000, 512),
        }
    }
    torch.save(other, tmp_path / 'resnet.pth')
    line = one_error_line(train(data, f'load_from={tmp_path}/resnet.pth'), 'train')
    assert 'resnet.pth: does not fit FasterRCNN' in line


class Payload:
    def __reduce__(self):
        return (os.system, ('touch /tmp/dpt-should-not-exist',))


def test_unsafe_checkpoint_is_refused(tmp_path, data):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'x': Payload()}, path)
    proc = run(sys.executable, 'tools/test.py', CONFIG, str(path), *data_options(f'{data}/'))
    line = one_error_line(proc, 'test')
    assert 'evil.pth: refused to load' in line and 'system' in line
    assert not os.path.exists('/tmp/dpt-should-not-exist')


def test_zero_byte_image_in_a_loader_worker(data):
    coco = json.loads((data / 'annotations' / 'instances_train.json').read_text())
    for img in coco['images']:  # every train image empty: the first batch meets one
        (data / 'train' / img['file_name']).write_bytes(b'')
    line = one_error_line(train(data, workers=1), 'train')
    assert re.search(r'/train/\w+\.jpg \(image id \d+\): empty image file \(0 bytes\)$', line), line


def _labelme_classes(coco):
    for i, cat in enumerate(coco['categories']):
        cat['name'] = f'part_{i}'


@pytest.mark.parametrize(
    'damage, expected',
    [
        (
            lambda c: c.update(annotations=[]),
            "no image to train on: its 'annotations' list is empty",
        ),
        (
            _labelme_classes,
            "none of its categories (part_0, part_1, part_2, part_3, part_4, part_5) is one of the "
            "config's classes (circle, square, triangle, star, ring, cross)",
        ),
        (lambda c: c['images'][0].pop('width'), "has no positive 'width'"),
        (lambda c: c['images'].append(dict(c['images'][0])), "is listed twice in 'images'"),
        ('not utf-8', 'not UTF-8 text'),
        ('a list', 'the file holds a JSON list'),
    ],
    ids=['no-annotations', 'other-classes', 'no-width', 'repeated-image', 'not-utf8', 'list'],
)
def test_annotation_file_problems_are_one_line(data, damage, expected):
    path = data / 'annotations' / 'instances_train.json'
    if damage == 'not utf-8':
        path.write_bytes(path.read_bytes().replace(b'"circle"', b'"c\xe9rcle"'))
    elif damage == 'a list':
        path.write_text(json.dumps([json.loads(path.read_text())]))
    else:
        coco = json.loads(path.read_text())
        damage(coco)
        path.write_text(json.dumps(coco))
    line = one_error_line(train(data), 'train')
    assert line.startswith(f'train: error: {path}: ') and expected in line, line


@pytest.fixture
def small_disk(tmp_path):
    """A 1.5 MiB tmpfs: room for the logs, not for a checkpoint of the tiny detector."""
    mnt = tmp_path / 'disk'
    mnt.mkdir()
    proc = subprocess.run(
        ['mount', '-t', 'tmpfs', '-o', 'size=1536k', 'tmpfs', str(mnt)],
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        pytest.skip(f'cannot mount a tmpfs here ({proc.stderr.strip() or proc.returncode})')
    yield mnt
    subprocess.run(['umount', '-l', str(mnt)], check=False)


def test_full_disk_is_one_line_naming_the_file(data, small_disk):
    work = small_disk / 'work'
    proc = run(
        sys.executable, 'tools/train.py', CONFIG, '--work-dir', str(work), *data_options(f'{data}/')
    )
    line = one_error_line(proc, 'train')
    assert line == (
        f'train: error: {work}/epoch_1.pth: cannot write (no space left on the '
        'device); the file there before, if any, is kept'
    ), line
    # what was written before (config, log) is there; no temporary file is left behind
    assert not [n for n in os.listdir(work) if n.endswith('.tmp')]
    logs = [os.path.join(d, f) for d, _, fs in os.walk(work) for f in fs if f.endswith('.log')]
    assert logs and 'Saving checkpoint at 1 epochs' in open(logs[0]).read()
