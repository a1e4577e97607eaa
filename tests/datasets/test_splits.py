"""Semi-supervised / low-data splits of a COCO file: sizes, disjoint parts, annotations with
their images, determinism, the published samplers, file names and idempotent writing."""

import importlib.util
import json
import os

import numpy as np
import pytest

from dpt.datasets.splits import labelled_ids, load_coco, make_semi_splits, split_coco, split_names
from dpt.utils.errors import ConfigError, DataError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def ann_file(demo_data_root):
    return os.path.join(demo_data_root, 'annotations', 'instances_train.json')


def read(path):
    with open(path) as f:
        return json.load(f)


def test_parts_are_disjoint_and_complete(ann_file, tmp_path):
    coco = read(ann_file)
    n = len(coco['images'])  # 16
    records = make_semi_splits(ann_file, tmp_path, percents=(25, 12.5, 50), folds=(1, 2))
    assert [os.path.basename(r['path']) for r in records[:2]] == [
        'instances_train.1@25.json',
        'instances_train.1@25-unlabeled.json',
    ]
    assert os.path.basename(records[2]['path']) == 'instances_train.1@12.5.json'
    for fold in (1, 2):
        for percent in (25, 12.5, 50):
            lab, unl = (
                read(tmp_path / name) for name in split_names('instances_train', percent, fold)
            )
            assert len(lab['images']) == int(percent / 100 * n)
            ids = [{img['id'] for img in part['images']} for part in (lab, unl)]
            assert not ids[0] & ids[1]
            assert ids[0] | ids[1] == {img['id'] for img in coco['images']}
            # annotations follow their images, none lost or repeated
            for part, own in zip((lab, unl), ids):
                assert all(a['image_id'] in own for a in part['annotations'])
            assert sorted(a['id'] for a in lab['annotations'] + unl['annotations']) == sorted(
                a['id'] for a in coco['annotations']
            )
            # categories and every other top-level entry kept
            for part in (lab, unl):
                assert part['categories'] == coco['categories']
                assert set(part) == set(coco)

    def first(fold):
        return {i['id'] for i in read(tmp_path / f'instances_train.{fold}@50.json')['images']}

    assert first(1) != first(2)


def test_samplers_reproduce_the_published_splits(ann_file):
    coco = read(ann_file)
    n = len(coco['images'])
    # SoftTeacher's semi_coco.py (used by AlignDet): np.random.seed(fold), choice without
    # replacement of int(percent / 100 * N) indices of the images in file order
    for fold in (1, 2, 3):
        np.random.seed(fold)
        picked = np.random.choice(range(n), size=int(25 / 100.0 * n), replace=False)
        assert labelled_ids(coco, 25, fold) == {coco['images'][i]['id'] for i in picked}
    # DETReg's CocoDetection(filter_pct): default_rng(42) picks round(N * pct) sorted ids
    ids = sorted(img['id'] for img in coco['images'])
    expected = np.random.default_rng(42).choice(ids, size=round(n * 0.1), replace=False)
    assert labelled_ids(coco, 10, mode='images') == set(expected.tolist())
    assert split_names('instances_train2017', 10, mode='images') == [
        'instances_train2017.seed42@10.json'
    ]
    assert split_names('instances_train2017', 0.5, 1) == [
        'instances_train2017.1@0.5.json',
        'instances_train2017.1@0.5-unlabeled.json',
    ]


def test_deterministic_and_idempotent(ann_file, tmp_path):
    first = make_semi_splits(ann_file, tmp_path / 'a', percents=(50,))
    again = make_semi_splits(ann_file, tmp_path / 'a', percents=(50,))
    assert [r['state'] for r in first] == ['wrote', 'wrote']
    assert [r['state'] for r in again] == ['up to date', 'up to date']
    make_semi_splits(ann_file, tmp_path / 'b', percents=(50,))
    for name in split_names('instances_train', 50):
        assert (tmp_path / 'a' / name).read_bytes() == (tmp_path / 'b' / name).read_bytes()
    # another seed makes other splits: refused over the old files unless asked
    with pytest.raises(DataError, match=r'instances_train\.1@50\.json: exists with other'):
        make_semi_splits(ann_file, tmp_path / 'a', percents=(50,), seed=5)
    states = make_semi_splits(ann_file, tmp_path / 'a', percents=(50,), seed=5, overwrite=True)
    assert [r['state'] for r in states] == ['wrote', 'wrote']
    assert not [p for p in os.listdir(tmp_path / 'a') if p.endswith('.tmp')]
    # images mode writes only the subset
    records = make_semi_splits(ann_file, tmp_path / 'c', percents=(25,), mode='images')
    assert [os.path.basename(r['path']) for r in records] == ['instances_train.seed42@25.json']
    assert records[0]['images'] == 4


def test_split_loads_as_a_dataset(ann_file, demo_data_root, tmp_path):
    from dpt.datasets import CheckedCocoDataset

    make_semi_splits(ann_file, tmp_path, percents=(25,))
    dataset = CheckedCocoDataset(
        data_root=demo_data_root,
        ann_file=str(tmp_path / 'instances_train.1@25.json'),
        data_prefix=dict(img='train/'),
        metainfo=dict(classes=('circle', 'square', 'triangle', 'star', 'ring', 'cross')),
        pipeline=[],
    )
    assert len(dataset) == 4


