"""tools/misc/make_proposals.py and the library it wraps: output layout, resuming, bad input."""

import json
import os
import os.path as osp
import re
import shutil
import sys

import pytest
from _cli import one_error_line, run

from dpt.proposals import ProposalSettings, generate_proposals
from dpt.utils.errors import ConfigError, DataError

TOOL = 'tools/misc/make_proposals.py'


def ann(root, split='train'):
    return osp.join(root, 'annotations', f'instances_{split}.json')


@pytest.fixture
def image_folder(tmp_path, demo_data_root):
    """A nested folder: 5 demo images, one in a sub-folder, plus a corrupt 'image'."""
    root = tmp_path / 'images'
    (root / 'sub').mkdir(parents=True)
    names = sorted(os.listdir(osp.join(demo_data_root, 'val')))[:5]
    for i, name in enumerate(names):
        shutil.copy(osp.join(demo_data_root, 'val', name), root / ('sub' if i == 0 else '') / name)
    (root / 'broken.jpg').write_bytes(b'\xff\xd8\xff\xe0 this is not a jpeg')
    (root / 'notes.txt').write_text('not an image')
    return root


def load_dataset(out, img_dir):
    from dpt.datasets import CheckedCocoDataset

    ds = CheckedCocoDataset(
        ann_file=str(out),
        data_prefix=dict(img=str(img_dir) + '/'),
        metainfo=dict(classes=('selective_search',)),
        pipeline=[],
    )
    ds.full_init()
    return ds