def test_bad_input(tmp_path, ann_file):
    coco = read(ann_file)
    with pytest.raises(DataError, match='is no image; ask for a larger percent'):
        labelled_ids(coco, 1, source=ann_file)
    # the library names its parameters; the tool names them as flags (test_cli)
    with pytest.raises(ConfigError, match='^percent=0: must be more than 0'):
        labelled_ids(coco, 0)
    with pytest.raises(ConfigError, match='^mode=pairs'):
        labelled_ids(coco, 10, mode='pairs')
    with pytest.raises(DataError, match='annotation file not found'):
        load_coco(str(tmp_path / 'nope.json'))
    bad = dict(
        coco,
        annotations=coco['annotations'] + [dict(coco['annotations'][0], id=999, image_id=12345)],
    )
    (tmp_path / 'bad.json').write_text(json.dumps(bad))
    with pytest.raises(DataError, match=r"annotation 999 names image id 12345"):
        load_coco(str(tmp_path / 'bad.json'))
    (tmp_path / 'broken.json').write_text('{"images": [')
    with pytest.raises(DataError, match='broken.json: not valid JSON'):
        load_coco(str(tmp_path / 'broken.json'))
    lab, unl = split_coco(coco, set())
    assert not lab['images'] and len(unl['images']) == len(coco['images'])


def test_cli(ann_file, tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        'make_semi_splits', f'{ROOT}/tools/misc/make_semi_splits.py'
    )
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    tool.main(
        [
            '--ann-file',
            ann_file,
            '--out-dir',
            str(tmp_path),
            '--percent',
            '50',
            '25',
            '--folds',
            '1',
            '2',
        ]
    )
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / 'instances_train.2@25-unlabeled.json'}: 12 images" in out
    assert '8 files in' in out
    with pytest.raises(SystemExit) as info:
        tool.main(['--ann-file', ann_file, '--out-dir', str(tmp_path), '--percent', '1'])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f'make_semi_splits: error: {ann_file}: 1% of its 16 images is no image; '
        f'ask for a larger percent'
    ]
    # the library's parameters, named as the tool's flags
    for argv, message in (
        (['--percent', '0'], '--percent 0: must be more than 0 and at most 100'),
        (
            ['--percent', '50', '--seed', '5'],
            '(made from another annotation file or seed?); pass --overwrite to replace it',
        ),
        (['--mode', 'few-shot', '--shots', '4'], '--shots 4: TFA samples'),
    ):
        with pytest.raises(SystemExit):
            tool.main(['--ann-file', ann_file, '--out-dir', str(tmp_path), *argv])
        err = capsys.readouterr().err.strip().splitlines()
        assert (
            len(err) == 1 and err[0].startswith('make_semi_splits: error: ') and message in err[0]
        ), err


FEW_SHOT = os.path.join(ROOT, 'tests', 'data', 'parity', 'detreg', 'tfa_few_shot.json')


def test_few_shot_samples_as_tfa():
    """TFA's prepare_coco_few_shot.py (DETReg's few-shot splits) keeps these annotations of
    the same file, for every seed, category and shot count (tests/data/parity/detreg)."""
    from dpt.datasets.splits import few_shot_annotations

    ref = read(FEW_SHOT)
    for seed in (1, 2):
        for shots in (1, 2, 3, 5, 10, 30):
            got = few_shot_annotations(ref['coco'], shots, seed)
            for cat, anns in got.items():
                assert [a['id'] for a in anns] == ref['picked'][f'{seed}/{cat}/{shots}']
                assert len(anns) == shots


def test_few_shot_files_and_tfa_merge(tmp_path):
    from dpt.datasets.splits import (
        few_shot_annotations,
        few_shot_coco,
        make_few_shot_splits,
        merge_tfa_split,
    )

    ref = read(FEW_SHOT)
    ann_file = tmp_path / 'instances_train.json'
    ann_file.write_text(json.dumps(ref['coco']))
    records = make_few_shot_splits(str(ann_file), str(tmp_path), shots=(10,), seed=2)
    data = read(tmp_path / 'instances_train.seed2@10shot.json')
    assert records[0]['annotations'] == 30 == len(data['annotations'])
    assert {a['id'] for a in data['annotations']} == {
        i for c in (1, 3, 7) for i in ref['picked'][f'2/{c}/10']
    }
    assert {a['image_id'] for a in data['annotations']} == {i['id'] for i in data['images']}
    assert data['categories'] == ref['coco']['categories']
    # TFA's own per-class files merged give the same split
    tfa = tmp_path / 'seed2'
    tfa.mkdir()
    per_class = few_shot_annotations(ref['coco'], 10, 2)
    for cat, name in ((1, 'cat'), (3, 'dog'), (7, 'car')):
        part = few_shot_coco(ref['coco'], {cat: per_class[cat]})
        (tfa / f'full_box_10shot_{name}_trainval.json').write_text(json.dumps(part))
    assert merge_tfa_split(str(tfa), 10) == data
    with pytest.raises(DataError, match='no full_box_30shot_'):
        merge_tfa_split(str(tfa), 30)
    with pytest.raises(ConfigError, match='^shots=4: TFA samples'):
        few_shot_annotations(ref['coco'], 4, 1)
    few = dict(
        ref['coco'],
        annotations=[
            a for a in ref['coco']['annotations'] if a['category_id'] != 3 or a['id'] < 40
        ],
    )
    with pytest.raises(DataError, match='category 3 has'):
        few_shot_annotations(few, 30, 1, source='few.json')


def test_few_shot_cli(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        'make_semi_splits', f'{ROOT}/tools/misc/make_semi_splits.py'
    )
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    ann_file = tmp_path / 'instances_train.json'
    ann_file.write_text(json.dumps(read(FEW_SHOT)['coco']))
    tool.main(
        [
            '--mode',
            'few-shot',
            '--ann-file',
            str(ann_file),
            '--out-dir',
            str(tmp_path),
            '--shots',
            '5',
            '10',
        ]
    )
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / 'instances_train.seed1@10shot.json'}" in out
    assert '30 annotations' in out and '2 files in' in out