def test_tool_on_demo_data_two_workers(tmp_path, demo_data_root):
    out = tmp_path / 'props' / 'train_ratio3size0008@0.5.json'
    proc = run(
        sys.executable,
        TOOL,
        '--ann-file',
        ann(demo_data_root),
        '--img-dir',
        osp.join(demo_data_root, 'train'),
        '--out',
        str(out),
        '--workers',
        '2',
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'wrote' in proc.stdout and 'img/s' in proc.stderr  # result line; progress bar
    data = json.loads(out.read_text())
    source = json.loads(open(ann(demo_data_root)).read())
    assert [im['id'] for im in data['images']] == [im['id'] for im in source['images']]
    assert data['categories'] == [
        dict(id=1, name='selective_search', supercategory='selective_search')
    ]
    assert data['failed_images'] == [] and not osp.exists(f'{out}.partial.jsonl')
    assert data['info']['settings']['nms_iou'] is None  # SoCo's pipeline: no NMS
    anns = data['annotations']
    assert len(anns) >= len(data['images']) and len({a['id'] for a in anns}) == len(anns)
    for a in anns:
        x, y, w, h = a['bbox']
        assert w >= 32 and h >= 32 and 1 / 3 <= w / h <= 3 and a['area'] == w * h
        assert a['category_id'] == 1 and a['iscrowd'] == 0 and 0 < a['score'] <= 1
    ds = load_dataset(out, osp.join(demo_data_root, 'train'))
    assert len(ds) == len(data['images'])
    first = ds.get_data_info(0)
    assert first['instances'] and all(i['bbox_label'] == 0 for i in first['instances'])


def test_resume_skips_finished_images(tmp_path, demo_data_root):
    out = str(tmp_path / 'p.json')
    kw = dict(img_dir=osp.join(demo_data_root, 'train'), ann_file=ann(demo_data_root))
    first = generate_proposals(out, limit=6, **kw)
    assert (first['computed'], first['written'], first['complete']) == (6, 6, False)
    assert first['partial'] == out + '.partial.jsonl'  # kept for the next run
    with open(first['partial']) as f:
        lines = f.read().splitlines()
    assert len(lines) == 1 + 6  # header + one line per image
    # a run killed while writing: the last line is cut short
    with open(first['partial'], 'w') as f:
        f.write('\n'.join(lines[:-1]) + '\n' + lines[-1][:40])
    seen = []
    full = generate_proposals(out, on_record=seen.append, **kw)
    assert (full['reused'], full['computed'], full['written']) == (5, 11, 16)
    assert len(seen) == 11 and full['complete'] and full['partial'] is None
    assert not osp.exists(out + '.partial.jsonl')
    data = json.load(open(out))
    assert len(data['images']) == 16
    again = generate_proposals(str(tmp_path / 'q.json'), **kw)  # from scratch: same output
    assert json.load(open(tmp_path / 'q.json'))['annotations'] == data['annotations']
    assert again['computed'] == 16


def test_partial_file_of_other_settings_refused(tmp_path, demo_data_root):
    out = str(tmp_path / 'p.json')
    kw = dict(img_dir=osp.join(demo_data_root, 'train'), ann_file=ann(demo_data_root), limit=1)
    generate_proposals(out, **kw)
    with pytest.raises(ConfigError, match=r'p\.json\.partial\.jsonl: left by a run with other'):
        generate_proposals(out, settings=ProposalSettings.from_options('soco', 'ratio3'), **kw)


def test_corrupt_image_reported_and_skipped(tmp_path, image_folder):
    out = tmp_path / 'folder.json'
    proc = run(
        sys.executable,
        TOOL,
        '--img-dir',
        str(image_folder),
        '--out',
        str(out),
        '--workers',
        '2',
        '--method',
        'opencv_fast',
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    skipped = [ln for ln in proc.stderr.splitlines() if 'skipped' in ln]
    assert len(skipped) == 1 and 'broken.jpg: corrupt image' in skipped[0]
    assert '1 image(s) could not be used' in proc.stderr
    data = json.loads(out.read_text())
    assert [im['file_name'] for im in data['images']] == sorted(
        n for n in os.listdir(image_folder) if n.endswith('.jpg') and n != 'broken.jpg'
    ) + [osp.join('sub', os.listdir(image_folder / 'sub')[0])]
    assert [(f['file_name'], f['id']) for f in data['failed_images']] == [('broken.jpg', 5)]
    per_image = {}
    for a in data['annotations']:
        per_image[a['image_id']] = per_image.get(a['image_id'], 0) + 1
    assert sorted(per_image.values()) == [30] * 5  # DETReg: first 30 boxes, no filter
    assert osp.exists(f'{out}.partial.jsonl')  # the failed image is retried by a rerun
    assert len(load_dataset(out, image_folder)) == 5


def test_everything_failed(tmp_path):
    (tmp_path / 'a.png').write_bytes(b'garbage')
    with pytest.raises(DataError, match=r'none of the 1 images could be used .*a\.png'):
        generate_proposals(str(tmp_path / 'o.json'), str(tmp_path))


def test_bad_input_one_line(tmp_path, demo_data_root):
    missing = tmp_path / 'nope.json'
    proc = run(
        sys.executable,
        TOOL,
        '--ann-file',
        str(missing),
        '--img-dir',
        osp.join(demo_data_root, 'train'),
        '--out',
        str(tmp_path / 'o.json'),
    )
    line = one_error_line(proc, 'make_proposals')
    assert line == f'make_proposals: error: {missing}: annotation file not found'
    assert not list(tmp_path.iterdir())  # nothing written


def test_bad_annotation_files(tmp_path, demo_data_root):
    img_dir = osp.join(demo_data_root, 'train')
    for text, why in (
        ('{"annotations": []}', "no 'images' list"),
        ('{"images": [', 'not valid'),
        ('{"images": [{"id": 1}]}', "images[0] has no 'id' or 'file_name'"),
    ):
        bad = tmp_path / 'bad.json'
        bad.write_text(text)
        with pytest.raises(DataError, match=re.escape(f'bad.json: {why}')):
            generate_proposals(str(tmp_path / 'o.json'), img_dir, str(bad))


def test_bad_folder_and_options(tmp_path):
    with pytest.raises(DataError, match='image folder not found'):
        generate_proposals(str(tmp_path / 'o.json'), str(tmp_path / 'nowhere'))
    with pytest.raises(DataError, match='no image files'):
        generate_proposals(str(tmp_path / 'o.json'), str(tmp_path))
    with pytest.raises(ConfigError, match='must end in .json'):
        generate_proposals(str(tmp_path / 'o.txt'), str(tmp_path))


def test_dead_worker_is_an_error_not_a_hang(tmp_path, demo_data_root, monkeypatch):
    from dpt.proposals import generate

    real = generate.read_rgb

    def crash_on_one(path):  # the forked workers inherit the patch
        if path.endswith('000003.jpg'):
            os._exit(1)
        return real(path)

    monkeypatch.setattr(generate, 'read_rgb', crash_on_one)
    out = str(tmp_path / 'p.json')
    with pytest.raises(DataError, match=r'a worker process died while working on .*rerun'):
        generate_proposals(
            out,
            osp.join(demo_data_root, 'train'),
            ann(demo_data_root),
            ProposalSettings.from_options('opencv_fast'),
            workers=2,
        )
    assert osp.exists(out + '.partial.jsonl') and not osp.exists(out)
